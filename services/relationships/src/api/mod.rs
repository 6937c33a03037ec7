//! The gRPC surface of relationships: checks roles and visibility, parses at the edge,
//! asks partner-eligibility where a mutation needs it, calls the store, and maps every
//! failure through `RelationshipsError`.

mod convert;
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
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::{CustomerName, PartnerName};
use gcc_platform::paging::Page;
use gcc_platform::time::{SharedClock, to_micros};
use gcc_platform::{Caller, Problem, Role, TenantId};
use gcc_proto::relationships as pb;
use gcc_proto::relationships::relationships_service_server::RelationshipsService;
use tonic::{Request, Response, Status};

use crate::domain::{Customer, EventKind, Links, ManagementKind, Relationship, RelationshipEvent, customer::fold};
use crate::error::{DOMAIN, RelationshipsError};
use crate::store::{CustomerFilter, Store};

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
        let caller = caller_of(&req)?;
        let deadline = self.dependency_deadline(&req);
        self.run(&caller, "customer.create", "customers", async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "CreateCustomer", &request_id, &body)?;
            let profile = convert::parse_new_customer(body.customer)?;
            // A retry is answered from its record, even while partner-eligibility is down.
            if let Some(key) = &key
                && let Some(customer) = idempotency::peek::<Customer>(self.0.store.db(), key).await?
            {
                return Ok(convert::customer(&customer, ManagementKind::Direct));
            }
            let acting = self.0.partners.acting(&caller, deadline).await?;
            let (customer, fresh) =
                self.0.store.create_customer(&caller, key.as_ref(), acting, profile, self.now()).await?;
            if fresh {
                let r = Relationship {
                    partner: acting.tenant,
                    customer: customer.tenant,
                    provider: acting.provider,
                    active: true,
                };
                self.publish(&r, EventKind::Activated);
            }
            Ok(convert::customer(&customer, ManagementKind::Direct))
        })
        .await
    }

    async fn get_customer(&self, req: Request<pb::GetCustomerRequest>) -> Result<Response<pb::Customer>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "customer.get", &name, async {
            caller.require(AGENTS)?;
            let tenant = parse_customer_name("name", &name)?;
            let (customer, kind) = self
                .0
                .store
                .managed_customer(caller.tenant, tenant)
                .await?
                .ok_or_else(|| RelationshipsError::CustomerNotFound(name.clone()))?;
            Ok(convert::customer(&customer, kind))
        })
        .await
    }

    async fn list_customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "customer.list", "customers", async {
            caller.require(AGENTS)?;
            let body = req.get_ref();
            let filter = CustomerFilter {
                name_prefix: fold(&convert::optional_text("name_prefix", &body.name_prefix, 200)?),
                domain_prefix: convert::optional_text("domain_prefix", &body.domain_prefix, 253)?.to_ascii_lowercase(),
            };
            let fingerprint = format!("{:?}/{:?}", filter.name_prefix, filter.domain_prefix);
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.list_customers(caller.tenant, &filter, &page).await?;
            let (customers, next_page_token) = page.finish(
                rows,
                |(c, _)| c.tenant.to_string(),
                |(c, kind)| convert::customer(c, *kind),
                self.0.max_message_bytes,
            )?;
            Ok(pb::ListCustomersResponse { customers, next_page_token })
        })
        .await
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
        let caller = caller_of(&req)?;
        let target = req.get_ref().customer.clone();
        self.run(&caller, "relationship.revoke", &target, async {
            caller.require(ENDERS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "RevokeCustomerRelationship", &request_id, &body)?;
            let customer = parse_customer_name("customer", &body.customer)?;
            let partner = ending_partner(&caller, customer, &body.partner)?;
            let (r, fresh) =
                self.0.store.revoke_relationship(&caller, key.as_ref(), partner, customer, self.now()).await?;
            if fresh {
                self.publish(&r, EventKind::Revoked);
            }
            Ok(convert::relationship(&r))
        })
        .await
    }

    async fn check_customer_management(
        &self,
        req: Request<pb::CheckCustomerManagementRequest>,
    ) -> Result<Response<pb::CheckCustomerManagementResponse>, Status> {
        let caller = caller_of(&req)?;
        let target = req.get_ref().customer.clone();
        let deadline = self.dependency_deadline(&req);
        self.run(&caller, "customer.check_management", &target, async {
            caller.require(CHECKERS)?;
            let body = req.get_ref();
            let customer = parse_customer_name("customer", &body.customer)?;
            let partner = match body.partner.as_str() {
                "" => caller.tenant,
                name => parse_partner_name("partner", name)?,
            };
            // A partner asks about itself; another partner is as unknown as a missing one.
            if partner != caller.tenant && !caller.has(Role::EligibilityReviewer) {
                return Err(RelationshipsError::PartnerNotFound(body.partner.clone()));
            }
            // R1a: a reseller's relationship counts for the provider it transacts through
            // now, not the one recorded when the invitation was made. A provider whose link
            // has ended no longer manages the reseller's customers.
            for (m, domain) in self.0.store.management(partner, customer).await? {
                let provider = match m.provider {
                    None => None,
                    Some(_) => self.0.partners.current_provider(&caller, m.managing_partner, deadline).await?,
                };
                if m.kind == ManagementKind::IndirectProvider && provider != Some(partner) {
                    continue;
                }
                return Ok(pb::CheckCustomerManagementResponse {
                    managed: true,
                    management: convert::management_kind(m.kind) as i32,
                    managing_partner: PartnerName::new(m.managing_partner).to_string(),
                    indirect_provider: provider.map(|p| PartnerName::new(p).to_string()).unwrap_or_default(),
                    customer_domain: domain,
                });
            }
            Ok(pb::CheckCustomerManagementResponse::default())
        })
        .await
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

/// Whose relationship the caller may end: a partner's admin agent its own (the partner
/// field empty or itself); a customer's admin its own customer's, with a named partner.
/// Anything else is as unknown as a missing relationship.
fn ending_partner(caller: &Caller, customer: TenantId, partner: &str) -> Result<TenantId, RelationshipsError> {
    let not_found = |p: String| RelationshipsError::RelationshipNotFound {
        partner: p,
        customer: CustomerName::new(customer).to_string(),
    };
    if caller.has(Role::CustomerAdmin) && customer == caller.tenant {
        return Ok(parse_partner_name("partner", partner)?);
    }
    if !caller.has(Role::AdminAgent) {
        return Err(not_found(partner.to_owned()));
    }
    let named = match partner {
        "" => caller.tenant,
        name => parse_partner_name("partner", name)?,
    };
    if named != caller.tenant {
        return Err(not_found(PartnerName::new(named).to_string()));
    }
    Ok(named)
}
