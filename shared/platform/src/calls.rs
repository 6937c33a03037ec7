//! The one way a service answers a call: its work runs, a refusal becomes a `Status` of
//! the service's error domain, and a refusal of a known caller's rights is audited.

use std::future::Future;

use tonic::{Request, Response, Status};

use crate::audit::record_denial;
use crate::auth::Caller;
use crate::db::Db;
use crate::error::Problem;

/// What a service's calls share: its error domain and the database its audit trail is in.
#[derive(Clone, Copy)]
pub struct Answerer<'a> {
    pub domain: &'static str,
    pub db: &'a Db,
}

impl Answerer<'_> {
    /// Runs `work` for `caller`; `action` and `target` name it in the audit trail.
    pub async fn run<T, E>(
        self,
        caller: &Caller,
        now_us: i64,
        (action, target): (&str, &str),
        work: impl Future<Output = Result<T, E>>,
        into_problem: impl FnOnce(E) -> Problem,
    ) -> Result<Response<T>, Status> {
        match work.await {
            Ok(v) => Ok(Response::new(v)),
            Err(e) => {
                let problem = into_problem(e);
                if problem.is_denial() {
                    record_denial(self.db, caller, now_us, action, target, &problem).await;
                }
                Err(problem.into_status(self.domain))
            }
        }
    }
}

/// The authenticated caller of a request, or UNAUTHENTICATED in `domain`.
pub fn caller_of<T>(domain: &'static str, req: &Request<T>) -> Result<Caller, Status> {
    Caller::of(req).map_err(|p| p.into_status(domain))
}
