//! The transitions of relationships, each against the rule it proves.

use chrono::Duration;

use super::*;
use crate::domain::customer::{DnsDomain, EmailAddress, PostalAddress, RegionCode};
use crate::domain::invitation::tests::invitation;
use crate::domain::link::InvitationKey;

fn profile(domain: &str) -> CompanyProfile {
    CompanyProfile {
        legal_name: "Agency".into(),
        domain: DnsDomain::parse(domain).unwrap(),
        postal_address: PostalAddress {
            region_code: RegionCode::parse("US").unwrap(),
            administrative_area: "WA".into(),
            locality: "Redmond".into(),
            postal_code: "98052".into(),
            address_lines: vec!["1 Main St".into()],
        },
        contact_email: EmailAddress::parse("admin@agency.example.gov").unwrap(),
    }
}

#[test]
fn r15_accepting_activates_the_relationship_and_creates_a_new_customer() {
    let now = Utc::now();
    let mut inv = invitation(now);
    inv.provider = Some(TenantId::random());
    let customer = TenantId::random();
    let effects = inv.accept(2, customer, None, Some(profile("agency.example.gov")), now).unwrap();
    let change = effects.invitation.unwrap();
    assert_eq!((change.from, change.from_generation), (InvitationState::Invited, 2));
    assert_eq!((change.to.state, change.to.customer), (InvitationState::Accepted, Some(customer)));
    assert_eq!(effects.customer.map(|c| c.tenant), Some(customer));
    let relationship = Relationship { partner: inv.partner, customer, provider: inv.provider, active: true };
    assert_eq!(effects.relationship.as_ref(), Some(&relationship));
    assert_eq!(
        effects.events,
        [
            Event::Invitation { action: "relationship_request.accepted" },
            Event::Relationship { action: "relationship.activated", relationship },
        ]
    );
}

#[test]
fn r15_a_known_customer_keeps_its_account_and_a_new_one_must_give_its_profile() {
    let now = Utc::now();
    let inv = invitation(now);
    let tenant = TenantId::random();
    assert_eq!(inv.accept(2, tenant, None, None, now).unwrap_err(), Refusal::ProfileRequired);
    let existing = Customer { tenant, profile: profile("agency.example.gov"), created_at: now, updated_at: now };
    let effects = inv.accept(2, tenant, Some(&existing), Some(profile("other.example.gov")), now).unwrap();
    assert_eq!(effects.customer, None);
}

#[test]
fn r15_acceptance_refuses_a_final_state_before_asking_for_a_profile() {
    let now = Utc::now();
    let mut inv = invitation(now);
    inv.state = InvitationState::Accepted;
    assert_eq!(inv.accept(2, TenantId::random(), None, None, now).unwrap_err(), Refusal::AlreadyAccepted);
}

#[test]
fn r14_an_invitation_bound_to_a_domain_refuses_a_customer_of_another() {
    let now = Utc::now();
    let mut inv = invitation(now);
    inv.bound_domain = DnsDomain::parse("agency.example.gov");
    let other = Some(profile("other.example.gov"));
    assert_eq!(inv.accept(2, TenantId::random(), None, other, now).unwrap_err(), Refusal::BoundToAnotherCustomer);
    let sub = Some(profile("agency.example.gov"));
    assert!(inv.accept(2, TenantId::random(), None, sub, now).unwrap().customer.is_some());
}

#[test]
fn r14_an_edited_text_keeps_the_current_link_as_its_placeholder() {
    let now = Utc::now();
    let inv = invitation(now);
    let url = "https://gcc.example/accept?token=t";
    let body = format!("Please open {url} soon");
    let links = vec![("hash".to_owned(), url.to_owned())];
    let edit = |links| Change::UpdateEmail { subject: "Hi".into(), body: body.clone(), links };
    let effects = inv.change(edit(links), "hash", now).unwrap();
    let to = effects.invitation.unwrap().to;
    assert_eq!((to.email_subject.as_str(), to.email_body.as_str()), ("Hi", "Please open {invitation_url} soon"));
    assert_eq!(effects.events, [Event::Invitation { action: "relationship_request.email_updated" }]);
    assert_eq!(inv.change(edit(vec![]), "hash", now).unwrap_err(), Refusal::LinkMissing);
}

#[test]
fn r14_a_resend_makes_the_next_link_and_a_new_expire_time() {
    let now = Utc::now();
    let inv = invitation(now);
    let links = Links::new(InvitationKey::new(vec![7; 32]).unwrap(), "https://gcc.example/accept").unwrap();
    let expire_at = now + Duration::days(30);
    let effects = inv.change(Change::Resend { links: links.clone(), expire_at }, "", now).unwrap();
    let change = effects.invitation.unwrap();
    assert_eq!((change.from_generation, change.to.generation, change.to.expire_at), (2, 3, expire_at));
    assert_eq!(effects.link, Some(token_hash(&links.token(&inv.id, 3))));
}

#[test]
fn r14_only_a_pending_invitation_changes() {
    let now = Utc::now();
    let mut inv = invitation(now);
    let revoked = inv.change(Change::Revoke, "", now).unwrap().invitation.unwrap().to;
    assert_eq!(revoked.state, InvitationState::Revoked);
    let later = now + Duration::days(15);
    assert_eq!(inv.change(Change::Revoke, "", later).unwrap_err(), Refusal::NotPending(InvitationState::Expired));
    inv.state = InvitationState::Accepted;
    assert_eq!(inv.change(Change::Revoke, "", now).unwrap_err(), Refusal::NotPending(InvitationState::Accepted));
}

#[test]
fn r14_sending_the_email_names_the_address_and_needs_a_pending_invitation() {
    let now = Utc::now();
    let mut inv = invitation(now);
    let to = EmailAddress::parse("it.admin@agency.example.gov").unwrap();
    let later = now + Duration::minutes(5);
    let effects = inv.change(Change::SendEmail { to: to.clone() }, "", later).unwrap();
    assert_eq!(effects.events, [Event::InvitationEmail { to: to.clone() }]);
    let sent = effects.invitation.unwrap();
    // The text, link and state stay as they were; the guarded write proves it pending.
    assert_eq!((sent.from, sent.from_generation), (InvitationState::Invited, inv.generation));
    assert_eq!(sent.to, Invitation { updated_at: later, ..inv.clone() });
    assert_eq!(effects.link, None);
    inv.state = InvitationState::Revoked;
    let refused = inv.change(Change::SendEmail { to }, "", now).unwrap_err();
    assert_eq!(refused, Refusal::NotPending(InvitationState::Revoked));
}

#[test]
fn r17_a_created_customer_is_managed_by_its_partner_and_provider_at_once() {
    let (now, tenant) = (Utc::now(), TenantId::random());
    let acting = ActingPartner { tenant: TenantId::random(), provider: Some(TenantId::random()) };
    let effects = Customer::create(tenant, acting, profile("agency.example.gov"), now);
    let relationship =
        Relationship { partner: acting.tenant, customer: tenant, provider: acting.provider, active: true };
    assert_eq!(effects.relationship, Some(relationship));
    assert_eq!(effects.customer.map(|c| c.tenant), Some(tenant));
    assert_eq!(
        effects.events,
        [Event::CustomerCreated { customer: tenant, acting, domain: DnsDomain::parse("agency.example.gov").unwrap() }]
    );
}

#[test]
fn an_ended_relationship_is_inactive_and_recorded_as_revoked() {
    let r = Relationship { partner: TenantId::random(), customer: TenantId::random(), provider: None, active: true };
    let effects = r.end();
    let ended = Relationship { active: false, ..r };
    assert_eq!(effects.relationship.as_ref(), Some(&ended));
    assert_eq!(effects.events, [Event::Relationship { action: "relationship.revoked", relationship: ended }]);
}
