//! The gRPC surface of ordering. Handlers check roles and visibility, parse at the edge,
//! read facts from their owners, and map every failure through `OrderingError`. The
//! catalog lives in `catalog.rs`, orders and subscriptions in `orders.rs`.

mod catalog;
mod convert;
mod orders;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gcc_platform::calls::{self, Answerer};
use gcc_platform::time::{SharedClock, from_micros, to_micros};
use gcc_platform::{Caller, Role};
use gcc_proto::ordering as pb;
use gcc_proto::ordering::ordering_service_server::OrderingService;
use tonic::{Request, Response, Status};

use crate::domain::Catalog;
use crate::error::{DOMAIN, OrderingError};
use crate::facts::FactSource;
use crate::store::Store;

/// Partner agents order and read; the source names these two roles for the workflow.
const AGENTS: &[Role] = &[Role::AdminAgent, Role::SalesAgent];
/// Time kept for our own work (the order's transaction) when passing a caller's deadline
/// on to the services we ask.
const DEADLINE_MARGIN: Duration = Duration::from_millis(50);

pub struct State {
    pub store: Store,
    /// Read once at start-up: the catalog changes only with a migration.
    pub catalog: Catalog,
    pub clock: SharedClock,
    pub facts: FactSource,
    /// Deadline of a call to another service when the caller set none (or a longer one).
    pub dependency_timeout: Duration,
    /// Linked from GCC eligibility refusals: "contact the validation support team".
    pub eligibility_contact: String,
    /// The response size limit, which a List page stays within.
    pub max_message_bytes: usize,
    /// Orders placed and refused.
    pub metrics: gcc_platform::metrics::Metrics,
}

#[derive(Clone)]
pub struct OrderingApi(Arc<State>);

impl OrderingApi {
    pub fn new(state: State) -> Self {
        Self(Arc::new(state))
    }

    /// Now, to the microsecond that is stored, so that a first answer and its replay agree.
    fn now(&self) -> DateTime<Utc> {
        from_micros(to_micros(self.0.clock.now()))
    }

    /// When calls to other services must be done: what is left of the caller's deadline
    /// less our margin, at most the dependency timeout.
    fn deadline<T>(&self, req: &Request<T>) -> Instant {
        Instant::now() + gcc_client::downstream_deadline(req.metadata(), DEADLINE_MARGIN, self.0.dependency_timeout)
    }

    /// Runs one call through the shared answering path (refusals become a `Status`,
    /// denials are audited).
    async fn run<T>(
        &self,
        caller: &Caller,
        action: &str,
        target: &str,
        work: impl Future<Output = Result<T, OrderingError>>,
    ) -> Result<Response<T>, Status> {
        let answerer = Answerer { domain: DOMAIN, db: self.0.store.db() };
        let help = &self.0.eligibility_contact;
        answerer.run(caller, to_micros(self.now()), (action, target), work, |e| e.into_problem(help)).await
    }
}

fn caller_of<T>(req: &Request<T>) -> Result<Caller, Status> {
    calls::caller_of(DOMAIN, req)
}

#[tonic::async_trait]
impl OrderingService for OrderingApi {
    async fn list_offers(
        &self,
        req: Request<pb::ListOffersRequest>,
    ) -> Result<Response<pb::ListOffersResponse>, Status> {
        self.offers(req).await
    }

    async fn list_purchasable_offers(
        &self,
        req: Request<pb::ListPurchasableOffersRequest>,
    ) -> Result<Response<pb::ListPurchasableOffersResponse>, Status> {
        self.purchasable(req).await
    }

    async fn place_order(&self, req: Request<pb::PlaceOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let placed = self.place(req).await;
        match &placed {
            Ok(_) => self.0.metrics.order(true, "none"),
            Err(status) => {
                let reason = gcc_platform::error::reason_of(status).unwrap_or_else(|| "UNCLASSIFIED".into());
                self.0.metrics.order(false, &reason);
            }
        }
        placed
    }

    async fn get_order(&self, req: Request<pb::GetOrderRequest>) -> Result<Response<pb::Order>, Status> {
        self.get(req).await
    }

    async fn list_orders(
        &self,
        req: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        self.orders(req).await
    }

    async fn list_subscriptions(
        &self,
        req: Request<pb::ListSubscriptionsRequest>,
    ) -> Result<Response<pb::ListSubscriptionsResponse>, Status> {
        self.subscriptions(req).await
    }
}
