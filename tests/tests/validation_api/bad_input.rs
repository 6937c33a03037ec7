//! Malformed and out-of-range input: the exact code and reason, and nothing written.

use gcc_platform::TenantId;
use gcc_proto::validation as pb;
use gcc_testkit::{authed, reason};
use tonic::Code;

use crate::helpers::{World, admin, submission};

#[tokio::test]
async fn bad_submissions_get_the_exact_code_and_reason_and_write_nothing() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let edit = |f: &dyn Fn(&mut pb::CustomerValidation)| {
        let mut r = submission(partner);
        f(r.customer_validation.as_mut().unwrap());
        r
    };
    let org = |f: &dyn Fn(&mut pb::Organization)| edit(&|v| f(v.organization.as_mut().unwrap()));
    let cases: Vec<(&str, pb::SubmitCustomerValidationRequest, Code, &str)> = vec![
        ("no body", pb::SubmitCustomerValidationRequest::default(), Code::InvalidArgument, "FIELD_REQUIRED"),
        (
            "malformed tenant id",
            edit(&|v| v.partner_tenant_id = "8f4c1d2e".into()),
            Code::InvalidArgument,
            "TENANT_ID_INVALID",
        ),
        (
            "nil tenant id",
            edit(&|v| v.partner_tenant_id = uuid::Uuid::nil().to_string()),
            Code::InvalidArgument,
            "TENANT_ID_NIL",
        ),
        ("no organization", edit(&|v| v.organization = None), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("no legal name", org(&|o| o.legal_name.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("legal name too long", org(&|o| o.legal_name = "n".repeat(201)), Code::InvalidArgument, "FIELD_TOO_LONG"),
        ("bad domain", org(&|o| o.domain = "not a domain".into()), Code::InvalidArgument, "DOMAIN_INVALID"),
        ("no address", org(&|o| o.address_lines.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("bad region", org(&|o| o.region_code = "usa".into()), Code::InvalidArgument, "REGION_CODE_INVALID"),
        ("bad email", org(&|o| o.contact_email = "pat.doe".into()), Code::InvalidArgument, "EMAIL_INVALID"),
        (
            "unknown entity kind",
            edit(&|v| {
                v.eligibility = Some(pb::CustomerEligibility {
                    basis: Some(pb::customer_eligibility::Basis::GovernmentEntity(77)),
                    us_presence: String::new(),
                })
            }),
            Code::InvalidArgument,
            "ENUM_VALUE_INVALID",
        ),
        (
            "no regulated data kind",
            edit(&|v| {
                v.eligibility = Some(pb::CustomerEligibility {
                    basis: Some(pb::customer_eligibility::Basis::RegulatedData(pb::RegulatedData { kinds: vec![] })),
                    us_presence: String::new(),
                })
            }),
            Code::InvalidArgument,
            "ELIGIBILITY_BASIS_REQUIRED",
        ),
        (
            "malformed customer",
            edit(&|v| v.customer = "customers/x".into()),
            Code::InvalidArgument,
            "TENANT_ID_INVALID",
        ),
        (
            "request id not a UUID",
            pb::SubmitCustomerValidationRequest { request_id: "again".into(), ..submission(partner) },
            Code::InvalidArgument,
            "REQUEST_ID_INVALID",
        ),
        (
            "over the size limit",
            org(&|o| o.address_lines = vec!["x".repeat(200); 400]),
            Code::ResourceExhausted,
            "MESSAGE_TOO_LARGE",
        ),
    ];
    for (what, req, code, expected) in cases {
        let err = w.validation().submit_customer_validation(authed(req, &admin(partner))).await.expect_err(what);
        assert_eq!((err.code(), reason(&err).as_str()), (code, expected), "{what}: {err:?}");
    }
    assert_eq!(w.count("customer_validations").await, 0);
    assert_eq!(w.count("idempotency").await, 0);
}

#[tokio::test]
async fn bad_gate_questions_and_code_requests_are_invalid_argument() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = TenantId::random();
    let check = |c: &str, families: Vec<i32>| pb::CheckEligibilityRequest {
        customer: c.into(),
        offer_families: families,
        partner: String::new(),
    };
    let cases = vec![
        (check("", vec![1]), "FIELD_REQUIRED"),
        (check("partners/x", vec![1]), "NAME_INVALID"),
        (check(&format!("customers/{customer}"), vec![]), "FIELD_REQUIRED"),
        (check(&format!("customers/{customer}"), vec![9]), "ENUM_VALUE_INVALID"),
        (check(&format!("customers/{customer}"), vec![0]), "FIELD_REQUIRED"),
    ];
    for (req, expected) in cases {
        let err = w.validation().check_eligibility(authed(req, &admin(partner))).await.unwrap_err();
        assert_eq!((err.code(), reason(&err).as_str()), (Code::InvalidArgument, expected), "{err:?}");
    }
    let apply = pb::ApplyValidationCodeRequest {
        validation_code: "codes/1".into(),
        customer: format!("customers/{customer}"),
        request_id: String::new(),
    };
    let err = w.validation().apply_validation_code(authed(apply, &admin(partner))).await.unwrap_err();
    assert_eq!(reason(&err), "NAME_INVALID");

    let v = w.submit(partner, submission(partner)).await.unwrap();
    let approve = pb::ApproveCustomerValidationRequest { name: v.name, code_uses: 1000, request_id: String::new() };
    let err =
        w.validation().approve_customer_validation(authed(approve, &gcc_testkit::reviewer_token())).await.unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::InvalidArgument, "FIELD_INVALID"));
    assert_eq!(w.count("validation_codes").await, 0);
}
