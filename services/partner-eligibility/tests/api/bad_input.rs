//! Malformed, oversized and out-of-range input: the exact code and reason, and nothing
//! written.

use gcc_platform::TenantId;
use gcc_proto::partner as pb;
use gcc_testkit::{assert_refused, authed, reviewer_token};
use tonic::Code;

use crate::helpers::{TestApp, admin, submission};

fn enrollment(edit: impl FnOnce(&mut pb::Partner)) -> pb::EnrollPartnerRequest {
    let mut p = pb::Partner {
        legal_name: "Contoso".into(),
        partner_type: pb::PartnerType::DirectReseller as i32,
        ..Default::default()
    };
    edit(&mut p);
    pb::EnrollPartnerRequest { partner: Some(p), request_id: String::new() }
}

#[tokio::test]
async fn bad_enrollments_get_the_exact_code_and_reason_and_write_nothing() {
    let app = TestApp::spawn().await;
    let tenant = TenantId::random();
    let cases: Vec<(&str, pb::EnrollPartnerRequest, Code, &str)> = vec![
        ("no partner", pb::EnrollPartnerRequest::default(), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("no legal name", enrollment(|p| p.legal_name.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("blank legal name", enrollment(|p| p.legal_name = "   ".into()), Code::InvalidArgument, "FIELD_REQUIRED"),
        (
            "legal name too long",
            enrollment(|p| p.legal_name = "x".repeat(201)),
            Code::InvalidArgument,
            "FIELD_TOO_LONG",
        ),
        ("no partner type", enrollment(|p| p.partner_type = 0), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("unknown partner type", enrollment(|p| p.partner_type = 42), Code::InvalidArgument, "ENUM_VALUE_INVALID"),
        (
            "malformed GUID",
            enrollment(|p| p.azure_gcc_tenant_id = "8f4c1d2e-1b7a-4a53-9a0e".into()),
            Code::InvalidArgument,
            "TENANT_ID_INVALID",
        ),
        (
            "GUID with braces",
            enrollment(|p| p.azure_gcc_tenant_id = format!("{{{}}}", TenantId::random())),
            Code::InvalidArgument,
            "TENANT_ID_INVALID",
        ),
        (
            "nil GUID",
            enrollment(|p| p.azure_gcc_tenant_id = uuid::Uuid::nil().to_string()),
            Code::InvalidArgument,
            "TENANT_ID_NIL",
        ),
        (
            "Azure GCC ID equal to the commercial one",
            enrollment(|p| p.azure_gcc_tenant_id = tenant.to_string()),
            Code::InvalidArgument,
            "AZURE_GCC_TENANT_ID_IS_COMMERCIAL",
        ),
        (
            "malformed provider name",
            enrollment(|p| {
                p.partner_type = pb::PartnerType::IndirectReseller as i32;
                p.indirect_provider = "providers/x".into();
            }),
            Code::InvalidArgument,
            "NAME_INVALID",
        ),
        (
            "request id not a UUID",
            pb::EnrollPartnerRequest { request_id: "retry-1".into(), ..enrollment(|_| {}) },
            Code::InvalidArgument,
            "REQUEST_ID_INVALID",
        ),
        (
            "message over the size limit",
            enrollment(|p| p.legal_name = "x".repeat(70 * 1024)),
            Code::ResourceExhausted,
            "MESSAGE_TOO_LARGE",
        ),
    ];
    for (what, req, code, reason) in cases {
        let err = app.client().enroll_partner(authed(req, &admin(tenant))).await.expect_err(what);
        assert_eq!((err.code(), gcc_testkit::reason(&err).as_str()), (code, reason), "{what}: {err:?}");
    }
    assert_eq!(app.count("partners").await, 0);
    assert_eq!(app.count("idempotency").await, 0);
}

#[tokio::test]
async fn bad_submissions_get_the_exact_code_and_reason_and_write_nothing() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let edit = |f: &dyn Fn(&mut pb::PartnerValidation)| {
        let mut req = submission(tenant, "");
        f(req.partner_validation.as_mut().unwrap());
        req
    };
    let cases: Vec<(&str, pb::SubmitPartnerValidationRequest, &str)> = vec![
        ("no body", pb::SubmitPartnerValidationRequest::default(), "FIELD_REQUIRED"),
        ("no tenant id", edit(&|v| v.tenant_id.clear()), "FIELD_REQUIRED"),
        ("malformed tenant id", edit(&|v| v.tenant_id = "tenant".into()), "TENANT_ID_INVALID"),
        ("nil tenant id", edit(&|v| v.tenant_id = uuid::Uuid::nil().to_string()), "TENANT_ID_NIL"),
        ("unknown basis", edit(&|v| v.qualifying_basis = 9), "ENUM_VALUE_INVALID"),
        ("no email", edit(&|v| v.contact_email.clear()), "FIELD_REQUIRED"),
        ("bad email", edit(&|v| v.contact_email = "gov.sales-at-contoso".into()), "EMAIL_INVALID"),
        ("details too long", edit(&|v| v.details = "d".repeat(2001)), "FIELD_TOO_LONG"),
    ];
    for (what, req, reason) in cases {
        let err = app.client().submit_partner_validation(authed(req, &admin(tenant))).await.expect_err(what);
        assert_refused(&err, Code::InvalidArgument, reason);
    }
    assert_eq!(app.count("partner_validations").await, 0);
}

#[tokio::test]
async fn bad_names_and_page_tokens_are_invalid_argument() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    for (name, reason) in
        [("", "FIELD_REQUIRED"), ("partners/not-a-guid", "TENANT_ID_INVALID"), ("customers/x", "NAME_INVALID")]
    {
        let err = app
            .client()
            .get_partner(authed(pb::GetPartnerRequest { name: name.into() }, &admin(tenant)))
            .await
            .unwrap_err();
        assert_refused(&err, Code::InvalidArgument, reason);
    }
    for name in ["partnerValidations/", "partnerValidations/../../etc", "validations/1"] {
        let err = app
            .client()
            .get_partner_validation(authed(pb::GetPartnerValidationRequest { name: name.into() }, &admin(tenant)))
            .await
            .unwrap_err();
        assert_refused(&err, Code::InvalidArgument, "NAME_INVALID");
    }
    let req = pb::ListPartnersRequest { page_token: "bm90LWEtdG9rZW4".into(), ..Default::default() };
    assert_refused(
        &app.client().list_partners(authed(req, &reviewer_token())).await.unwrap_err(),
        Code::InvalidArgument,
        "PAGE_TOKEN_INVALID",
    );
    let req = pb::ListPartnersRequest { page_size: -1, ..Default::default() };
    assert_refused(
        &app.client().list_partners(authed(req, &reviewer_token())).await.unwrap_err(),
        Code::InvalidArgument,
        "FIELD_INVALID",
    );
    let req = pb::ListPartnerValidationsRequest { state: 17, ..Default::default() };
    assert_refused(
        &app.client().list_partner_validations(authed(req, &reviewer_token())).await.unwrap_err(),
        Code::InvalidArgument,
        "ENUM_VALUE_INVALID",
    );
}

#[tokio::test]
async fn transitions_need_their_text() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.unwrap();
    let req =
        pb::RejectPartnerValidationRequest { name: v.name.clone(), reason: " ".into(), request_id: String::new() };
    assert_refused(
        &app.client().reject_partner_validation(authed(req, &reviewer_token())).await.unwrap_err(),
        Code::InvalidArgument,
        "FIELD_REQUIRED",
    );
    let req = pb::RequestPartnerValidationInformationRequest {
        name: v.name,
        question: "q".repeat(2001),
        request_id: String::new(),
    };
    assert_refused(
        &app.client().request_partner_validation_information(authed(req, &reviewer_token())).await.unwrap_err(),
        Code::InvalidArgument,
        "FIELD_TOO_LONG",
    );
}
