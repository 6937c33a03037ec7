//! The four services (`gcc_e2e::Stack`) on one manual clock; clients, ordering calls and
//! row counts. The steps that walk partners and customers are the shared
//! `gcc_testkit::walk::Steps`.

use std::sync::Arc;

use gcc_e2e::{Options, Stack};
use gcc_platform::{Role, TenantId};
use gcc_proto::ordering as pb;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
pub use gcc_testkit::walk::{admin, order};
use gcc_testkit::{authed, channel, manual_clock, token};
use tonic::Status;
use tonic::transport::Channel;
use tonic_types::StatusExt;

pub struct World {
    stack: Stack,
    ordering_channel: Channel,
}

// The running set, its set-up steps and clients of the servers.
gcc_e2e::world_of_stack!(World);

impl World {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[], &[]).await
    }

    /// `validation` and `ordering` are extra flags for those two servers; a flag given
    /// there replaces its default.
    pub async fn spawn_with(validation: &[&str], ordering: &[&str]) -> Self {
        let owned = |flags: &[&str]| flags.iter().map(|f| (*f).to_owned()).collect();
        let stack = Stack::start(Options {
            postgres: std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty()),
            validation_args: owned(validation),
            ordering_args: owned(ordering),
            // One clock for all four servers.
            clock: Some(Arc::new(manual_clock())),
            metrics: false,
        })
        .await
        .expect("the service set starts");
        Self { ordering_channel: channel(stack.addrs.ordering).await, stack }
    }

    pub fn ordering(&self) -> OrderingServiceClient<Channel> {
        OrderingServiceClient::new(self.ordering_channel.clone())
    }

    pub async fn stop_validation(&mut self) {
        self.validation.take().expect("customer-validation runs").shutdown().await.expect("stops");
    }

    /// Rows in an ordering table (with an optional `WHERE …`).
    pub fn ordering_db(&self) -> &str {
        self.stack.database_urls()[3]
    }

    pub async fn count(&self, table: &str) -> i64 {
        gcc_testkit::count_rows(self.ordering_db(), table).await
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
