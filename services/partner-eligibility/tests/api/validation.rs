use chrono::{Duration, TimeZone};
use gcc_platform::TenantId;
use gcc_proto::partner::{self as pb, partner_validation::State};
use gcc_testkit::{assert_refused, authed, reviewer_token};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{TestApp, admin, state, submission};

#[tokio::test]
async fn r2_indirect_reseller_cannot_submit_and_is_told_its_provider() {
    let app = TestApp::spawn().await;
    let provider = app.enrolled(pb::PartnerType::IndirectProvider).await;
    let reseller = app.linked_reseller(provider).await;

    let err = app.submit(reseller).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INDIRECT_RESELLER_CANNOT_SUBMIT");
    let details = err.get_error_details();
    assert_eq!(details.error_info().unwrap().metadata["indirect_provider"], format!("partners/{provider}"));
    assert!(details.precondition_failure().is_some());
    assert!(details.help().is_some(), "validation questions link to the eligibility contact");
    assert_eq!(app.count("partner_validations").await, 0);
    assert_eq!(
        gcc_testkit::eventually_eq(1, || app.count("audit_log WHERE outcome = 'INDIRECT_RESELLER_CANNOT_SUBMIT'"))
            .await,
        1
    );
}

#[tokio::test]
async fn r2_direct_bill_partners_submit_partner_validations() {
    let app = TestApp::spawn().await;
    for t in [pb::PartnerType::DirectReseller, pb::PartnerType::IndirectProvider] {
        let tenant = app.enrolled(t).await;
        let v = app.submit(tenant).await.unwrap();
        assert_eq!(state(&v), State::PendingReview);
        assert_eq!(v.partner, format!("partners/{tenant}"));
    }
}

#[tokio::test]
async fn r2a_the_qualifying_basis_is_required() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let mut req = submission(tenant, "");
    req.partner_validation.as_mut().unwrap().qualifying_basis = 0;
    let err = app.client().submit_partner_validation(authed(req, &admin(tenant))).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "QUALIFYING_BASIS_REQUIRED");
    let violations = err.get_error_details().bad_request().unwrap().field_violations.clone();
    assert_eq!(violations[0].field, "partner_validation.qualifying_basis");
    assert_eq!(app.count("partner_validations").await, 0);
}

#[tokio::test]
async fn r3_an_azure_gcc_tenant_id_is_refused_with_its_own_reason() {
    let app = TestApp::spawn().await;
    let tenant = TenantId::random();
    let azure = TenantId::random();
    let enroll = pb::EnrollPartnerRequest {
        partner: Some(pb::Partner {
            legal_name: "Fabrikam".into(),
            partner_type: pb::PartnerType::DirectReseller as i32,
            azure_gcc_tenant_id: azure.to_string(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    app.client().enroll_partner(authed(enroll, &admin(tenant))).await.unwrap();
    let mut req = submission(tenant, "");
    req.partner_validation.as_mut().unwrap().tenant_id = azure.to_string();
    let err = app.client().submit_partner_validation(authed(req, &admin(tenant))).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "AZURE_GCC_TENANT_ID_NOT_ALLOWED");
    assert_eq!(app.count("partner_validations").await, 0);
}

#[tokio::test]
async fn r3_the_tenant_id_must_be_the_partners_commercial_one() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let mut req = submission(tenant, "");
    req.partner_validation.as_mut().unwrap().tenant_id = TenantId::random().to_string();
    let err = app.client().submit_partner_validation(authed(req, &admin(tenant))).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "TENANT_ID_MISMATCH");
    assert_eq!(err.get_error_details().error_info().unwrap().metadata["expected_tenant_id"], tenant.to_string());
}

#[tokio::test]
async fn r4_each_request_is_due_two_business_days_after_submission() {
    let app = TestApp::spawn().await;
    // Friday 2026-11-20 17:00 in New York → due Tuesday 2026-11-24 17:00.
    let friday = chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, 20, 17, 0, 0).unwrap();
    app.clock.set(friday.to_utc());
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.unwrap();
    let tuesday = chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, 24, 17, 0, 0).unwrap();
    assert_eq!(v.due_time.unwrap().seconds, tuesday.timestamp());
}

#[tokio::test]
async fn r4_reviewers_list_overdue_requests() {
    let app = TestApp::spawn().await;
    let late = app.enrolled(pb::PartnerType::DirectReseller).await;
    let answered = app.enrolled(pb::PartnerType::DirectReseller).await;
    let late_v = app.submit(late).await.unwrap();
    let answered_v = app.submit(answered).await.unwrap();
    app.approve(&answered_v.name).await.unwrap();

    let overdue = |token: String| {
        let mut c = app.client();
        async move {
            let req = pb::ListPartnerValidationsRequest { overdue_only: true, ..Default::default() };
            c.list_partner_validations(authed(req, &token)).await.unwrap().into_inner().partner_validations
        }
    };
    assert!(overdue(reviewer_token()).await.is_empty(), "nothing is overdue yet");
    app.clock.advance(Duration::days(3));
    let listed = overdue(reviewer_token()).await;
    assert_eq!(listed.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), vec![late_v.name.as_str()]);
    assert!(overdue(admin(answered)).await.is_empty(), "a partner sees only its own requests");
    assert_eq!(overdue(admin(late)).await.len(), 1);
}

#[tokio::test]
async fn a_second_open_validation_is_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let first = app.submit(tenant).await.unwrap();
    let err = app.submit(tenant).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "VALIDATION_ALREADY_OPEN");
    assert_eq!(err.get_error_details().error_info().unwrap().metadata["partner_validation"], first.name);
    assert_eq!(app.count("partner_validations").await, 1);
}

#[tokio::test]
async fn another_partners_validation_is_not_found() {
    let app = TestApp::spawn().await;
    let owner = app.enrolled(pb::PartnerType::DirectReseller).await;
    let other = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(owner).await.unwrap();
    let get = |name: String, token: String| {
        let mut c = app.client();
        async move { c.get_partner_validation(authed(pb::GetPartnerValidationRequest { name }, &token)).await }
    };
    assert_refused(
        &get(v.name.clone(), admin(other)).await.unwrap_err(),
        Code::NotFound,
        "PARTNER_VALIDATION_NOT_FOUND",
    );
    assert_refused(
        &get("partnerValidations/0000000000000000000000000000abcd".into(), admin(other)).await.unwrap_err(),
        Code::NotFound,
        "PARTNER_VALIDATION_NOT_FOUND",
    );
    assert_eq!(get(v.name.clone(), admin(owner)).await.unwrap().into_inner(), v);
    assert_eq!(get(v.name.clone(), reviewer_token()).await.unwrap().into_inner(), v);
}
