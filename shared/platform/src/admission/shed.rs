//! Load shedding: past the concurrency limit (fixed, or adapting to latency: see
//! `limit.rs`) a call is refused at once with a retry hint; it sits outside the deadline
//! so that a refused call costs no timer.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tonic::Code;
use tower::Service;

use super::limit::Limiter;
use super::step::{Response, Step, exempt};
use crate::error::Problem;
use crate::metrics::Metrics;

/// Marks a response as this layer's refusal, so that the log can tell it from others.
#[derive(Debug, Clone, Copy)]
pub struct ShedCall;

#[derive(Debug)]
pub struct Shed {
    pub limiter: Arc<Limiter>,
    pub domain: &'static str,
    pub metrics: Metrics,
}

impl Step for Shed {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        if exempt(req.uri().path()) {
            return Box::pin(inner.call(req));
        }
        Box::pin(async move {
            let Some(_permit) = self.limiter.try_acquire() else {
                self.metrics.load_shed();
                return Ok(refusal(self.domain));
            };
            // Released when the handler returns: Watch streams outlive their handler and
            // are bounded by their own limits.
            inner.call(req).await
        })
    }
}

/// `RESOURCE_EXHAUSTED OVERLOADED` with a retry hint, marked as shed.
pub(super) fn refusal(domain: &'static str) -> Response {
    let p = Problem::new(
        Code::ResourceExhausted,
        "OVERLOADED",
        "the server is at its concurrency limit; retry with backoff",
    )
    .with_retry(Duration::from_millis(50));
    let mut response = p.into_status(domain).into_http();
    response.extensions_mut().insert(ShedCall);
    response
}
