//! The review state machine (R11, R13) and validation codes (R12) on their own.

use super::*;
use ValidationState::*;

#[test]
fn r11_contacting_the_customer_is_a_state_of_its_own_not_a_rejection() {
    let contact = Transition::ContactCustomer { note: "proof of agency".into() };
    assert_eq!(PendingReview.after(&contact), Some(ContactingCustomer));
    assert_eq!(ContactingCustomer.after(&Transition::Approve { code_uses: 1, code_expires_at: Utc::now() }), None);
    assert_eq!(ContactingCustomer.after(&Transition::Resume), Some(PendingReview));
    assert!(ContactingCustomer.is_open());
}

#[test]
fn r13_final_states_do_not_move() {
    let all = [
        Transition::Approve { code_uses: 1, code_expires_at: Utc::now() },
        Transition::Reject { reason: "x".into() },
        Transition::ContactCustomer { note: "x".into() },
        Transition::Resume,
    ];
    for s in [Approved, Rejected] {
        assert!(all.iter().all(|t| s.after(t).is_none()));
    }
}

#[test]
fn codes_are_well_formed_and_distinct() {
    let a = ValidationCode::generate();
    assert_eq!(a.len(), 18);
    assert!(a.starts_with("GCC-"));
    assert_ne!(a, ValidationCode::generate());
}

#[test]
fn r12_a_code_qualifies_only_its_organization_and_subdomains() {
    assert!(domain_within("agency.gov", "agency.gov"));
    assert!(domain_within("IT.Agency.gov", "agency.gov"));
    assert!(domain_within("a.b.agency.gov.", "agency.gov"));
    assert!(!domain_within("evilagency.gov", "agency.gov"));
    assert!(!domain_within("agency.gov.evil.example", "agency.gov"));
    assert!(!domain_within("gov", "agency.gov"));
    assert!(!domain_within("agency.gov", ""));
}

#[test]
fn r12_expired_spent_and_foreign_codes_are_refused() {
    let now = Utc::now();
    let code = ValidationCode {
        code: "GCC-AAAA-BBBB-CCCC".into(),
        validation_id: "v".into(),
        partner: TenantId::random(),
        transacting: TenantId::random(),
        organization_name: "Agency".into(),
        organization_domain: "agency.gov".into(),
        total_uses: 2,
        remaining_uses: 1,
        created_at: now,
        expires_at: Some(now + chrono::Duration::days(1)),
    };
    assert_eq!(code.check_use("it.agency.gov", now), Ok(()));
    let named = || code.code.clone();
    assert_eq!(code.check_use("other.gov", now), Err(Refusal::CodeOrganizationMismatch { code: named() }));
    assert_eq!(
        code.check_use("agency.gov", now + chrono::Duration::days(1)),
        Err(Refusal::CodeExpired { code: named() })
    );
    let spent = ValidationCode { remaining_uses: 0, ..code.clone() };
    assert_eq!(spent.check_use("agency.gov", now), Err(Refusal::CodeSpent { code: named() }));
}
