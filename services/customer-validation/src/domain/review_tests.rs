//! The review rules (R11–R13) on their own, without storage.

use chrono::Duration;

use super::*;
use crate::domain::{Eligibility, EntityKind, Organization, ValidationState::*};

fn pending(customer: Option<TenantId>) -> CustomerValidation {
    let now = Utc::now();
    CustomerValidation {
        id: "v1".into(),
        partner: TenantId::random(),
        transacting: TenantId::random(),
        organization: Organization {
            legal_name: "Agency".into(),
            domain: "agency.gov".into(),
            address_lines: vec![],
            region_code: "US".into(),
            contact_name: "c".into(),
            contact_email: "c@agency.gov".into(),
        },
        eligibility: Eligibility::GovernmentEntity { kind: EntityKind::Federal, us_presence: None },
        customer,
        state: PendingReview,
        due_at: now,
        contact_note: None,
        rejection_reason: None,
        reviewer: None,
        validation_code: None,
        submitted_at: now,
        decided_at: None,
        updated_at: now,
        partner_contact_email: None,
        provider_contact_email: None,
    }
}

#[test]
fn r12_approval_issues_a_code_and_qualifies_the_named_customer() {
    let customer = TenantId::random();
    let v = pending(Some(customer));
    let now = v.submitted_at + Duration::hours(1);
    let expires = now + Duration::days(30);
    let t = Transition::Approve { code_uses: 3, code_expires_at: expires };
    let e = v.apply(&t, "reviewer@x", now, now).expect("pending review approves");
    assert_eq!((e.from, e.validation.state, e.action), (PendingReview, Approved, "customer_validation.approve"));
    assert_eq!((e.validation.reviewer.as_deref(), e.validation.decided_at), (Some("reviewer@x"), Some(now)));
    assert_eq!(e.code, Some(CodeToIssue { uses: 3, expires_at: expires }));
    assert_eq!(e.qualifies, Some(customer));
    assert_eq!(e.validation.event_topic(), "gcc.validation.v1.customer_validation.approved");
    let unnamed = pending(None).apply(&t, "r", now, now).expect("approves");
    assert_eq!((unnamed.code.is_some(), unnamed.qualifies), (true, None));
}

#[test]
fn r11_contacting_and_resuming_issue_nothing_and_resume_resets_the_due_time() {
    let v = pending(Some(TenantId::random()));
    let now = v.submitted_at;
    let contact = v.apply(&Transition::ContactCustomer { note: "n".into() }, "r", now, now).expect("contacts");
    assert_eq!((contact.validation.state, contact.code, contact.qualifies), (ContactingCustomer, None, None));
    assert_eq!(contact.validation.contact_note.as_deref(), Some("n"));
    let due = now + Duration::days(2);
    let resumed = contact.validation.apply(&Transition::Resume, "r", now, due).expect("resumes");
    assert_eq!((resumed.validation.state, resumed.validation.due_at), (PendingReview, due));
}

#[test]
fn r13_rejection_is_final() {
    let v = pending(None);
    let now = v.submitted_at;
    let e = v.apply(&Transition::Reject { reason: "no".into() }, "r", now, now).expect("rejects");
    assert_eq!((e.validation.rejection_reason.as_deref(), e.validation.decided_at), (Some("no"), Some(now)));
    assert_eq!(
        e.validation.apply(&Transition::Resume, "r", now, now),
        Err(Refusal::TransitionNotAllowed { from: Rejected, action: "customer_validation.resume_review" })
    );
}

#[test]
fn a_reviewer_never_decides_a_validation_its_tenant_is_party_to() {
    let v = pending(None);
    assert_eq!(v.check_reviewer(v.partner), Err(Refusal::ReviewerIsParty));
    assert_eq!(v.check_reviewer(v.transacting), Err(Refusal::ReviewerIsParty));
    assert_eq!(v.check_reviewer(TenantId::random()), Ok(()));
}
