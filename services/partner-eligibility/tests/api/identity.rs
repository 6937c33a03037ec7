//! Identity hardening over TCP: who may review, `nbf`, the lifetime bound, and keys that
//! rotate through a JWKS without a restart.

use std::time::Duration;

use clap::Parser;
use gcc_platform::auth::Claims;
use gcc_platform::{Role, TenantId};
use gcc_proto::partner as pb;
use gcc_testkit::jwks::{JwksServer, TestKey, key_set};
use gcc_testkit::{AUDIENCE, ISSUER, REVIEWER_TENANT, TestDb, assert_refused, authed, signer, token};
use partner_eligibility::Config;
use tonic::Code;

use crate::helpers::{TestApp, admin};

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn claims(tenant: TenantId) -> Claims {
    Claims {
        tid: tenant.to_string(),
        sub: "someone".into(),
        roles: vec!["admin_agent".into()],
        aud: AUDIENCE.into(),
        iss: ISSUER.into(),
        exp: now() + 3600,
        iat: Some(now()),
        nbf: None,
    }
}

async fn get_partner(app: &TestApp, tenant: TenantId, token: &str) -> Result<pb::Partner, tonic::Status> {
    app.get_partner(tenant, token).await
}

#[tokio::test]
async fn reviewer_role_from_a_partner_tenant_is_ignored() {
    let app = TestApp::spawn().await;
    let partner = app.enrolled(pb::PartnerType::DirectReseller).await;
    let validation = app.submit(partner).await.expect("submit");
    // The partner's own admin mints itself the reviewer role: it does not count.
    let self_made_reviewer = token(partner, &[Role::AdminAgent, Role::EligibilityReviewer]);
    let req = pb::ApprovePartnerValidationRequest { name: validation.name.clone(), request_id: String::new() };
    let err = app.client().approve_partner_validation(authed(req, &self_made_reviewer)).await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    // The reviewers' own tenant still reviews.
    app.approve(&validation.name).await.expect("a reviewer from the reviewer tenant approves");
}

#[tokio::test]
async fn a_reviewing_service_refuses_to_start_without_reviewer_tenants() {
    let db = TestDb::fresh().await;
    let config = Config::try_parse_from(["partner-eligibility", "--database-url", &db.url]).unwrap();
    let clock = std::sync::Arc::new(gcc_testkit::manual_clock());
    let Err(err) =
        partner_eligibility::build(&config, gcc_testkit::listener().await, clock, gcc_testkit::verifier()).await
    else {
        panic!("the server started without reviewer tenants");
    };
    assert!(format!("{err:#}").contains("GCC_REVIEWER_TENANTS"), "{err:#}");

    // The binary says the same and exits non-zero.
    let dir = tempfile_dir();
    let key = dir.join("key");
    std::fs::write(&key, "a-test-secret-that-is-at-least-32-bytes-long").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-eligibility"))
        .args(["--listen", "127.0.0.1:0", "--database-url", &format!("sqlite://{}/p.db", dir.display())])
        .env("GCC_JWT_HS256_SECRET_FILE", &key)
        .env_remove("GCC_REVIEWER_TENANTS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("GCC_REVIEWER_TENANTS"), "{out:?}");
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gcc-start-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_token_before_its_nbf_is_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let mut c = claims(tenant);
    c.nbf = Some(now() + 600);
    let err = get_partner(&app, tenant, &signer().sign(&c)).await.unwrap_err();
    assert_refused(&err, Code::Unauthenticated, "TOKEN_NOT_YET_VALID");
    c.nbf = Some(now() - 5);
    get_partner(&app, tenant, &signer().sign(&c)).await.expect("valid once nbf has passed");
}

#[tokio::test]
async fn a_token_living_longer_than_the_maximum_lifetime_is_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let mut c = claims(tenant);
    c.exp = now() + 48 * 3600;
    let err = get_partner(&app, tenant, &signer().sign(&c)).await.unwrap_err();
    assert_refused(&err, Code::Unauthenticated, "TOKEN_LIFETIME_TOO_LONG");
    // Without `iat` the lifetime counts from now.
    c.iat = None;
    let err = get_partner(&app, tenant, &signer().sign(&c)).await.unwrap_err();
    assert_refused(&err, Code::Unauthenticated, "TOKEN_LIFETIME_TOO_LONG");
    get_partner(&app, tenant, &admin(tenant)).await.expect("an ordinary token passes");
}

#[tokio::test]
async fn keys_rotate_through_the_jwks_without_a_restart() {
    let (old, new, rsa) = (TestKey::load("ed25519-a"), TestKey::load("ed25519-b"), TestKey::load("rsa-a"));
    let jwks = JwksServer::start(key_set(&[&old, &rsa])).await;
    let flags = [
        "partner-eligibility",
        "--jwt-jwks-url",
        &jwks.url(),
        "--jwt-jwks-refresh",
        "200ms",
        "--jwt-audience",
        AUDIENCE,
        "--jwt-issuer",
        ISSUER,
        "--reviewer-tenants",
        REVIEWER_TENANT,
    ];
    let verifier = Config::try_parse_from(flags).unwrap().server.auth.verifier().await.expect("JWKS loads");
    let app = TestApp::spawn_with_verifier(&[], verifier).await;
    let tenant = TenantId::random();
    let c = claims(tenant);
    let enroll = gcc_testkit::walk::enrollment(tenant, pb::PartnerType::DirectReseller, None);
    app.client().enroll_partner(authed(enroll, &old.sign(&c))).await.expect("enroll with a key from the set");
    get_partner(&app, tenant, &old.sign(&c)).await.expect("EdDSA key from the set");
    get_partner(&app, tenant, &rsa.sign(&c)).await.expect("RS256 key from the set");

    // The issuer rotates: the new key is published and the old one withdrawn.
    jwks.publish(key_set(&[&new]));
    get_partner(&app, tenant, &new.sign(&c)).await.expect("the new key is found by an early refresh");
    let mut refused = None;
    for _ in 0..100 {
        match get_partner(&app, tenant, &old.sign(&c)).await {
            Err(e) => {
                refused = Some(e);
                break;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let refused = refused.expect("the withdrawn key is refused after a refresh");
    assert_refused(&refused, Code::Unauthenticated, "TOKEN_KEY_UNKNOWN");
    // A token naming no published key, and one whose algorithm is not its key's.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(new.kid.into());
    let forged = jsonwebtoken::encode(&header, &c, &jsonwebtoken::EncodingKey::from_secret(b"guess")).unwrap();
    let err = get_partner(&app, tenant, &forged).await.unwrap_err();
    assert_refused(&err, Code::Unauthenticated, "TOKEN_ALGORITHM_NOT_ALLOWED");
}
