use gcc_platform::auth::Claims;
use gcc_platform::{Role, TenantId};
use gcc_proto::partner as pb;
use gcc_testkit::{AUDIENCE, ISSUER, assert_refused, authed, signer, token};
use tonic::Code;

use crate::helpers::{TestApp, admin};

fn claims(tenant: TenantId) -> Claims {
    Claims {
        tid: tenant.to_string(),
        sub: "someone".into(),
        roles: vec!["admin_agent".into()],
        aud: AUDIENCE.into(),
        iss: ISSUER.into(),
        exp: (chrono_now() + 3600) as u64,
        iat: None,
        nbf: None,
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn every_kind_of_bad_token_is_unauthenticated_with_its_own_reason() {
    let app = TestApp::spawn().await;
    let tenant = TenantId::random();
    let s = signer();
    let other_key = gcc_platform::auth::Signer::hs256(b"another-secret-that-is-32-bytes-long!!", AUDIENCE, ISSUER);
    let wrong_aud =
        gcc_platform::auth::Signer::hs256(b"gcc-testkit-hs256-secret-of-at-least-32-bytes", "someone-else", ISSUER);
    let wrong_iss =
        gcc_platform::auth::Signer::hs256(b"gcc-testkit-hs256-secret-of-at-least-32-bytes", AUDIENCE, "evil");
    let mut bad_tid = claims(tenant);
    bad_tid.tid = "not-a-tenant".into();
    let unsigned =
        format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&serde_json::to_string(&claims(tenant)).unwrap()));
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("missing", None, "TOKEN_MISSING"),
        ("not a JWT", Some("Bearer not.a.jwt".into()), "TOKEN_MALFORMED"),
        ("no bearer prefix", Some(token(tenant, &[Role::AdminAgent])), "TOKEN_MALFORMED"),
        (
            "expired",
            Some(format!("Bearer {}", s.token(&tenant.to_string(), "u", &[Role::AdminAgent], -3600))),
            "TOKEN_EXPIRED",
        ),
        (
            "wrong audience",
            Some(format!("Bearer {}", wrong_aud.token(&tenant.to_string(), "u", &[Role::AdminAgent], 600))),
            "TOKEN_AUDIENCE_MISMATCH",
        ),
        (
            "wrong issuer",
            Some(format!("Bearer {}", wrong_iss.token(&tenant.to_string(), "u", &[Role::AdminAgent], 600))),
            "TOKEN_ISSUER_MISMATCH",
        ),
        ("alg none", Some(format!("Bearer {unsigned}")), "TOKEN_ALGORITHM_NOT_ALLOWED"),
        (
            "wrong key",
            Some(format!("Bearer {}", other_key.token(&tenant.to_string(), "u", &[Role::AdminAgent], 600))),
            "TOKEN_SIGNATURE_INVALID",
        ),
        ("tid not a tenant", Some(format!("Bearer {}", s.sign(&bad_tid))), "TOKEN_CLAIMS_INVALID"),
    ];
    for (what, header, reason) in cases {
        let mut req = tonic::Request::new(pb::EnrollPartnerRequest {
            partner: Some(pb::Partner {
                legal_name: "Contoso".into(),
                partner_type: pb::PartnerType::DirectReseller as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        });
        if let Some(h) = header {
            req.metadata_mut().insert("authorization", h.parse().unwrap());
        }
        let err = app.client().enroll_partner(req).await.expect_err(what);
        assert_refused(&err, Code::Unauthenticated, reason);
    }
    assert_eq!(app.count("partners").await, 0, "no bad token may write anything");
}

#[tokio::test]
async fn a_valid_token_without_the_role_is_permission_denied_and_audited() {
    let app = TestApp::spawn().await;
    let tenant = TenantId::random();
    let req = pb::EnrollPartnerRequest {
        partner: Some(pb::Partner {
            legal_name: "Contoso".into(),
            partner_type: pb::PartnerType::DirectReseller as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    for roles in [&[Role::SalesAgent][..], &[Role::CustomerAdmin], &[Role::EligibilityReviewer], &[]] {
        let err = app.client().enroll_partner(authed(req.clone(), &token(tenant, roles))).await.unwrap_err();
        assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    }
    assert_eq!(app.count("partners").await, 0);
    assert_eq!(
        gcc_testkit::eventually_eq(4, || app.count("audit_log WHERE outcome = 'ROLE_REQUIRED'")).await,
        4,
        "every denial is audited"
    );

    // A partner's admin agent cannot act as a reviewer.
    let partner = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(partner).await.unwrap();
    let approve = pb::ApprovePartnerValidationRequest { name: v.name, request_id: String::new() };
    let err = app.client().approve_partner_validation(authed(approve, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
}

#[tokio::test]
async fn health_and_reflection_need_no_token() {
    let app = TestApp::spawn().await;
    let addr = app.app.as_ref().unwrap().local_addr();
    let channel = gcc_testkit::channel(addr).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    for service in ["", "gcc.partner.v1.PartnerEligibilityService"] {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest { service: service.into() })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    }

    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection.server_reflection_info(futures::stream::iter([request])).await.unwrap().into_inner();
    let reply =
        tokio::time::timeout(std::time::Duration::from_secs(5), stream.message()).await.unwrap().unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reflection reply {reply:?}");
    };
    // Exactly what this port serves: no other service's package that would answer
    // UNIMPLEMENTED here.
    let mut names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["gcc.partner.v1.PartnerEligibilityService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]
    );
}
