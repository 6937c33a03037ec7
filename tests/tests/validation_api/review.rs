use chrono::Duration;
use gcc_proto::validation::{self as pb, customer_validation::State};
use gcc_testkit::{assert_refused, authed, reviewer_token};
use tonic::Code;

use crate::helpers::{World, admin, state, submission};

async fn contact(w: &World, name: &str) -> Result<pb::CustomerValidation, tonic::Status> {
    let req = pb::ContactCustomerRequest {
        name: name.into(),
        note: "Send proof of agency status".into(),
        request_id: String::new(),
    };
    w.validation().contact_customer(authed(req, &reviewer_token())).await.map(|r| r.into_inner())
}

async fn resume(w: &World, name: &str) -> Result<pb::CustomerValidation, tonic::Status> {
    let req = pb::ResumeCustomerValidationReviewRequest { name: name.into(), request_id: String::new() };
    w.validation().resume_customer_validation_review(authed(req, &reviewer_token())).await.map(|r| r.into_inner())
}

async fn reject(w: &World, name: &str) -> Result<pb::CustomerValidation, tonic::Status> {
    let req = pb::RejectCustomerValidationRequest {
        name: name.into(),
        reason: "Not a government entity".into(),
        request_id: String::new(),
    };
    w.validation().reject_customer_validation(authed(req, &reviewer_token())).await.map(|r| r.into_inner())
}

#[tokio::test]
async fn r11_contacting_the_customer_is_its_own_state_and_review_resumes_with_a_new_due_time() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let v = w.submit(partner, submission(partner)).await.unwrap();
    // Monday 14:00 in New York → due Wednesday 14:00: two business days.
    assert_eq!(v.due_time.unwrap().seconds - v.submit_time.unwrap().seconds, 2 * 86_400);

    let contacted = contact(&w, &v.name).await.unwrap();
    assert_eq!(state(&contacted), State::ContactingCustomer);
    assert_eq!(contacted.contact_note, "Send proof of agency status");
    assert!(contacted.validation_code.is_empty());
    assert_refused(&w.approve(&v.name, 1).await.unwrap_err(), Code::FailedPrecondition, "TRANSITION_NOT_ALLOWED");

    w.clock.advance(Duration::days(1));
    let resumed = resume(&w, &v.name).await.unwrap();
    assert_eq!(state(&resumed), State::PendingReview);
    assert!(resumed.due_time.unwrap().seconds > v.due_time.unwrap().seconds);
    assert_eq!(state(&w.approve(&v.name, 1).await.unwrap()), State::Approved);
}

#[tokio::test]
async fn r11_reviewers_list_what_is_overdue() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let late = w.submit(partner, submission(partner)).await.unwrap();
    let done = w.submit(partner, submission(partner)).await.unwrap();
    w.approve(&done.name, 1).await.unwrap();
    let overdue = || {
        let mut c = w.validation();
        async move {
            let req = pb::ListCustomerValidationsRequest { overdue_only: true, ..Default::default() };
            c.list_customer_validations(authed(req, &reviewer_token())).await.unwrap().into_inner().customer_validations
        }
    };
    assert!(overdue().await.is_empty());
    w.clock.advance(Duration::days(4));
    let names: Vec<String> = overdue().await.into_iter().map(|v| v.name).collect();
    assert_eq!(names, vec![late.name]);
}

#[tokio::test]
async fn r13_a_rejected_or_pending_validation_issues_no_code() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let pending = w.submit(partner, submission(partner)).await.unwrap();
    let rejected = w.submit(partner, submission(partner)).await.unwrap();
    let rejected = reject(&w, &rejected.name).await.unwrap();
    assert_eq!(state(&rejected), State::Rejected);
    assert!(pending.validation_code.is_empty() && rejected.validation_code.is_empty());
    assert_eq!(w.count("validation_codes").await, 0);
    let codes = w
        .validation()
        .list_validation_codes(authed(pb::ListValidationCodesRequest::default(), &admin(partner)))
        .await
        .unwrap()
        .into_inner()
        .validation_codes;
    assert!(codes.is_empty());
    for err in [w.approve(&rejected.name, 1).await.unwrap_err(), contact(&w, &rejected.name).await.unwrap_err()] {
        assert_refused(&err, Code::FailedPrecondition, "TRANSITION_NOT_ALLOWED");
    }
}

#[tokio::test]
async fn only_reviewers_move_a_review() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let v = w.submit(partner, submission(partner)).await.unwrap();
    let req = pb::ApproveCustomerValidationRequest { name: v.name.clone(), code_uses: 1, request_id: String::new() };
    let err = w.validation().approve_customer_validation(authed(req, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    assert_eq!(gcc_testkit::eventually_eq(1, || w.count("audit_log WHERE outcome = 'ROLE_REQUIRED'")).await, 1);
}

#[tokio::test]
async fn watching_a_validation_streams_its_changes() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let v = w.submit(partner, submission(partner)).await.unwrap();
    let mut stream = w
        .validation()
        .watch_customer_validation(authed(pb::WatchCustomerValidationRequest { name: v.name.clone() }, &admin(partner)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&stream.message().await.unwrap().unwrap()), State::PendingReview);
    contact(&w, &v.name).await.unwrap();
    assert_eq!(state(&stream.message().await.unwrap().unwrap()), State::ContactingCustomer);
    reject(&w, &v.name).await.unwrap();
    assert_eq!(state(&stream.message().await.unwrap().unwrap()), State::Rejected);
    assert!(stream.message().await.unwrap().is_none());
}
