//! The gRPC surface of partner-eligibility: checks roles and visibility, parses at the
//! edge, calls the store, and maps every failure through `PartnerError`.

mod convert;
mod links;
mod validations;
mod watch;

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use gcc_platform::calls::{self, Answerer};
use gcc_platform::events::{Hub, Watchers};
use gcc_platform::fields::parse_enum_filter;
use gcc_platform::idempotency::IdempotencyKey;
use gcc_platform::mail::list_notifications;
use gcc_platform::paging::Page;
use gcc_platform::time::{BusinessCalendar, SharedClock, to_micros};
use gcc_platform::{Caller, Role, TenantId};
use gcc_proto::partner as pb;
use gcc_proto::partner::partner_eligibility_service_server::PartnerEligibilityService;
use tonic::{Request, Response, Status};

use crate::domain::{PartnerValidation, ResellerLink};
use crate::error::{DOMAIN, PartnerError};
use crate::store::Store;

pub use convert::{parse_partner_name, partner_name};
pub use watch::follow_replicas;

/// Partner agents and reviewers may read; customers may not.
const READERS: &[Role] = &[Role::AdminAgent, Role::SalesAgent, Role::EligibilityReviewer];
const REVIEWERS: &[Role] = &[Role::EligibilityReviewer];
const ADMINS: &[Role] = &[Role::AdminAgent];
/// R4: reviewers answer within two business days.
const REVIEW_BUSINESS_DAYS: u32 = 2;

pub struct State {
    pub store: Store,
    pub clock: SharedClock,
    pub calendar: BusinessCalendar,
    pub hub: Hub<PartnerValidation>,
    /// Committed changes of reseller links, for `WatchResellerLink`.
    pub links: Hub<ResellerLink>,
    pub eligibility_contact: String,
    /// The bounds of this server's Watch streams.
    pub watchers: Watchers,
    /// The response size limit, which a List page stays within.
    pub max_message_bytes: usize,
    /// Sends this service's e-mail notifications; says how, for ListNotifications.
    pub mailer: Arc<gcc_platform::mail::Mailer>,
}

#[derive(Clone)]
pub struct PartnerApi(Arc<State>);

impl PartnerApi {
    pub fn new(state: State) -> Self {
        Self(Arc::new(state))
    }

    fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }

    fn due_from(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        self.0.calendar.add_business_days(t, REVIEW_BUSINESS_DAYS)
    }

    /// Runs one call; a refusal becomes a `Status`, and denials of a known caller are
    /// written to the audit trail.
    async fn run<T>(
        &self,
        caller: &Caller,
        action: &str,
        target: &str,
        work: impl Future<Output = Result<T, PartnerError>>,
    ) -> Result<Response<T>, Status> {
        let help = &self.0.eligibility_contact;
        // The clock is read up front: the same instant stamps a denial's audit entry.
        Answerer { domain: DOMAIN, db: self.0.store.db() }
            .run(caller, to_micros(self.now()), (action, target), work, |e: PartnerError| e.into_problem(help))
            .await
    }
}

fn caller_of<T>(req: &Request<T>) -> Result<Caller, Status> {
    calls::caller_of(DOMAIN, req)
}

#[tonic::async_trait]
impl PartnerEligibilityService for PartnerApi {
    async fn enroll_partner(&self, req: Request<pb::EnrollPartnerRequest>) -> Result<Response<pb::Partner>, Status> {
        let caller = caller_of(&req)?;
        let target = partner_name(caller.tenant);
        self.run(&caller, "partner.enroll", &target, async {
            caller.require(ADMINS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = IdempotencyKey::new(caller.tenant.to_string(), "EnrollPartner", &request_id, &body)?;
            let new = convert::parse_new_partner(body.partner)?;
            new.check(caller.tenant)?;
            let ((partner, link), fresh) = self.0.store.enroll(&caller, key.as_ref(), new, self.now()).await?;
            if fresh && let Some(link) = link {
                self.0.links.publish(link);
            }
            Ok(convert::partner(&partner))
        })
        .await
    }

    async fn get_partner(&self, req: Request<pb::GetPartnerRequest>) -> Result<Response<pb::Partner>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "partner.get", &name, async {
            caller.require(READERS)?;
            let tenant = parse_partner_name("name", &name)?;
            let partner = self
                .0
                .store
                .partner(tenant)
                .await?
                .filter(|p| caller.has(Role::EligibilityReviewer) || p.visible_to(caller.tenant))
                .ok_or_else(|| PartnerError::PartnerNotFound(name.clone()))?;
            Ok(convert::partner(&partner))
        })
        .await
    }

    async fn list_partners(
        &self,
        req: Request<pb::ListPartnersRequest>,
    ) -> Result<Response<pb::ListPartnersResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "partner.list", "partners", async {
            caller.require(READERS)?;
            let body = req.get_ref();
            let partner_type = parse_enum_filter::<pb::PartnerType>("partner_type", body.partner_type)?
                .and_then(convert::partner_type_from);
            let visible_to = (!caller.has(Role::EligibilityReviewer)).then_some(caller.tenant);
            let filter = format!("{visible_to:?}/{partner_type:?}");
            let page = Page::parse(body.page_size, &body.page_token, &filter)?;
            let rows = self.0.store.list_partners(visible_to, partner_type, &page).await?;
            let (partners, next_page_token) =
                page.finish(rows, |p| p.tenant.to_string(), convert::partner, self.0.max_message_bytes)?;
            Ok(pb::ListPartnersResponse { partners, next_page_token })
        })
        .await
    }

    async fn submit_partner_validation(
        &self,
        req: Request<pb::SubmitPartnerValidationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        self.submit_partner_validation_rpc(req).await
    }

    async fn get_partner_validation(
        &self,
        req: Request<pb::GetPartnerValidationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        self.get_partner_validation_rpc(req).await
    }

    async fn list_partner_validations(
        &self,
        req: Request<pb::ListPartnerValidationsRequest>,
    ) -> Result<Response<pb::ListPartnerValidationsResponse>, Status> {
        self.list_partner_validations_rpc(req).await
    }

    async fn approve_partner_validation(
        &self,
        req: Request<pb::ApprovePartnerValidationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        self.approve_partner_validation_rpc(req).await
    }

    async fn reject_partner_validation(
        &self,
        req: Request<pb::RejectPartnerValidationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        self.reject_partner_validation_rpc(req).await
    }

    async fn request_partner_validation_information(
        &self,
        req: Request<pb::RequestPartnerValidationInformationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        self.request_partner_validation_information_rpc(req).await
    }

    async fn provide_partner_validation_information(
        &self,
        req: Request<pb::ProvidePartnerValidationInformationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        self.provide_partner_validation_information_rpc(req).await
    }

    async fn lookup_transacting_partner(
        &self,
        req: Request<pb::LookupTransactingPartnerRequest>,
    ) -> Result<Response<pb::TransactingPartner>, Status> {
        let caller = caller_of(&req)?;
        let asked = req.get_ref().tenant_id.clone();
        self.run(&caller, "partner.lookup_transacting", &asked, async {
            caller.require(READERS)?;
            let tenant: TenantId = TenantId::parse_field("tenant_id", &asked)?;
            // A partner asks about itself, or about a reseller whose active link is with it.
            let found = self
                .0
                .store
                .transacting_partner(tenant)
                .await?
                .filter(|t| {
                    caller.has(Role::EligibilityReviewer)
                        || t.partner == caller.tenant
                        || t.transacting == Some(caller.tenant)
                })
                .ok_or_else(|| PartnerError::PartnerNotFound(partner_name(tenant)))?;
            Ok(convert::transacting(&found))
        })
        .await
    }

    type WatchPartnerValidationStream = watch::ValidationStream;

    async fn watch_partner_validation(
        &self,
        req: Request<pb::WatchPartnerValidationRequest>,
    ) -> Result<Response<Self::WatchPartnerValidationStream>, Status> {
        self.watch_validation(req).await
    }

    async fn create_reseller_link(
        &self,
        req: Request<pb::CreateResellerLinkRequest>,
    ) -> Result<Response<pb::ResellerLink>, Status> {
        self.create_link(req).await
    }

    async fn approve_reseller_link(
        &self,
        req: Request<pb::ApproveResellerLinkRequest>,
    ) -> Result<Response<pb::ResellerLink>, Status> {
        self.approve_link(req).await
    }

    async fn end_reseller_link(
        &self,
        req: Request<pb::EndResellerLinkRequest>,
    ) -> Result<Response<pb::ResellerLink>, Status> {
        self.end_link(req).await
    }

    async fn get_reseller_link(
        &self,
        req: Request<pb::GetResellerLinkRequest>,
    ) -> Result<Response<pb::ResellerLink>, Status> {
        self.get_link(req).await
    }

    async fn list_reseller_links(
        &self,
        req: Request<pb::ListResellerLinksRequest>,
    ) -> Result<Response<pb::ListResellerLinksResponse>, Status> {
        self.list_links(req).await
    }

    type WatchResellerLinkStream = links::LinkStream;

    async fn watch_reseller_link(
        &self,
        req: Request<pb::WatchResellerLinkRequest>,
    ) -> Result<Response<Self::WatchResellerLinkStream>, Status> {
        self.watch_link(req).await
    }

    async fn list_notifications(
        &self,
        req: Request<gcc_proto::notification::ListNotificationsRequest>,
    ) -> Result<Response<gcc_proto::notification::ListNotificationsResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "notification.list", "notifications", async {
            caller.require(&[Role::AdminAgent, Role::EligibilityReviewer])?;
            // A partner sees the notifications about its own validations only.
            let tenant = (!caller.has(Role::EligibilityReviewer)).then(|| caller.tenant.to_string());
            let db = self.0.store.db();
            let page =
                list_notifications(db, &self.0.mailer, tenant.as_deref(), req.get_ref(), self.0.max_message_bytes)
                    .await?;
            Ok(page)
        })
        .await
    }
}
