//! Spawns the real server on 127.0.0.1:0 with a fresh database and a manual clock.

use std::sync::Arc;

use clap::Parser;
use gcc_platform::TenantId;
use gcc_platform::auth::Verifier;
use gcc_platform::time::ManualClock;
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::partner::{self as pb, partner_validation::State};
pub use gcc_testkit::walk::admin;
use gcc_testkit::walk::enrollment;
use gcc_testkit::{TestDb, authed, channel, listener, manual_clock, reviewer_token, verifier};
use partner_eligibility::{Application, Config};
use tonic::Status;
use tonic::transport::Channel;

pub type Client = PartnerEligibilityServiceClient<Channel>;

pub struct TestApp {
    pub client: Client,
    pub clock: ManualClock,
    pub db_url: String,
    pub app: Option<Application>,
    _db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(extra: &[&str]) -> Self {
        Self::spawn_with_verifier(extra, verifier()).await
    }

    /// A server whose tokens are checked by `verifier` (e.g. one built from its flags).
    pub async fn spawn_with_verifier(extra: &[&str], verifier: Arc<Verifier>) -> Self {
        Self::spawn_on(TestDb::fresh().await, extra, verifier).await
    }

    /// Another replica on the database of `self` (PostgreSQL: a second process would do
    /// the same).
    pub async fn replica(&self) -> Self {
        let db = TestDb::existing(&self.db_url);
        Self::spawn_on(db, &[], verifier()).await
    }

    async fn spawn_on(db: TestDb, extra: &[&str], verifier: Arc<Verifier>) -> Self {
        let mut args = vec!["partner-eligibility", "--database-url", &db.url];
        args.extend_from_slice(&gcc_testkit::reviewer_args());
        args.extend_from_slice(extra);
        let config = Config::try_parse_from(args).expect("test config");
        let clock = manual_clock();
        let app = partner_eligibility::build(&config, listener().await, Arc::new(clock.clone()), verifier)
            .await
            .expect("server starts");
        let client = PartnerEligibilityServiceClient::new(channel(app.local_addr()).await);
        Self { client, clock, db_url: db.url.clone(), app: Some(app), _db: db }
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Rows in a table, read straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        gcc_testkit::count_rows(&self.db_url, table).await
    }

    pub async fn enroll(
        &self,
        tenant: TenantId,
        partner_type: pb::PartnerType,
        provider: Option<TenantId>,
    ) -> Result<pb::Partner, Status> {
        let req = enrollment(tenant, partner_type, provider);
        self.client().enroll_partner(authed(req, &admin(tenant))).await.map(|r| r.into_inner())
    }

    /// A newly enrolled indirect reseller of `provider`, whose link the provider approved
    /// (R1a).
    pub async fn linked_reseller(&self, provider: TenantId) -> TenantId {
        let reseller = TenantId::random();
        self.enroll(reseller, pb::PartnerType::IndirectReseller, Some(provider)).await.expect("enroll");
        gcc_testkit::walk::approve_link(&mut self.client(), provider, reseller).await;
        reseller
    }

    /// A newly enrolled partner of `partner_type`.
    pub async fn enrolled(&self, partner_type: pb::PartnerType) -> TenantId {
        let tenant = TenantId::random();
        self.enroll(tenant, partner_type, None).await.expect("enroll");
        tenant
    }

    pub async fn submit(&self, tenant: TenantId) -> Result<pb::PartnerValidation, Status> {
        self.client()
            .submit_partner_validation(authed(submission(tenant, ""), &admin(tenant)))
            .await
            .map(|r| r.into_inner())
    }

    pub async fn approve(&self, name: &str) -> Result<pb::PartnerValidation, Status> {
        let req = pb::ApprovePartnerValidationRequest { name: name.to_owned(), request_id: String::new() };
        self.client().approve_partner_validation(authed(req, &reviewer_token())).await.map(|r| r.into_inner())
    }

    /// A direct reseller holding GCC.
    pub async fn qualified(&self, partner_type: pb::PartnerType) -> TenantId {
        let tenant = self.enrolled(partner_type).await;
        let v = self.submit(tenant).await.expect("submit");
        self.approve(&v.name).await.expect("approve");
        tenant
    }

    pub async fn get_partner(&self, tenant: TenantId, as_token: &str) -> Result<pb::Partner, Status> {
        let req = pb::GetPartnerRequest { name: format!("partners/{tenant}") };
        self.client().get_partner(authed(req, as_token)).await.map(|r| r.into_inner())
    }
}

pub fn submission(tenant: TenantId, request_id: &str) -> pb::SubmitPartnerValidationRequest {
    pb::SubmitPartnerValidationRequest {
        partner_validation: Some(pb::PartnerValidation {
            tenant_id: tenant.to_string(),
            qualifying_basis: pb::QualifyingBasis::GovernmentEntities as i32,
            contact_email: "gov.sales@contoso.example".into(),
            details: "Serves three state agencies".into(),
            ..Default::default()
        }),
        request_id: request_id.to_owned(),
    }
}

pub fn state(v: &pb::PartnerValidation) -> State {
    State::try_from(v.state).expect("known state")
}
