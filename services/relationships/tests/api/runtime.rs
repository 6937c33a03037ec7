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

/// Why the service refused to start, with its whole cause chain.
async fn refusal(extra: &[&str]) -> String {
    format!("{:#}", build(extra).await.err().expect("a refusal to start"))
}

#[tokio::test]
async fn the_service_refuses_to_start_without_a_good_invitation_key() {
    let err = refusal(&[]).await;
    assert!(err.contains("GCC_INVITATION_KEY_FILE"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short.key");
    std::fs::write(&short, "only-twenty-bytes-ok\n\n").unwrap();
    let err = refusal(&["--invitation-key-file", &short.display().to_string()]).await;
    assert!(err.contains("an invitation key must be at least 32 bytes, not 20"), "{err}");
    let missing = dir.path().join("missing.key").display().to_string();
    let err = refusal(&["--invitation-key-file", &missing]).await;
    assert!(err.contains("cannot read invitation key file"), "{err}");

    let good = dir.path().join("good.key");
    std::fs::write(&good, "x".repeat(32)).unwrap();
    let good = good.display().to_string();
    let err = refusal(&["--invitation-key-file", &good, "--invitation-base-url", "https://x.example/a?b=c"]).await;
    assert!(err.contains("--invitation-base-url: \"https://x.example/a?b=c\" is not an http(s) URL"), "{err}");
    let ttl = Config::try_parse_from(["relationships", "--invitation-ttl", "two weeks"]).unwrap_err();
    assert_eq!(ttl.kind(), clap::error::ErrorKind::ValueValidation, "{ttl}");
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
