//! The gRPC surface of relationships: checks roles and visibility, parses at the edge,
//! asks partner-eligibility where a mutation needs it, calls the store, and maps every
//! failure through `RelationshipsError`.

mod convert;
mod customers;
mod invitations;
mod partners;
mod replicas;
mod watch;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gcc_platform::calls::{self, Answerer};
use gcc_platform::events::Hub;
use gcc_platform::idempotency::IdempotencyKey;
use gcc_platform::names::PartnerName;
use gcc_platform::time::{SharedClock, to_micros};
use gcc_platform::{Caller, Problem, Role};
use gcc_proto::relationships as pb;
use gcc_proto::relationships::relationships_service_server::RelationshipsService;
use tonic::{Request, Response, Status};

use crate::domain::{EventKind, Links, Relationship, RelationshipEvent};
use crate::error::{DOMAIN, RelationshipsError};
use crate::store::Store;

pub use convert::{parse_customer_name, parse_partner_name};
pub use partners::PartnerDirectory;
pub use replicas::follow_replicas;

/// Partner agents read and create customers.
const AGENTS: &[Role] = &[Role::AdminAgent, Role::SalesAgent];
/// The management check also serves the eligibility reviewers.
const CHECKERS: &[Role] = &[Role::AdminAgent, Role::SalesAgent, Role::EligibilityReviewer];
/// Either side may end a relationship.
const ENDERS: &[Role] = &[Role::AdminAgent, Role::CustomerAdmin];
const CUSTOMER_ADMINS: &[Role] = &[Role::CustomerAdmin];
/// Left of the caller's deadline for our own work after a dependency answers.
const DEPENDENCY_MARGIN: Duration = Duration::from_millis(100);

pub struct State {
    pub store: Store,
    pub clock: SharedClock,
    pub hub: Hub<RelationshipEvent>,
    /// Whether a change is published to this replica's watchers by the call that made it
    /// (SQLite, one process). On PostgreSQL every replica, this one too, publishes what it
    /// reads from the outbox (`follow_replicas`), so that each event reaches a stream once.
    pub publish_locally: bool,
    pub partners: PartnerDirectory,
    pub links: Links,
    pub invitation_ttl: chrono::Duration,
    /// The longest a dependency call may take (the server's own request timeout).
    pub dependency_timeout: Duration,
    /// The bounds of this server's Watch streams.
    pub watchers: gcc_platform::events::Watchers,
    /// The response size limit, which a List page stays within.
    pub max_message_bytes: usize,
    /// Sends this service's e-mail notifications; says how, for ListNotifications.
    pub mailer: Arc<gcc_platform::mail::Mailer>,
}

#[derive(Clone)]
pub struct RelationshipsApi(Arc<State>);

impl RelationshipsApi {
    pub fn new(state: State) -> Self {
        Self(Arc::new(state))
    }

    fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }

    /// What is left of the caller's deadline for a call to partner-eligibility.
    fn dependency_deadline<T>(&self, req: &Request<T>) -> Duration {
        gcc_client::downstream_deadline(req.metadata(), DEPENDENCY_MARGIN, self.0.dependency_timeout)
    }

    /// Runs one call through the shared answering path (refusals become a `Status`,
    /// denials of a known caller are audited).
    async fn run<T>(
        &self,
        caller: &Caller,
        action: &str,
        target: &str,
        work: impl Future<Output = Result<T, RelationshipsError>>,
    ) -> Result<Response<T>, Status> {
        let answerer = Answerer { domain: DOMAIN, db: self.0.store.db() };
        answerer.run(caller, to_micros(self.now()), (action, target), work, RelationshipsError::into_problem).await
    }

    /// Tells the watchers of the partner (and of its provider) about a committed change.
    fn publish(&self, r: &Relationship, kind: EventKind) {
        if !self.0.publish_locally {
            return;
        }
        for e in r.events(kind, self.now()) {
            self.0.hub.publish(e);
        }
    }
}

fn caller_of<T>(req: &Request<T>) -> Result<Caller, Status> {
    calls::caller_of(DOMAIN, req)
}

/// The scope of idempotency records: one per calling tenant.
fn idempotency_key(
    caller: &Caller,
    method: &str,
    request_id: &str,
    body: &impl prost::Message,
) -> Result<Option<IdempotencyKey>, Problem> {
    IdempotencyKey::new(caller.tenant.to_string(), method, request_id, body)
}

#[tonic::async_trait]
impl RelationshipsService for RelationshipsApi {
    async fn create_customer(&self, req: Request<pb::CreateCustomerRequest>) -> Result<Response<pb::Customer>, Status> {
        self.create(req).await
    }

    async fn get_customer(&self, req: Request<pb::GetCustomerRequest>) -> Result<Response<pb::Customer>, Status> {
        self.customer(req).await
    }

    async fn list_customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        self.customers(req).await
    }

    async fn create_relationship_request(
        &self,
        req: Request<pb::CreateRelationshipRequestRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        self.create_invitation(req).await
    }

    async fn get_relationship_request(
        &self,
        req: Request<pb::GetRelationshipRequestRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        self.get_invitation(req).await
    }

    async fn list_relationship_requests(
        &self,
        req: Request<pb::ListRelationshipRequestsRequest>,
    ) -> Result<Response<pb::ListRelationshipRequestsResponse>, Status> {
        self.list_invitations(req).await
    }

    async fn update_relationship_request_email(
        &self,
        req: Request<pb::UpdateRelationshipRequestEmailRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        self.update_email(req).await
    }

    async fn resend_relationship_request(
        &self,
        req: Request<pb::ResendRelationshipRequestRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        self.resend(req).await
    }

    async fn revoke_relationship_request(
        &self,
        req: Request<pb::RevokeRelationshipRequestRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        self.revoke_invitation(req).await
    }

    async fn accept_relationship_request(
        &self,
        req: Request<pb::AcceptRelationshipRequestRequest>,
    ) -> Result<Response<pb::CustomerRelationship>, Status> {
        self.accept(req).await
    }

    async fn revoke_customer_relationship(
        &self,
        req: Request<pb::RevokeCustomerRelationshipRequest>,
    ) -> Result<Response<pb::CustomerRelationship>, Status> {
        self.revoke_relationship(req).await
    }

    async fn check_customer_management(
        &self,
        req: Request<pb::CheckCustomerManagementRequest>,
    ) -> Result<Response<pb::CheckCustomerManagementResponse>, Status> {
        self.check_management(req).await
    }

    async fn send_relationship_request_email(
        &self,
        req: Request<pb::SendRelationshipRequestEmailRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        self.send_email(req).await
    }

    async fn list_notifications(
        &self,
        req: Request<gcc_proto::notification::ListNotificationsRequest>,
    ) -> Result<Response<gcc_proto::notification::ListNotificationsResponse>, Status> {
        self.notifications(req).await
    }

    type WatchRelationshipEventsStream = watch::EventStream;

    async fn watch_relationship_events(
        &self,
        req: Request<pb::WatchRelationshipEventsRequest>,
    ) -> Result<Response<Self::WatchRelationshipEventsStream>, Status> {
        let caller = caller_of(&req)?;
        let changes = self.0.hub.subscribe();
        self.run(&caller, "relationship.watch", &PartnerName::new(caller.tenant).to_string(), async {
            caller.require(AGENTS)?;
            let slot = self.0.watchers.admit(caller.tenant)?;
            Ok(watch::stream(slot, caller.tenant, changes))
        })
        .await
    }
}
