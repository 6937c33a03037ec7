use gcc_platform::TenantId;
use gcc_proto::partner as ppb;
use gcc_proto::validation as pb;
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{World, admin, submission};

async fn codes(w: &World, partner: TenantId, include_spent: bool) -> Vec<pb::ValidationCode> {
    let req = pb::ListValidationCodesRequest { include_spent, ..Default::default() };
    w.validation().list_validation_codes(authed(req, &admin(partner))).await.unwrap().into_inner().validation_codes
}

async fn qualifications(
    w: &World,
    partner: TenantId,
    customer: TenantId,
) -> Result<Vec<pb::SpecialQualification>, tonic::Status> {
    let req = pb::ListSpecialQualificationsRequest { customer: format!("customers/{customer}") };
    w.validation()
        .list_special_qualifications(authed(req, &admin(partner)))
        .await
        .map(|r| r.into_inner().special_qualifications)
}

#[tokio::test]
async fn r10_a_partner_with_no_approved_validation_has_nothing_to_pick() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    assert!(codes(&w, partner, true).await.is_empty());
    let customer = w.customer_of(partner).await;
    assert!(qualifications(&w, partner, customer).await.unwrap().is_empty(), "a new customer has no validation yet");
}

#[tokio::test]
async fn r12_approval_issues_a_code_that_qualifies_a_managed_customer() {
    let w = World::spawn().await;
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None, None).await;
    w.qualify(provider).await;
    let reseller = w.enrolled(ppb::PartnerType::IndirectReseller, Some(provider), None).await;
    let code = w.approved_code(reseller, provider, 1).await;
    assert!(code.starts_with("validationCodes/GCC-"));

    let listed = codes(&w, reseller, false).await;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].name.as_str(), listed[0].remaining_uses), (code.as_str(), 1));
    assert_eq!(listed[0].organization_name, "Arlington County");
    assert_eq!(codes(&w, provider, false).await.len(), 1, "the transacting partner sees the code too");

    let customer = w.customer_of(reseller).await;
    let q = w.apply(reseller, &code, customer).await.unwrap();
    assert_eq!(q.display_name, "Government Community Cloud");
    assert_eq!(q.offer_families.len(), 4, "R6: one qualification opens all four families");
    assert_eq!(qualifications(&w, reseller, customer).await.unwrap(), vec![q.clone()]);
    assert_eq!(
        qualifications(&w, provider, customer).await.unwrap(),
        vec![q],
        "R16: any partner managing it can check"
    );
    assert!(codes(&w, reseller, false).await.is_empty(), "a spent code leaves the pick list");
    assert_eq!(codes(&w, reseller, true).await[0].remaining_uses, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r12_concurrent_applications_race_for_the_last_uses_and_a_spent_code_is_refused() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let code = w.approved_code(partner, partner, 2).await;
    let mut customers = Vec::new();
    for _ in 0..8 {
        customers.push(w.customer_of(partner).await);
    }
    let calls = customers.iter().map(|c| {
        let mut client = w.validation();
        let req = pb::ApplyValidationCodeRequest {
            validation_code: code.clone(),
            customer: format!("customers/{c}"),
            request_id: String::new(),
        };
        let token = admin(partner);
        tokio::spawn(async move { client.apply_validation_code(authed(req, &token)).await })
    });
    let results: Vec<_> = join_all(calls).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 2, "exactly the two uses are taken");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_refused(err, Code::FailedPrecondition, "VALIDATION_CODE_SPENT");
    }
    assert_eq!(w.count("special_qualifications").await, 2);
    assert_eq!(codes(&w, partner, true).await[0].remaining_uses, 0);
}

#[tokio::test]
async fn a_code_applies_only_to_a_customer_the_caller_manages_and_only_once() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let other = w.gcc_partner().await;
    let code = w.approved_code(partner, partner, 3).await;
    let theirs = w.customer_of(other).await;
    assert_refused(&w.apply(partner, &code, theirs).await.unwrap_err(), Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert_refused(&qualifications(&w, partner, theirs).await.unwrap_err(), Code::NotFound, "CUSTOMER_NOT_FOUND");
    let other_customer = w.customer_of(other).await;
    assert_refused(
        &w.apply(other, &code, other_customer).await.unwrap_err(),
        Code::NotFound,
        "VALIDATION_CODE_NOT_FOUND",
    );

    let mine = w.customer_of(partner).await;
    w.apply(partner, &code, mine).await.unwrap();
    assert_refused(
        &w.apply(partner, &code, mine).await.unwrap_err(),
        Code::FailedPrecondition,
        "CUSTOMER_ALREADY_QUALIFIED",
    );
    assert_eq!(codes(&w, partner, false).await[0].remaining_uses, 2, "a refused application takes no use");
}

#[tokio::test]
async fn a_retried_application_takes_one_use() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let code = w.approved_code(partner, partner, 5).await;
    let customer = w.customer_of(partner).await;
    let req = pb::ApplyValidationCodeRequest {
        validation_code: code,
        customer: format!("customers/{customer}"),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let first = w.validation().apply_validation_code(authed(req.clone(), &admin(partner))).await.unwrap().into_inner();
    let again = w.validation().apply_validation_code(authed(req, &admin(partner))).await.unwrap().into_inner();
    assert_eq!(first, again);
    assert_eq!(codes(&w, partner, false).await[0].remaining_uses, 4);
}

#[tokio::test]
async fn submissions_are_idempotent_by_request_id() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let mut req = submission(partner);
    req.request_id = uuid::Uuid::new_v4().to_string();
    let a = w.submit(partner, req.clone()).await.unwrap();
    let b = w.submit(partner, req.clone()).await.unwrap();
    assert_eq!(a, b);
    req.customer_validation.as_mut().unwrap().organization.as_mut().unwrap().legal_name = "Someone else".into();
    assert_refused(&w.submit(partner, req).await.unwrap_err(), Code::AlreadyExists, "REQUEST_ID_REUSED");
    assert_eq!(w.count("customer_validations").await, 1);
}

/// Awaits spawned tasks in order.
async fn join_all<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}
