//! Starts partner-eligibility, relationships, customer-validation and ordering on
//! 127.0.0.1:0, each on its own database; clients, ordering calls and row counts. The
//! steps that walk partners and customers are in `steps.rs`.

use std::sync::Arc;

use clap::Parser;
use gcc_platform::{Role, TenantId};
use gcc_proto::ordering as pb;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient;
use gcc_testkit::{TestDb, authed, channel, listener, manual_clock, token, verifier};
use sqlx::Connection;
use tonic::Status;
use tonic::transport::Channel;
use tonic_types::StatusExt;

pub struct World {
    /// customer-validation, which a test may stop.
    pub validation: Option<customer_validation::Application>,
    _partner: partner_eligibility::Application,
    _relationships: relationships::Application,
    _ordering: ordering::Application,
    partner_channel: Channel,
    relationships_channel: Channel,
    validation_channel: Channel,
    ordering_channel: Channel,
    ordering_db: String,
    _dbs: Vec<TestDb>,
    _key: KeyFile,
}

/// The invitation key of the relationships server, in a file that lives as long as the
/// test.
struct KeyFile(std::path::PathBuf);

impl KeyFile {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("gcc-invitation-{}.key", uuid::Uuid::new_v4()));
        std::fs::write(&path, "test-invitation-key-of-at-least-32-bytes!!").expect("write key");
        Self(path)
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
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
        let key = KeyFile::new();
        let start = || (listener(), Arc::new(clock.clone()));

        let pconfig = partner_eligibility::Config::try_parse_from(["p", "--database-url", &pdb.url]).unwrap();
        let (l, c) = start();
        let partner =
            partner_eligibility::build(&pconfig, l.await, c, verifier()).await.expect("partner-eligibility starts");
        let partner_url = format!("http://{}", partner.local_addr());

        let key_path = key.0.display().to_string();
        let rargs =
            ["r", "--database-url", &rdb.url, "--partner-endpoint", &partner_url, "--invitation-key-file", &key_path];
        let rconfig = relationships::Config::try_parse_from(rargs).unwrap();
        let (l, c) = start();
        let relationships = relationships::build(&rconfig, l.await, c, verifier()).await.expect("relationships starts");
        let relationships_url = format!("http://{}", relationships.local_addr());

        let defaults = [
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
            partner_channel: channel(partner.local_addr()).await,
            relationships_channel: channel(relationships.local_addr()).await,
            validation_channel: channel(gate.local_addr()).await,
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

    pub fn validation(&self) -> CustomerValidationServiceClient<Channel> {
        CustomerValidationServiceClient::new(self.validation_channel.clone())
    }

    pub fn partners(&self) -> PartnerEligibilityServiceClient<Channel> {
        PartnerEligibilityServiceClient::new(self.partner_channel.clone())
    }

    pub fn relationships(&self) -> RelationshipsServiceClient<Channel> {
        RelationshipsServiceClient::new(self.relationships_channel.clone())
    }

    pub async fn stop_validation(&mut self) {
        self.validation.take().expect("customer-validation runs").shutdown().await.expect("stops");
    }

    /// Rows in an ordering table (with an optional `WHERE …`).
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.ordering_db).await.expect("connect");
        let n: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&mut conn)
            .await
            .expect("count");
        n.0
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

/// `defaults` as flag/value pairs, with any flag in `extra` replacing the default.
fn merge_args<'a>(program: &'a str, defaults: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![program];
    for pair in defaults.chunks(2) {
        if !extra.contains(&pair[0]) {
            args.extend_from_slice(pair);
        }
    }
    args.extend_from_slice(extra);
    args
}

pub fn admin(tenant: TenantId) -> String {
    token(tenant, &[Role::AdminAgent])
}

pub fn sales(tenant: TenantId) -> String {
    token(tenant, &[Role::SalesAgent])
}

/// A PlaceOrder request for `customer` with `(offer id, quantity)` lines.
pub fn order(customer: TenantId, lines: &[(&str, i32)], request_id: &str) -> pb::PlaceOrderRequest {
    pb::PlaceOrderRequest {
        order: Some(pb::Order {
            customer: format!("customers/{customer}"),
            lines: lines
                .iter()
                .map(|(offer, quantity)| pb::OrderLine {
                    offer: format!("offers/{offer}"),
                    quantity: *quantity,
                    subscription: String::new(),
                })
                .collect(),
            ..Default::default()
        }),
        request_id: request_id.to_owned(),
    }
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
