//! What customer-validation decides on its own: malformed submissions are refused before
//! any dependency is asked, and with no dependency reachable the gate fails closed (R18).

use gcc_platform::TenantId;
use gcc_proto::types::OfferFamily;
use gcc_proto::validation as pb;
use gcc_testkit::walk::{self, admin};
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::TestApp;

#[tokio::test]
async fn malformed_submissions_are_refused_without_asking_a_dependency() {
    let app = TestApp::spawn().await;
    let partner = TenantId::random();
    let mut bad_tenant = walk::submission(partner, None);
    bad_tenant.customer_validation.as_mut().expect("a validation").partner_tenant_id = "8f4c1d2e".into();
    let cases = [
        ("no body", pb::SubmitCustomerValidationRequest::default(), "FIELD_REQUIRED"),
        ("malformed tenant id", bad_tenant, "TENANT_ID_INVALID"),
    ];
    for (what, req, expected) in cases {
        let err = app.client.clone().submit_customer_validation(authed(req, &admin(partner))).await.expect_err(what);
        assert_refused(&err, Code::InvalidArgument, expected);
    }
    assert_eq!(app.count("customer_validations").await, 0);
}

#[tokio::test]
async fn r18_the_gate_fails_closed_when_no_dependency_answers() {
    let app = TestApp::spawn().await;
    let partner = TenantId::random();
    let req = pb::CheckEligibilityRequest {
        customer: format!("customers/{}", TenantId::random()),
        offer_families: vec![OfferFamily::Office365 as i32],
        partner: String::new(),
    };
    let err = app.client.clone().check_eligibility(authed(req, &admin(partner))).await.expect_err("no dependency");
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
}
