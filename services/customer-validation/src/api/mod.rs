//! The gRPC surface of customer-validation. Handlers check roles and visibility, parse at
//! the edge, read facts from their owners, and map every failure through
//! `ValidationError`. Reviews live here; codes and the gate in their own files.

mod codes;
mod convert;
mod gate;
mod reviews;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gcc_platform::audit::record_reviewer_read;
use gcc_platform::calls::{self, Answerer};
use gcc_platform::events::{Hub, WatchStream, Watched, Watchers, watch};
use gcc_platform::time::{BusinessCalendar, SharedClock, to_micros};
use gcc_platform::{Caller, Role};
use gcc_proto::validation as pb;
use gcc_proto::validation::customer_validation_service_server::CustomerValidationService;
use tonic::{Request, Response, Status};

use crate::domain::CustomerValidation;
use crate::error::{DOMAIN, ValidationError};
use crate::facts::FactSource;
use crate::store::Store;

const AGENTS: &[Role] = &[Role::AdminAgent, Role::SalesAgent];
const AGENTS_AND_REVIEWERS: &[Role] = &[Role::AdminAgent, Role::SalesAgent, Role::EligibilityReviewer];
const REVIEWERS: &[Role] = &[Role::EligibilityReviewer];
/// R11: a review takes up to two business days.
const REVIEW_BUSINESS_DAYS: u32 = 2;
/// Time kept for our own work when passing a caller's deadline on.
const DEADLINE_MARGIN: Duration = Duration::from_millis(20);

pub struct State {
    pub store: Store,
    pub clock: SharedClock,
    pub calendar: BusinessCalendar,
    pub hub: Hub<CustomerValidation>,
    pub facts: FactSource,
    pub eligibility_contact: String,
    /// How long an issued validation code qualifies customers (R12).
    pub code_ttl: Duration,
    /// Deadline of a call to another service when the caller set none (or a longer one).
    pub dependency_timeout: Duration,
    /// The bounds of this server's Watch streams.
    pub watchers: Watchers,
    /// The response size limit, which a List page stays within.
    pub max_message_bytes: usize,
    /// The gate's verdicts.
    pub metrics: gcc_platform::metrics::Metrics,
    /// Sends this service's e-mail notifications; says how, for ListNotifications.
    pub mailer: Arc<gcc_platform::mail::Mailer>,
}

#[derive(Clone)]
pub struct ValidationApi(Arc<State>);

impl ValidationApi {
    pub fn new(state: State) -> Self {
        Self(Arc::new(state))
    }

    fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }

    fn due_from(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        self.0.calendar.add_business_days(t, REVIEW_BUSINESS_DAYS)
    }

    fn deadline<T>(&self, req: &Request<T>) -> Duration {
        gcc_client::downstream_deadline(req.metadata(), DEADLINE_MARGIN, self.0.dependency_timeout)
    }

    /// Audits a reviewer's read of customer contact data (`names` read, under `target`).
    fn audit_reviewer_read(&self, caller: &Caller, target: &str, names: &[&str]) {
        let now = to_micros(self.now());
        record_reviewer_read(self.0.store.db(), caller, now, "customer_validation.read", target, names);
    }

    /// Runs one call; refusals become a `Status`, and denials are audited.
    async fn run<T>(
        &self,
        caller: &Caller,
        action: &str,
        target: &str,
        work: impl Future<Output = Result<T, ValidationError>>,
    ) -> Result<Response<T>, Status> {
        let help = &self.0.eligibility_contact;
        // The clock is read up front: the same instant stamps a denial's audit entry.
        Answerer { domain: DOMAIN, db: self.0.store.db() }
            .run(caller, to_micros(self.now()), (action, target), work, |e: ValidationError| e.into_problem(help))
            .await
    }
}

fn caller_of<T>(req: &Request<T>) -> Result<Caller, Status> {
    calls::caller_of(DOMAIN, req)
}

impl Watched for CustomerValidation {
    fn key(&self) -> &str {
        &self.id
    }
    fn is_final(&self) -> bool {
        self.state.is_final()
    }
    fn version(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

#[tonic::async_trait]
impl CustomerValidationService for ValidationApi {
    async fn submit_customer_validation(
        &self,
        req: Request<pb::SubmitCustomerValidationRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        self.submit(req).await
    }

    async fn get_customer_validation(
        &self,
        req: Request<pb::GetCustomerValidationRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        let caller = caller_of(&req)?;
        let name = req.into_inner().name;
        self.run(&caller, "customer_validation.get", &name, async {
            caller.require(AGENTS_AND_REVIEWERS)?;
            let validation = convert::validation(&self.visible(&caller, &name).await?);
            self.audit_reviewer_read(&caller, &name, &[&validation.name]);
            Ok(validation)
        })
        .await
    }

    async fn list_customer_validations(
        &self,
        req: Request<pb::ListCustomerValidationsRequest>,
    ) -> Result<Response<pb::ListCustomerValidationsResponse>, Status> {
        self.list(req).await
    }

    async fn approve_customer_validation(
        &self,
        req: Request<pb::ApproveCustomerValidationRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        self.approve(req).await
    }

    async fn reject_customer_validation(
        &self,
        req: Request<pb::RejectCustomerValidationRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        self.reject(req).await
    }

    async fn contact_customer(
        &self,
        req: Request<pb::ContactCustomerRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        self.contact(req).await
    }

    async fn resume_customer_validation_review(
        &self,
        req: Request<pb::ResumeCustomerValidationReviewRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        self.resume(req).await
    }

    type WatchCustomerValidationStream = WatchStream<pb::CustomerValidation>;

    async fn watch_customer_validation(
        &self,
        req: Request<pb::WatchCustomerValidationRequest>,
    ) -> Result<Response<Self::WatchCustomerValidationStream>, Status> {
        let caller = caller_of(&req)?;
        let name = req.into_inner().name;
        // Subscribe before reading, so that no change in between is missed.
        let changes = self.0.hub.subscribe();
        self.run(&caller, "customer_validation.watch", &name, async {
            caller.require(AGENTS_AND_REVIEWERS)?;
            let slot = self.0.watchers.admit(caller.tenant)?;
            let current = self.visible(&caller, &name).await?;
            let store = self.0.store.clone();
            let reload = move |id: String| {
                let store = store.clone();
                async move { store.validation(&id).await.map_err(|e| e.into_problem("").into_status(DOMAIN)) }
            };
            Ok(watch(slot, current, changes, reload, convert::validation))
        })
        .await
    }

    async fn list_validation_codes(
        &self,
        req: Request<pb::ListValidationCodesRequest>,
    ) -> Result<Response<pb::ListValidationCodesResponse>, Status> {
        self.list_codes(req).await
    }

    async fn apply_validation_code(
        &self,
        req: Request<pb::ApplyValidationCodeRequest>,
    ) -> Result<Response<pb::SpecialQualification>, Status> {
        self.apply_code(req).await
    }

    async fn list_special_qualifications(
        &self,
        req: Request<pb::ListSpecialQualificationsRequest>,
    ) -> Result<Response<pb::ListSpecialQualificationsResponse>, Status> {
        self.qualifications(req).await
    }

    async fn check_eligibility(
        &self,
        req: Request<pb::CheckEligibilityRequest>,
    ) -> Result<Response<pb::EligibilityVerdict>, Status> {
        self.check(req).await
    }

    async fn list_notifications(
        &self,
        req: Request<gcc_proto::notification::ListNotificationsRequest>,
    ) -> Result<Response<gcc_proto::notification::ListNotificationsResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "notification.list", "notifications", async {
            caller.require(AGENTS_AND_REVIEWERS)?;
            // A partner sees the notifications about the validations it submitted.
            let tenant = (!caller.has(Role::EligibilityReviewer)).then(|| caller.tenant.to_string());
            let page = gcc_platform::mail::list_notifications(
                self.0.store.db(),
                &self.0.mailer,
                tenant.as_deref(),
                req.get_ref(),
                self.0.max_message_bytes,
            )
            .await?;
            Ok(page)
        })
        .await
    }
}

/// Feeds the local hub with the validations that any replica changes (PostgreSQL; see
/// `gcc_platform::changes`), re-read from the database.
pub async fn follow_replicas(
    db: &gcc_platform::db::Db,
    url: &str,
    store: Store,
    hub: Hub<CustomerValidation>,
) -> anyhow::Result<()> {
    gcc_platform::changes::follow(db, url, move |name: String| {
        let (store, hub) = (store.clone(), hub.clone());
        async move {
            if let Some(id) = name.strip_prefix("customerValidations/") {
                match store.validation(id).await {
                    Ok(Some(v)) => hub.publish(v),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, name, "cannot re-read a changed validation"),
                }
            }
        }
    })
    .await
}
