//! Starts ordering on 127.0.0.1:0 with a fresh database; customer-validation and
//! relationships are addresses where nothing listens.

use std::sync::Arc;

use clap::Parser;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use gcc_testkit::{TestDb, channel, listener, manual_clock, verifier};
use tonic::transport::Channel;

pub struct TestApp {
    pub client: OrderingServiceClient<Channel>,
    pub db_url: String,
    _app: ordering::Application,
    _db: TestDb,
}

/// An address on 127.0.0.1 where nothing listens (it was free a moment ago).
pub fn nobody() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    format!("http://{}", l.local_addr().expect("local address"))
}

impl TestApp {
    pub async fn spawn() -> Self {
        let db = TestDb::fresh().await;
        let (validation, relationships) = (nobody(), nobody());
        let args = [
            "ordering",
            "--database-url",
            &db.url,
            "--validation-endpoint",
            &validation,
            "--relationships-endpoint",
            &relationships,
            "--dependency-timeout",
            "2s",
        ];
        let config = ordering::Config::try_parse_from(args).expect("test config");
        let app = ordering::build(&config, listener().await, Arc::new(manual_clock()), verifier())
            .await
            .expect("ordering starts");
        let client = OrderingServiceClient::new(channel(app.local_addr()).await);
        Self { client, db_url: db.url.clone(), _app: app, _db: db }
    }

    /// Asserts that no order, line, subscription, idempotency record or event exists.
    pub async fn assert_nothing_written(&self) {
        for table in ["orders", "order_lines", "subscriptions", "idempotency", "outbox"] {
            assert_eq!(gcc_testkit::count_rows(&self.db_url, table).await, 0, "{table} must stay empty");
        }
    }
}
