//! Malformed, oversized and out-of-range input: the exact code and reason, and nothing
//! written.

use gcc_platform::{Role, TenantId};
use gcc_proto::relationships as pb;
use gcc_testkit::{assert_refused, authed, token};
use tonic::Code;

use crate::helpers::{TestApp, admin, customer_admin, profile, sales, unique_domain};

fn creation(edit: impl FnOnce(&mut pb::CompanyProfile)) -> pb::CreateCustomerRequest {
    let mut p = profile(&unique_domain());
    edit(&mut p);
    pb::CreateCustomerRequest {
        customer: Some(pb::Customer { company_profile: Some(p), ..Default::default() }),
        request_id: String::new(),
    }
}

fn address(edit: impl FnOnce(&mut pb::PostalAddress)) -> pb::CreateCustomerRequest {
    creation(|p| edit(p.postal_address.as_mut().unwrap()))
}

/// Each bad customer with the code and reason it gets. Longer than a function should be:
/// one table of cases reads best whole.
fn bad_customers() -> Vec<(&'static str, pb::CreateCustomerRequest, Code, &'static str)> {
    vec![
        ("no customer", pb::CreateCustomerRequest::default(), Code::InvalidArgument, "FIELD_REQUIRED"),
        (
            "no profile",
            pb::CreateCustomerRequest { customer: Some(pb::Customer::default()), request_id: String::new() },
            Code::InvalidArgument,
            "FIELD_REQUIRED",
        ),
        ("blank legal name", creation(|p| p.legal_name = "  ".into()), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("legal name too long", creation(|p| p.legal_name = "x".repeat(201)), Code::InvalidArgument, "FIELD_TOO_LONG"),
        ("no domain", creation(|p| p.domain.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("domain with a space", creation(|p| p.domain = "agency .gov".into()), Code::InvalidArgument, "DOMAIN_INVALID"),
        ("single-label domain", creation(|p| p.domain = "localhost".into()), Code::InvalidArgument, "DOMAIN_INVALID"),
        (
            "domain as a URL",
            creation(|p| p.domain = "https://agency.gov".into()),
            Code::InvalidArgument,
            "DOMAIN_INVALID",
        ),
        ("no address", creation(|p| p.postal_address = None), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("no region", address(|a| a.region_code.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("lower-case region", address(|a| a.region_code = "us".into()), Code::InvalidArgument, "REGION_CODE_INVALID"),
        (
            "three-letter region",
            address(|a| a.region_code = "USA".into()),
            Code::InvalidArgument,
            "REGION_CODE_INVALID",
        ),
        ("no street lines", address(|a| a.address_lines.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        (
            "four street lines",
            address(|a| a.address_lines = vec!["a".into(); 4]),
            Code::InvalidArgument,
            "FIELD_INVALID",
        ),
        ("blank street line", address(|a| a.address_lines = vec![" ".into()]), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("no locality", address(|a| a.locality.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("postal code too long", address(|a| a.postal_code = "9".repeat(21)), Code::InvalidArgument, "FIELD_TOO_LONG"),
        ("no email", creation(|p| p.contact_email.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        (
            "bad email",
            creation(|p| p.contact_email = "it-at-agency.gov".into()),
            Code::InvalidArgument,
            "EMAIL_INVALID",
        ),
        (
            "request id not a UUID",
            pb::CreateCustomerRequest { request_id: "retry-1".into(), ..creation(|_| {}) },
            Code::InvalidArgument,
            "REQUEST_ID_INVALID",
        ),
        (
            "nil request id",
            pb::CreateCustomerRequest { request_id: uuid::Uuid::nil().to_string(), ..creation(|_| {}) },
            Code::InvalidArgument,
            "REQUEST_ID_INVALID",
        ),
        (
            "message over the size limit",
            creation(|p| p.legal_name = "x".repeat(70 * 1024)),
            Code::ResourceExhausted,
            "MESSAGE_TOO_LARGE",
        ),
    ]
}

#[tokio::test]
async fn bad_customers_get_the_exact_code_and_reason_and_write_nothing() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    for (what, req, code, reason) in bad_customers() {
        let err = app.client().create_customer(authed(req, &admin(partner))).await.expect_err(what);
        assert_eq!((err.code(), gcc_testkit::reason(&err).as_str()), (code, reason), "{what}: {err:?}");
    }
    for table in ["customers", "relationships", "idempotency", "outbox"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn bad_invitations_and_acceptances_are_invalid_argument_and_write_nothing() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let bound = |edit: &dyn Fn(&mut pb::RelationshipRequest)| {
        let mut r = pb::RelationshipRequest::default();
        edit(&mut r);
        pb::CreateRelationshipRequestRequest { relationship_request: Some(r), request_id: String::new() }
    };
    let cases: Vec<(&str, pb::CreateRelationshipRequestRequest, &str)> = vec![
        ("no body", pb::CreateRelationshipRequestRequest::default(), "FIELD_REQUIRED"),
        (
            "malformed GUID",
            bound(&|r| r.bound_customer_tenant_id = "8f4c1d2e-1b7a-4a53-9a0e".into()),
            "TENANT_ID_INVALID",
        ),
        (
            "GUID with braces",
            bound(&|r| r.bound_customer_tenant_id = format!("{{{}}}", TenantId::random())),
            "TENANT_ID_INVALID",
        ),
        ("nil GUID", bound(&|r| r.bound_customer_tenant_id = uuid::Uuid::nil().to_string()), "TENANT_ID_NIL"),
        ("bad domain", bound(&|r| r.bound_domain = "not a domain".into()), "DOMAIN_INVALID"),
    ];
    for (what, req, reason) in cases {
        let err = app.client().create_relationship_request(authed(req, &admin(partner))).await.expect_err(what);
        assert_refused(&err, Code::InvalidArgument, reason);
    }

    let accept = |token: String, company_profile: Option<pb::CompanyProfile>| pb::AcceptRelationshipRequestRequest {
        invitation_token: token,
        company_profile,
        request_id: String::new(),
    };
    let mut bad_profile = profile(&unique_domain());
    bad_profile.contact_email = "nobody".into();
    let cases = [
        ("no token", accept(String::new(), None), "FIELD_REQUIRED"),
        ("token too long", accept("t".repeat(257), None), "FIELD_TOO_LONG"),
        ("bad profile", accept("t".into(), Some(bad_profile)), "EMAIL_INVALID"),
    ];
    let customer = TenantId::random();
    for (what, req, reason) in cases {
        let err =
            app.client().accept_relationship_request(authed(req, &customer_admin(customer))).await.expect_err(what);
        assert_refused(&err, Code::InvalidArgument, reason);
    }
    for table in ["relationship_requests", "invitation_links", "customers", "relationships", "idempotency"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn bad_email_edits_are_invalid_argument() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let invitation = app.invite(partner, pb::RelationshipRequest::default()).await.unwrap();
    let edit = |subject: &str, body: String| pb::UpdateRelationshipRequestEmailRequest {
        name: invitation.name.clone(),
        email_subject: subject.to_owned(),
        email_body: body,
        request_id: String::new(),
    };
    let url = &invitation.invitation_url;
    let cases = [
        ("no subject", edit("", format!("Open {url}")), "FIELD_REQUIRED"),
        ("subject too long", edit(&"s".repeat(201), format!("Open {url}")), "FIELD_TOO_LONG"),
        ("no body", edit("Hello", String::new()), "FIELD_REQUIRED"),
        ("body too long", edit("Hello", format!("{url} {}", "b".repeat(10_000))), "FIELD_TOO_LONG"),
        (
            "bad name",
            pb::UpdateRelationshipRequestEmailRequest { name: "invitations/1".into(), ..edit("Hello", url.clone()) },
            "NAME_INVALID",
        ),
    ];
    for (what, req, reason) in cases {
        let err = app.client().update_relationship_request_email(authed(req, &admin(partner))).await.expect_err(what);
        assert_refused(&err, Code::InvalidArgument, reason);
    }
    assert_eq!(app.count("audit_log WHERE action = 'relationship_request.email_updated'").await, 0);
}

#[tokio::test]
async fn bad_names_enums_and_page_tokens_are_invalid_argument() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    for (name, reason) in [
        ("", "FIELD_REQUIRED"),
        ("customers/not-a-guid", "TENANT_ID_INVALID"),
        ("customers/00000000-0000-0000-0000-000000000000", "TENANT_ID_NIL"),
        ("partners/8f4c1d2e-1b7a-4a53-9a0e-2f1c3d4b5a69", "NAME_INVALID"),
        ("customers/", "NAME_INVALID"),
    ] {
        let err = app.get_customer(partner, name).await.expect_err(name);
        assert_refused(&err, Code::InvalidArgument, reason);
    }
    for name in ["relationshipRequests/", "relationshipRequests/../../etc", "customers/1"] {
        let req = pb::GetRelationshipRequestRequest { name: name.into() };
        let err = app.client().get_relationship_request(authed(req, &admin(partner))).await.unwrap_err();
        assert_refused(&err, Code::InvalidArgument, "NAME_INVALID");
    }
    let check = |customer: &str, partner_name: &str| pb::CheckCustomerManagementRequest {
        customer: customer.into(),
        partner: partner_name.into(),
    };
    for (req, reason) in [
        (check("", ""), "FIELD_REQUIRED"),
        (check("customers/x", ""), "TENANT_ID_INVALID"),
        (check(&format!("customers/{}", TenantId::random()), "partners/x"), "TENANT_ID_INVALID"),
        (check(&format!("customers/{}", TenantId::random()), "customers/x"), "NAME_INVALID"),
    ] {
        let err = app.client().check_customer_management(authed(req, &sales(partner))).await.unwrap_err();
        assert_refused(&err, Code::InvalidArgument, reason);
    }

    let req = pb::ListCustomersRequest { page_token: "bm90LWEtdG9rZW4".into(), ..Default::default() };
    let err = app.client().list_customers(authed(req, &sales(partner))).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "PAGE_TOKEN_INVALID");
    let req = pb::ListCustomersRequest { page_size: -1, ..Default::default() };
    let err = app.client().list_customers(authed(req, &sales(partner))).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "FIELD_INVALID");
    let req = pb::ListRelationshipRequestsRequest { state: 42, ..Default::default() };
    let err = app.client().list_relationship_requests(authed(req, &sales(partner))).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "ENUM_VALUE_INVALID");
}

#[tokio::test]
async fn each_call_needs_its_role() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let req = pb::CreateCustomerRequest {
        customer: Some(pb::Customer { company_profile: Some(profile(&unique_domain())), ..Default::default() }),
        request_id: String::new(),
    };
    for roles in [&[Role::CustomerAdmin][..], &[Role::EligibilityReviewer], &[]] {
        let err = app.client().create_customer(authed(req.clone(), &token(partner, roles))).await.unwrap_err();
        assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    }
    let invite = pb::CreateRelationshipRequestRequest {
        relationship_request: Some(pb::RelationshipRequest::default()),
        request_id: String::new(),
    };
    let err = app.client().create_relationship_request(authed(invite, &customer_admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    let accept = pb::AcceptRelationshipRequestRequest { invitation_token: "t".into(), ..Default::default() };
    let err = app.client().accept_relationship_request(authed(accept, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    let err = app
        .client()
        .list_customers(authed(pb::ListCustomersRequest::default(), &customer_admin(partner)))
        .await
        .unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    assert_eq!(app.count("customers").await, 0);
    assert_eq!(
        gcc_testkit::eventually_eq(6, || app.count("audit_log WHERE outcome = 'ROLE_REQUIRED'")).await,
        6,
        "every denial is audited"
    );
}
