//! Spawns relationships on 127.0.0.1:0 with a fresh database, beside partner-eligibility
//! (both started by the stack's builder, on one manual clock) or without it; enrolls
//! partners through partner-eligibility.

use std::sync::Arc;

use clap::Parser;
use gcc_platform::time::ManualClock;
use gcc_platform::{Role, TenantId};
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::partner::{self as ppb};
use gcc_proto::relationships as pb;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_stack::{Service, StackBuilder};
use gcc_testkit::walk::enrollment;
pub use gcc_testkit::walk::{admin, company_profile as profile, token_of};
use gcc_testkit::{TestDb, authed, channel, listener, manual_clock, token, verifier};
use relationships::{Application, Config};
use tonic::Status;
use tonic::transport::Channel;

pub type Client = RelationshipsServiceClient<Channel>;

pub struct TestApp {
    pub client: Client,
    pub clock: ManualClock,
    pub db_url: String,
    pub app: Option<Application>,
    partner_endpoint: String,
    partners: Option<PartnerEligibilityServiceClient<Channel>>,
    _partner_app: Option<partner_eligibility::Application>,
    _dbs: Vec<TestDb>,
    _key_dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// With partner-eligibility beside it (started together by the stack's builder) and
    /// `extra` flags.
    pub async fn spawn_with(extra: &[&str]) -> Self {
        let clock = manual_clock();
        let (partner_db, db, key_dir) =
            (TestDb::fresh().await, TestDb::fresh().await, tempfile::tempdir().expect("dir"));
        let key_file = invitation_key(&key_dir);
        let mut set = StackBuilder::new(verifier())
            .only(&[Service::Partner, Service::Relationships])
            .clock(Arc::new(clock.clone()))
            .database(Service::Partner, partner_db.url.clone())
            .flags(Service::Partner, ["--reviewer-tenants", gcc_testkit::REVIEWER_TENANT])
            .database(Service::Relationships, db.url.clone())
            .flags(Service::Relationships, ["--invitation-key-file", &key_file])
            .flags(Service::Relationships, extra.iter().copied())
            .start()
            .await
            .expect("partner-eligibility and relationships start");
        let endpoint = format!("http://{}", set.addr(Service::Partner));
        let app = set.relationships.take().expect("relationships runs");
        let mut test = Self::assemble(app, db, clock, &endpoint, key_dir).await;
        test.partners = Some(PartnerEligibilityServiceClient::new(channel(set.addr(Service::Partner)).await));
        test._partner_app = set.partner.take();
        test._dbs.push(partner_db);
        test
    }

    /// With partner-eligibility unreachable: its endpoint is a local port nobody listens on.
    pub async fn spawn_without_partner_service() -> Self {
        let closed = listener().await;
        let endpoint = format!("http://{}", closed.local_addr().expect("addr"));
        drop(closed);
        Self::start(manual_clock(), &endpoint, &[]).await
    }

    async fn start(clock: ManualClock, partner_endpoint: &str, extra: &[&str]) -> Self {
        Self::start_on(TestDb::fresh().await, clock, partner_endpoint, extra).await
    }

    /// Another relationships replica on the database of `self`, beside the same
    /// partner-eligibility (PostgreSQL: a second process would do the same).
    pub async fn replica(&self) -> Self {
        let mut replica =
            Self::start_on(TestDb::existing(&self.db_url), self.clock.clone(), &self.partner_endpoint, &[]).await;
        replica.partners = self.partners.clone();
        replica
    }

    async fn start_on(db: TestDb, clock: ManualClock, partner_endpoint: &str, extra: &[&str]) -> Self {
        let key_dir = tempfile::tempdir().expect("temp dir");
        let key_file = invitation_key(&key_dir);
        let mut args = vec![
            "relationships",
            "--database-url",
            &db.url,
            "--partner-endpoint",
            partner_endpoint,
            "--invitation-key-file",
            &key_file,
        ];
        args.extend_from_slice(extra);
        let config = Config::try_parse_from(args).expect("test config");
        let app = relationships::build(&config, listener().await, Arc::new(clock.clone()), verifier())
            .await
            .expect("relationships starts");
        Self::assemble(app, db, clock, partner_endpoint, key_dir).await
    }

    async fn assemble(
        app: Application,
        db: TestDb,
        clock: ManualClock,
        partner_endpoint: &str,
        key_dir: tempfile::TempDir,
    ) -> Self {
        let client = RelationshipsServiceClient::new(channel(app.local_addr()).await);
        Self {
            client,
            clock,
            db_url: db.url.clone(),
            app: Some(app),
            partner_endpoint: partner_endpoint.to_owned(),
            partners: None,
            _partner_app: None,
            _dbs: vec![db],
            _key_dir: key_dir,
        }
    }

    /// Stops partner-eligibility, as an outage would.
    pub async fn stop_partner_service(&mut self) {
        if let Some(p) = self._partner_app.take() {
            p.shutdown().await.expect("partner-eligibility stops");
        }
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Rows in a table (with an optional `WHERE …`), read straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        gcc_testkit::count_rows(&self.db_url, table).await
    }

    /// A partner enrolled through partner-eligibility; an indirect reseller names
    /// `provider`, which approves the link (R1a).
    pub async fn enrolled_as(&self, partner_type: ppb::PartnerType, provider: Option<TenantId>) -> TenantId {
        let tenant = TenantId::random();
        let req = enrollment(tenant, partner_type, provider);
        let mut partners = self.partners.clone().expect("partner-eligibility runs");
        partners.enroll_partner(authed(req, &admin(tenant))).await.expect("enroll");
        if let Some(provider) = provider {
            gcc_testkit::walk::approve_link(&mut partners, provider, tenant).await;
        }
        tenant
    }

    pub async fn direct_reseller(&self) -> TenantId {
        self.enrolled_as(ppb::PartnerType::DirectReseller, None).await
    }

    /// An indirect provider and one of its indirect resellers.
    pub async fn provider_and_reseller(&self) -> (TenantId, TenantId) {
        let provider = self.enrolled_as(ppb::PartnerType::IndirectProvider, None).await;
        let reseller = self.enrolled_as(ppb::PartnerType::IndirectReseller, Some(provider)).await;
        (provider, reseller)
    }

    pub async fn create_customer(&self, partner: TenantId, domain: &str) -> Result<pb::Customer, Status> {
        let req = pb::CreateCustomerRequest {
            customer: Some(pb::Customer { company_profile: Some(profile(domain)), ..Default::default() }),
            request_id: String::new(),
        };
        self.client().create_customer(authed(req, &admin(partner))).await.map(|r| r.into_inner())
    }

    pub async fn get_customer(&self, partner: TenantId, customer: &str) -> Result<pb::Customer, Status> {
        let req = pb::GetCustomerRequest { name: customer.to_owned() };
        self.client().get_customer(authed(req, &sales(partner))).await.map(|r| r.into_inner())
    }

    /// The tenant IDs of the customers `partner` manages, sorted.
    pub async fn customers_of(&self, partner: TenantId) -> Vec<String> {
        let req = pb::ListCustomersRequest::default();
        let list = self.client().list_customers(authed(req, &sales(partner))).await.expect("list").into_inner();
        let mut ids: Vec<String> = list.customers.into_iter().map(|c| c.tenant_id).collect();
        ids.sort();
        ids
    }

    pub async fn invite(
        &self,
        partner: TenantId,
        binding: pb::RelationshipRequest,
    ) -> Result<pb::RelationshipRequest, Status> {
        let req =
            pb::CreateRelationshipRequestRequest { relationship_request: Some(binding), request_id: String::new() };
        self.client().create_relationship_request(authed(req, &admin(partner))).await.map(|r| r.into_inner())
    }

    /// `customer`'s admin accepts with `token`, giving a profile for `domain` if set.
    pub async fn accept(
        &self,
        customer: TenantId,
        token: &str,
        domain: Option<&str>,
    ) -> Result<pb::CustomerRelationship, Status> {
        let req = pb::AcceptRelationshipRequestRequest {
            invitation_token: token.to_owned(),
            company_profile: domain.map(profile),
            request_id: String::new(),
        };
        self.client().accept_relationship_request(authed(req, &customer_admin(customer))).await.map(|r| r.into_inner())
    }

    /// Whether `partner` manages `customer`, as the partner itself asks.
    pub async fn check(&self, partner: TenantId, customer: TenantId) -> pb::CheckCustomerManagementResponse {
        let req =
            pb::CheckCustomerManagementRequest { customer: format!("customers/{customer}"), partner: String::new() };
        self.client().check_customer_management(authed(req, &sales(partner))).await.expect("check").into_inner()
    }
}

/// The invitation-link key, in a file of `dir`.
fn invitation_key(dir: &tempfile::TempDir) -> String {
    let key_file = dir.path().join("invitation.key");
    std::fs::write(&key_file, format!("{}\n", "k".repeat(48))).expect("write key");
    key_file.display().to_string()
}

pub fn sales(tenant: TenantId) -> String {
    token(tenant, &[Role::SalesAgent])
}

pub fn customer_admin(tenant: TenantId) -> String {
    token(tenant, &[Role::CustomerAdmin])
}

/// A domain no other test uses.
pub fn unique_domain() -> String {
    format!("agency-{}.example.gov", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

pub fn state(r: &pb::RelationshipRequest) -> pb::relationship_request::State {
    pb::relationship_request::State::try_from(r.state).expect("known state")
}
