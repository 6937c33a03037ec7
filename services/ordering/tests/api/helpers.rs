//! Starts partner-eligibility, relationships, customer-validation and ordering on
//! 127.0.0.1:0, each on its own database; clients, ordering calls and row counts. The
//! steps that walk partners and customers are the shared `gcc_testkit::walk::Steps`.

use std::sync::Arc;

use clap::Parser;
use gcc_platform::{Role, TenantId};
use gcc_proto::ordering as pb;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use gcc_testkit::walk::{InvitationKeyFile, Steps, merge_args};
pub use gcc_testkit::walk::{admin, order};
use gcc_testkit::{TestDb, authed, channel, listener, manual_clock, token, verifier};
use tonic::Status;
use tonic::transport::Channel;
use tonic_types::StatusExt;

pub struct World {
    /// customer-validation, which a test may stop.
    pub validation: Option<customer_validation::Application>,
    _partner: partner_eligibility::Application,
    _relationships: relationships::Application,
    _ordering: ordering::Application,
    steps: Steps,
    ordering_channel: Channel,
    ordering_db: String,
    _dbs: Vec<TestDb>,
    _key: InvitationKeyFile,
}

/// The set-up steps (enroll, qualify, create, validate, invite, accept) and clients of
/// the other three servers.
impl std::ops::Deref for World {
    type Target = Steps;

    fn deref(&self) -> &Steps {
        &self.steps
    }
}

impl World {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[], &[]).await
    }

    /// `validation` and `ordering` are extra flags for those two servers; a flag given
    /// there replaces its default.
    pub async fn spawn_with(validation: &[&str], ordering: &[&str]) -> Self {
        // One clock for all four servers.
        let clock = manual_clock();
        let dbs = [TestDb::fresh().await, TestDb::fresh().await, TestDb::fresh().await, TestDb::fresh().await];
        let [pdb, rdb, vdb, odb] = &dbs;
        let key = InvitationKeyFile::new();
        let start = || (listener(), Arc::new(clock.clone()));

        let pconfig = partner_eligibility::Config::try_parse_from([
            "p",
            "--database-url",
            &pdb.url,
            "--reviewer-tenants",
            gcc_testkit::REVIEWER_TENANT,
        ])
        .unwrap();
        let (l, c) = start();
        let partner =
            partner_eligibility::build(&pconfig, l.await, c, verifier()).await.expect("partner-eligibility starts");
        let partner_url = format!("http://{}", partner.local_addr());

        let key_path = key.path().display().to_string();
        let rargs =
            ["r", "--database-url", &rdb.url, "--partner-endpoint", &partner_url, "--invitation-key-file", &key_path];
        let rconfig = relationships::Config::try_parse_from(rargs).unwrap();
        let (l, c) = start();
        let relationships = relationships::build(&rconfig, l.await, c, verifier()).await.expect("relationships starts");
        let relationships_url = format!("http://{}", relationships.local_addr());

        let defaults = [
            "--reviewer-tenants",
            gcc_testkit::REVIEWER_TENANT,
            "--database-url",
            &vdb.url,
            "--partner-endpoint",
            &partner_url,
            "--relationships-endpoint",
            &relationships_url,
        ];
        let vconfig = customer_validation::Config::try_parse_from(merge_args("v", &defaults, validation)).unwrap();
        let (l, c) = start();
        let gate =
            customer_validation::build(&vconfig, l.await, c, verifier()).await.expect("customer-validation starts");
        let validation_url = format!("http://{}", gate.local_addr());

        let defaults = [
            "--database-url",
            &odb.url,
            "--validation-endpoint",
            &validation_url,
            "--relationships-endpoint",
            &relationships_url,
        ];
        let oconfig = ordering::Config::try_parse_from(merge_args("o", &defaults, ordering)).unwrap();
        let (l, c) = start();
        let orders = ordering::build(&oconfig, l.await, c, verifier()).await.expect("ordering starts");

        Self {
            steps: Steps::new(
                channel(partner.local_addr()).await,
                channel(relationships.local_addr()).await,
                channel(gate.local_addr()).await,
            ),
            ordering_channel: channel(orders.local_addr()).await,
            ordering_db: odb.url.clone(),
            validation: Some(gate),
            _partner: partner,
            _relationships: relationships,
            _ordering: orders,
            _dbs: dbs.into(),
            _key: key,
        }
    }

    pub fn ordering(&self) -> OrderingServiceClient<Channel> {
        OrderingServiceClient::new(self.ordering_channel.clone())
    }

    pub async fn stop_validation(&mut self) {
        self.validation.take().expect("customer-validation runs").shutdown().await.expect("stops");
    }

    /// Rows in an ordering table (with an optional `WHERE …`).
    pub fn ordering_db(&self) -> &str {
        &self.ordering_db
    }

    pub async fn count(&self, table: &str) -> i64 {
        gcc_testkit::count_rows(&self.ordering_db, table).await
    }

    /// Asserts that no order, line, subscription, idempotency record or event exists.
    pub async fn assert_nothing_written(&self) {
        for table in ["orders", "order_lines", "subscriptions", "idempotency", "outbox"] {
            assert_eq!(self.count(table).await, 0, "{table} must stay empty");
        }
    }

    pub async fn place(
        &self,
        token: &str,
        customer: TenantId,
        lines: &[(&str, i32)],
        request_id: &str,
    ) -> Result<pb::Order, Status> {
        self.ordering().place_order(authed(order(customer, lines, request_id), token)).await.map(|r| r.into_inner())
    }

    pub async fn list_orders(&self, token: &str, customer: Option<TenantId>) -> Vec<pb::Order> {
        let req = pb::ListOrdersRequest {
            customer: customer.map(|c| format!("customers/{c}")).unwrap_or_default(),
            ..Default::default()
        };
        self.ordering().list_orders(authed(req, token)).await.expect("list orders").into_inner().orders
    }

    pub async fn list_subscriptions(&self, token: &str, customer: Option<TenantId>) -> Vec<pb::Subscription> {
        let req = pb::ListSubscriptionsRequest {
            customer: customer.map(|c| format!("customers/{c}")).unwrap_or_default(),
            ..Default::default()
        };
        self.ordering()
            .list_subscriptions(authed(req, token))
            .await
            .expect("list subscriptions")
            .into_inner()
            .subscriptions
    }

    pub async fn get_order(&self, token: &str, name: &str) -> Result<pb::Order, Status> {
        let req = pb::GetOrderRequest { name: name.into() };
        self.ordering().get_order(authed(req, token)).await.map(|r| r.into_inner())
    }
}

pub fn sales(tenant: TenantId) -> String {
    token(tenant, &[Role::SalesAgent])
}

/// The `reasons` metadata and the `(type, subject)` of each precondition violation of a
/// GCC_ELIGIBILITY_REQUIRED refusal.
pub fn gcc_refusal(status: &Status) -> (String, Vec<(String, String)>) {
    gcc_testkit::assert_refused(status, tonic::Code::FailedPrecondition, "GCC_ELIGIBILITY_REQUIRED");
    let details = status.get_error_details();
    let reasons = details.error_info().and_then(|i| i.metadata.get("reasons").cloned()).unwrap_or_default();
    let violations = details
        .precondition_failure()
        .map(|p| p.violations.iter().map(|v| (v.r#type.clone(), v.subject.clone())).collect())
        .unwrap_or_default();
    (reasons, violations)
}
