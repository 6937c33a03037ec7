//! The service set (`gcc_e2e::Stack`) on one manual clock; the calls the tests are
//! about. The set-up steps are the shared `gcc_testkit::walk::Steps`.

use std::sync::Arc;

use gcc_e2e::{Options, Stack};
use gcc_platform::TenantId;
use gcc_platform::time::ManualClock;
use gcc_proto::types::OfferFamily;
use gcc_proto::{partner as ppb, validation as pb};
pub use gcc_testkit::walk::admin;
use gcc_testkit::walk::{self, approval, code_application, enrollment};
use gcc_testkit::{authed, manual_clock, reviewer_token};
use tonic::Status;

pub struct World {
    pub clock: ManualClock,
    stack: Stack,
}

// The running set, its set-up steps and clients of the servers.
gcc_e2e::world_of_stack!(World);

impl World {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// `extra` are flags for customer-validation.
    pub async fn spawn_with(extra: &[&str]) -> Self {
        let clock = manual_clock();
        let stack = Stack::start(Options {
            postgres: std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty()),
            validation_args: extra.iter().map(|f| (*f).to_owned()).collect(),
            clock: Some(Arc::new(clock.clone())),
            ..Default::default()
        })
        .await
        .expect("the service set starts");
        Self { clock, stack }
    }

    /// Rows in a customer-validation table.
    pub fn db_url(&self) -> &str {
        self.stack.database_urls()[2]
    }

    pub async fn count(&self, table: &str) -> i64 {
        gcc_testkit::count_rows(self.db_url(), table).await
    }

    /// An enrolled partner; an indirect reseller names `provider`; `azure` is its GCC
    /// tenant in Azure, if it has one.
    pub async fn enrolled(
        &self,
        kind: ppb::PartnerType,
        provider: Option<TenantId>,
        azure: Option<TenantId>,
    ) -> TenantId {
        let tenant = TenantId::random();
        let mut req = enrollment(tenant, kind, provider);
        if let Some(partner) = req.partner.as_mut() {
            partner.azure_gcc_tenant_id = azure.map(|a| a.to_string()).unwrap_or_default();
        }
        self.partners().enroll_partner(authed(req, &admin(tenant))).await.expect("enroll");
        if let Some(provider) = provider {
            self.link_approved(provider, tenant).await;
        }
        tenant
    }

    pub async fn submit(
        &self,
        partner: TenantId,
        req: pb::SubmitCustomerValidationRequest,
    ) -> Result<pb::CustomerValidation, Status> {
        self.validation().submit_customer_validation(authed(req, &admin(partner))).await.map(|r| r.into_inner())
    }

    pub async fn approve(&self, name: &str, uses: i32) -> Result<pb::CustomerValidation, Status> {
        let req = approval(name, uses);
        self.validation().approve_customer_validation(authed(req, &reviewer_token())).await.map(|r| r.into_inner())
    }

    pub async fn apply(
        &self,
        partner: TenantId,
        code: &str,
        customer: TenantId,
    ) -> Result<pb::SpecialQualification, Status> {
        let req = code_application(code, customer);
        self.validation().apply_validation_code(authed(req, &admin(partner))).await.map(|r| r.into_inner())
    }

    /// An approved validation's code for `partner` (submitted with `tenant_id`), for the
    /// organization `example.gov`, which every customer of `customer_of` is within (R12).
    pub async fn approved_code(&self, partner: TenantId, tenant_id: TenantId, uses: i32) -> String {
        let v = self.submit(partner, walk::submission_for(tenant_id, "example.gov", None)).await.expect("submit");
        self.approve(&v.name, uses).await.expect("approve").validation_code
    }

    pub async fn check(
        &self,
        token: &str,
        customer: TenantId,
        families: &[OfferFamily],
    ) -> Result<pb::EligibilityVerdict, Status> {
        let req = pb::CheckEligibilityRequest {
            customer: format!("customers/{customer}"),
            offer_families: families.iter().map(|f| *f as i32).collect(),
            partner: String::new(),
        };
        self.validation().check_eligibility(authed(req, token)).await.map(|r| r.into_inner())
    }
}

/// A complete, valid submission giving `tenant_id` as the transacting partner's tenant.
pub fn submission(tenant_id: TenantId) -> pb::SubmitCustomerValidationRequest {
    walk::submission(tenant_id, None)
}

pub fn reasons(v: &pb::EligibilityVerdict) -> Vec<pb::IneligibilityReason> {
    v.reasons.iter().map(|r| pb::IneligibilityReason::try_from(*r).expect("known reason")).collect()
}

pub fn state(v: &pb::CustomerValidation) -> pb::customer_validation::State {
    pb::customer_validation::State::try_from(v.state).expect("known state")
}

pub const ALL_FAMILIES: [OfferFamily; 4] =
    [OfferFamily::Office365, OfferFamily::Dynamics365, OfferFamily::Ems, OfferFamily::PowerBi];
