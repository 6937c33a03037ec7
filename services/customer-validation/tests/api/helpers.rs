//! Starts customer-validation on 127.0.0.1:0 with a fresh database; partner-eligibility
//! and relationships are addresses where nothing listens.

use std::sync::Arc;

use clap::Parser;
use gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient;
use gcc_testkit::{TestDb, channel, listener, manual_clock, verifier};
use tonic::transport::Channel;

pub struct TestApp {
    pub client: CustomerValidationServiceClient<Channel>,
    pub db_url: String,
    _app: customer_validation::Application,
    _db: TestDb,
}

/// An address on 127.0.0.1 where nothing listens (it was free a moment ago).
fn nobody() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    format!("http://{}", l.local_addr().expect("local address"))
}

impl TestApp {
    pub async fn spawn() -> Self {
        let db = TestDb::fresh().await;
        let (partner, relationships) = (nobody(), nobody());
        let mut args = vec![
            "customer-validation",
            "--database-url",
            &db.url,
            "--partner-endpoint",
            &partner,
            "--relationships-endpoint",
            &relationships,
            "--dependency-timeout",
            "2s",
        ];
        args.extend_from_slice(&gcc_testkit::reviewer_args());
        let config = customer_validation::Config::try_parse_from(args).expect("test config");
        let app = customer_validation::build(&config, listener().await, Arc::new(manual_clock()), verifier())
            .await
            .expect("customer-validation starts");
        let client = CustomerValidationServiceClient::new(channel(app.local_addr()).await);
        Self { client, db_url: db.url.clone(), _app: app, _db: db }
    }

    pub async fn count(&self, table: &str) -> i64 {
        gcc_testkit::count_rows(&self.db_url, table).await
    }
}
