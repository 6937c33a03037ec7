use gcc_platform::TenantId;
use gcc_proto::partner::{self as pb, partner_validation::State};
use gcc_proto::types::OfferFamily;
use gcc_testkit::{assert_refused, authed, reviewer_token};
use tonic::Code;

use crate::helpers::{TestApp, admin, state};

async fn reject(app: &TestApp, name: &str, token: &str) -> Result<pb::PartnerValidation, tonic::Status> {
    let req = pb::RejectPartnerValidationRequest {
        name: name.into(),
        reason: "No government customers shown".into(),
        request_id: String::new(),
    };
    app.client().reject_partner_validation(authed(req, token)).await.map(|r| r.into_inner())
}

async fn ask(app: &TestApp, name: &str) -> Result<pb::PartnerValidation, tonic::Status> {
    let req = pb::RequestPartnerValidationInformationRequest {
        name: name.into(),
        question: "Which agencies?".into(),
        request_id: String::new(),
    };
    app.client().request_partner_validation_information(authed(req, &reviewer_token())).await.map(|r| r.into_inner())
}

async fn answer(app: &TestApp, name: &str, token: &str) -> Result<pb::PartnerValidation, tonic::Status> {
    let req = pb::ProvidePartnerValidationInformationRequest {
        name: name.into(),
        answer: "State of Ohio DAS".into(),
        request_id: String::new(),
    };
    app.client().provide_partner_validation_information(authed(req, token)).await.map(|r| r.into_inner())
}

#[tokio::test]
async fn r5_approval_grants_government_community_cloud() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.unwrap();
    let approved = app.approve(&v.name).await.unwrap();
    assert_eq!(state(&approved), State::Approved);
    assert!(approved.decide_time.is_some());
    assert!(!approved.reviewer.is_empty());

    let partner = app.get_partner(tenant, &admin(tenant)).await.unwrap();
    assert!(partner.gcc_enabled);
    assert_eq!(partner.qualifications.len(), 1);
    assert_eq!(partner.qualifications[0].name, "Government_community_cloud");
    assert_eq!(partner.qualifications[0].validation, v.name);
    assert_eq!(
        app.count("outbox WHERE topic = 'gcc.partner.v1.partner_validation.approved'").await,
        1,
        "the approval notification is queued"
    );
}

#[tokio::test]
async fn r6_one_qualification_covers_office_dynamics_ems_and_power_bi() {
    let app = TestApp::spawn().await;
    let tenant = app.qualified(pb::PartnerType::DirectReseller).await;
    let partner = app.get_partner(tenant, &admin(tenant)).await.unwrap();
    let families = &partner.qualifications[0].offer_families;
    for f in [OfferFamily::Office365, OfferFamily::Dynamics365, OfferFamily::Ems, OfferFamily::PowerBi] {
        assert!(families.contains(&(f as i32)), "{f:?} must be covered");
    }
    let err = app.submit(tenant).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "PARTNER_ALREADY_QUALIFIED");
}

#[tokio::test]
async fn r4_reviewers_may_ask_for_more_information_and_the_answer_restarts_the_clock() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.unwrap();
    let asked = ask(&app, &v.name).await.unwrap();
    assert_eq!(state(&asked), State::InformationRequested);
    assert_eq!(asked.information_request, "Which agencies?");

    app.clock.advance(chrono::Duration::days(1));
    let other = app.enrolled(pb::PartnerType::DirectReseller).await;
    assert_refused(
        &answer(&app, &v.name, &admin(other)).await.unwrap_err(),
        Code::NotFound,
        "PARTNER_VALIDATION_NOT_FOUND",
    );
    let answered = answer(&app, &v.name, &admin(tenant)).await.unwrap();
    assert_eq!(state(&answered), State::PendingReview);
    assert_eq!(answered.information_response, "State of Ohio DAS");
    assert!(answered.due_time.unwrap().seconds > v.due_time.unwrap().seconds, "a new due time after the answer");
    assert_eq!(state(&app.approve(&v.name).await.unwrap()), State::Approved);
}

#[tokio::test]
async fn illegal_transitions_are_failed_precondition() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.unwrap();
    assert_refused(
        &answer(&app, &v.name, &admin(tenant)).await.unwrap_err(),
        Code::FailedPrecondition,
        "TRANSITION_NOT_ALLOWED",
    );
    ask(&app, &v.name).await.unwrap();
    assert_refused(&app.approve(&v.name).await.unwrap_err(), Code::FailedPrecondition, "TRANSITION_NOT_ALLOWED");
    assert_refused(&ask(&app, &v.name).await.unwrap_err(), Code::FailedPrecondition, "TRANSITION_NOT_ALLOWED");
    let rejected = reject(&app, &v.name, &reviewer_token()).await.unwrap();
    assert_eq!(state(&rejected), State::Rejected);
    for err in [app.approve(&v.name).await.unwrap_err(), reject(&app, &v.name, &reviewer_token()).await.unwrap_err()] {
        assert_refused(&err, Code::FailedPrecondition, "TRANSITION_NOT_ALLOWED");
    }
    let partner = app.get_partner(tenant, &admin(tenant)).await.unwrap();
    assert!(!partner.gcc_enabled, "a rejection grants nothing");
    // After a rejection the partner may try again.
    assert_eq!(state(&app.submit(tenant).await.unwrap()), State::PendingReview);
}

#[tokio::test]
async fn the_transacting_partner_of_an_indirect_reseller_is_its_provider() {
    let app = TestApp::spawn().await;
    let provider = app.qualified(pb::PartnerType::IndirectProvider).await;
    let reseller = app.linked_reseller(provider).await;
    let lookup = |tenant: TenantId, token: String| {
        let mut c = app.client();
        async move {
            c.lookup_transacting_partner(authed(
                pb::LookupTransactingPartnerRequest { tenant_id: tenant.to_string() },
                &token,
            ))
            .await
            .map(|r| r.into_inner())
        }
    };
    let t = lookup(reseller, admin(reseller)).await.unwrap();
    assert_eq!(t.transacting_tenant_id, provider.to_string());
    assert!(t.gcc_qualified, "the provider holds GCC");
    let own = lookup(provider, admin(provider)).await.unwrap();
    assert_eq!(own.transacting_tenant_id, provider.to_string());
    let stranger = app.enrolled(pb::PartnerType::DirectReseller).await;
    assert_refused(&lookup(reseller, admin(stranger)).await.unwrap_err(), Code::NotFound, "PARTNER_NOT_FOUND");
    let unqualified = lookup(stranger, admin(stranger)).await.unwrap();
    assert!(!unqualified.gcc_qualified);
}
