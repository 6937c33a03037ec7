//! The review rules (R4, R5) on their own, without storage.

use super::*;
use ValidationState::*;
use chrono::Duration;

fn pending() -> PartnerValidation {
    let now = Utc::now();
    PartnerValidation {
        id: "v1".into(),
        partner: TenantId::random(),
        tenant_id: TenantId::random(),
        basis: QualifyingBasis::GovernmentEntities,
        contact_email: ContactEmail::parse("a@example.com").expect("valid address"),
        details: String::new(),
        state: PendingReview,
        due_at: now,
        information_request: None,
        information_response: None,
        rejection_reason: None,
        reviewer: None,
        submitted_at: now,
        decided_at: None,
        updated_at: now,
    }
}

#[test]
fn r5_approval_grants_the_gcc_qualification() {
    let v = pending();
    let now = v.submitted_at + Duration::hours(1);
    let e = v.apply(&Transition::Approve, "reviewer@x", now, now).expect("pending review approves");
    assert_eq!((e.from, e.validation.state, e.action), (PendingReview, Approved, "partner_validation.approve"));
    assert_eq!((e.validation.reviewer.as_deref(), e.validation.decided_at), (Some("reviewer@x"), Some(now)));
    let q = e.granted.expect("approval grants");
    assert_eq!((q.name.as_str(), q.validation_id.as_str(), q.granted_at), (GCC_QUALIFICATION, "v1", now));
    assert_eq!(e.validation.event_topic(), "gcc.partner.v1.partner_validation.approved");
}

#[test]
fn r4_rejection_and_questions_record_the_reviewer_and_grant_nothing() {
    let v = pending();
    let now = v.submitted_at;
    let e = v.apply(&Transition::Reject { reason: "no".into() }, "r", now, now).expect("rejects");
    assert_eq!(
        (e.validation.rejection_reason.as_deref(), e.validation.decided_at, e.granted),
        (Some("no"), Some(now), None)
    );
    let asked = v.apply(&Transition::RequestInformation { question: "q".into() }, "r", now, now).expect("asks");
    assert_eq!(
        (asked.validation.state, asked.validation.reviewer.as_deref(), asked.validation.decided_at),
        (InformationRequested, Some("r"), None)
    );
}

#[test]
fn r4_an_answer_puts_the_review_back_with_a_new_due_time() {
    let asked = PartnerValidation { state: InformationRequested, ..pending() };
    let due = asked.due_at + Duration::days(2);
    let e = asked
        .apply(&Transition::ProvideInformation { answer: "a".into() }, "admin", asked.due_at, due)
        .expect("answers");
    assert_eq!((e.validation.state, e.validation.due_at, e.validation.reviewer), (PendingReview, due, None));
    assert_eq!(e.validation.information_response.as_deref(), Some("a"));
}

#[test]
fn r4_a_final_review_refuses_every_move() {
    let done = PartnerValidation { state: Approved, ..pending() };
    let now = done.updated_at;
    assert_eq!(
        done.apply(&Transition::Approve, "r", now, now),
        Err(Refusal::TransitionNotAllowed { from: Approved, action: "partner_validation.approve" })
    );
}

#[test]
fn a_reviewer_never_decides_its_own_organizations_validation() {
    let v = pending();
    assert_eq!(v.check_reviewer(v.partner), Err(Refusal::ReviewerIsParty));
    assert_eq!(v.check_reviewer(TenantId::random()), Ok(()));
}

#[test]
fn r4_review_state_machine_allows_only_legal_moves() {
    let reject = Transition::Reject { reason: "x".into() };
    let ask = Transition::RequestInformation { question: "x".into() };
    let answer = Transition::ProvideInformation { answer: "x".into() };
    assert_eq!(PendingReview.after(&Transition::Approve), Some(Approved));
    assert_eq!(PendingReview.after(&ask), Some(InformationRequested));
    assert_eq!(InformationRequested.after(&answer), Some(PendingReview));
    assert_eq!(InformationRequested.after(&reject), Some(Rejected));
    assert_eq!(InformationRequested.after(&Transition::Approve), None);
    assert_eq!(PendingReview.after(&answer), None);
    for done in [Approved, Rejected] {
        for t in [&Transition::Approve, &reject, &ask, &answer] {
            assert_eq!(done.after(t), None, "{done:?} must be final");
        }
    }
}
