//! Start-up and the shared runtime as a client sees it: the invitation key is required,
//! and health answers without a token.

use std::sync::Arc;

use clap::Parser;
use gcc_testkit::{TestDb, listener, manual_clock, verifier};
use relationships::{Application, Config};

use crate::helpers::TestApp;

async fn build(extra: &[&str]) -> anyhow::Result<Application> {
    let db = TestDb::fresh().await;
    let mut args = vec!["relationships", "--database-url", &db.url];
    args.extend_from_slice(extra);
    let config = Config::try_parse_from(args)?;
    relationships::build(&config, listener().await, Arc::new(manual_clock()), verifier()).await
}

#[tokio::test]
async fn the_service_refuses_to_start_without_a_good_invitation_key() {
    let err = build(&[]).await.err().expect("no key configured");
    assert!(format!("{err:#}").contains("GCC_INVITATION_KEY_FILE"), "{err:#}");

    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short.key");
    std::fs::write(&short, "only-twenty-bytes-ok\n\n").unwrap();
    assert!(build(&["--invitation-key-file", &short.display().to_string()]).await.is_err());
    let missing = dir.path().join("missing.key").display().to_string();
    assert!(build(&["--invitation-key-file", &missing]).await.is_err());

    let good = dir.path().join("good.key");
    std::fs::write(&good, "x".repeat(32)).unwrap();
    let good = good.display().to_string();
    let bad_url = build(&["--invitation-key-file", &good, "--invitation-base-url", "https://x.example/a?b=c"]).await;
    assert!(bad_url.is_err());
    assert!(Config::try_parse_from(["relationships", "--invitation-ttl", "two weeks"]).is_err());
    let app =
        build(&["--invitation-key-file", &good, "--invitation-ttl", "36h"]).await.expect("a 32-byte key is enough");
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn health_needs_no_token() {
    let app = TestApp::spawn().await;
    let channel = gcc_testkit::channel(app.app.as_ref().unwrap().local_addr()).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    for service in ["", "gcc.relationships.v1.RelationshipsService"] {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest { service: service.into() })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    }
}
