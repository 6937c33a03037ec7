//! Every state change of relationships as a function from what was read to its
//! [`Effects`]: accepting (R15), editing, resending and revoking an invitation (R14),
//! creating a customer (R17) and ending a relationship.

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use gcc_platform::contact::EmailAddress;

use super::customer::{CompanyProfile, Customer};
use super::effects::{Effects, Event, InvitationChange};
use super::invitation::{Invitation, InvitationState};
use super::link::{Links, to_template, token_hash};
use super::refusal::Refusal;
use super::relationship::{ActingPartner, Relationship};

/// A partner's change to a pending invitation.
#[derive(Debug, Clone)]
pub enum Change {
    /// R14: new text, which must hold the current link: `links` are the (token hash,
    /// URL) pairs found in `body`.
    UpdateEmail {
        subject: String,
        body: String,
        links: Vec<(String, String)>,
    },
    /// A new link (the old one stops working) and a new expire time.
    Resend {
        links: Links,
        expire_at: DateTime<Utc>,
    },
    Revoke,
    /// R14: the service sends the e-mail, as it stands, with the current link, to `to`.
    SendEmail {
        to: EmailAddress,
    },
}

impl Change {
    fn event(&self) -> Event {
        let action = match self {
            Self::UpdateEmail { .. } => "relationship_request.email_updated",
            Self::Resend { .. } => "relationship_request.resent",
            Self::Revoke => "relationship_request.revoked",
            Self::SendEmail { to } => return Event::InvitationEmail { to: to.clone() },
        };
        Event::Invitation { action }
    }
}

impl Invitation {
    /// R15: `customer` accepts through the link of `generation`. `existing` is its account,
    /// if it has one; otherwise `profile` creates it. The relationship with the inviting
    /// partner (and its provider) becomes active.
    pub fn accept(
        &self,
        generation: i64,
        customer: TenantId,
        existing: Option<&Customer>,
        profile: Option<CompanyProfile>,
        now: DateTime<Utc>,
    ) -> Result<Effects, Refusal> {
        self.check_acceptance(generation, customer, now)?;
        let new_customer = match existing {
            Some(_) => None,
            None => {
                let profile = profile.ok_or(Refusal::ProfileRequired)?;
                Some(Customer { tenant: customer, profile, created_at: now, updated_at: now })
            }
        };
        let domain = existing.or(new_customer.as_ref()).map(|c| &c.profile.domain);
        if let Some(domain) = domain {
            self.check_domain(domain)?;
        }
        let mut to = self.clone();
        to.state = InvitationState::Accepted;
        to.customer = Some(customer);
        to.updated_at = now;
        let relationship = Relationship { partner: self.partner, customer, provider: self.provider, active: true };
        Ok(Effects {
            customer: new_customer,
            link: None,
            invitation: Some(self.becomes(to)),
            relationship: Some(relationship.clone()),
            events: vec![
                Event::Invitation { action: "relationship_request.accepted" },
                Event::Relationship { action: "relationship.activated", relationship },
            ],
        })
    }

    /// R14: the partner edits, resends or revokes a pending invitation whose current link
    /// has the token hash `current_link`.
    pub fn change(&self, change: Change, current_link: &str, now: DateTime<Utc>) -> Result<Effects, Refusal> {
        if !self.is_pending(now) {
            return Err(Refusal::NotPending(self.state_at(now)));
        }
        let event = change.event();
        let mut to = self.clone();
        let mut link = None;
        match change {
            Change::UpdateEmail { subject, body, links } => {
                let (_, url) = links.iter().find(|(hash, _)| hash == current_link).ok_or(Refusal::LinkMissing)?;
                to.email_body = to_template(&body, url);
                to.email_subject = subject;
            }
            Change::Resend { links, expire_at } => {
                to.generation += 1;
                to.expire_at = expire_at;
                link = Some(token_hash(&links.token(&to.id, to.generation)));
            }
            Change::Revoke => to.state = InvitationState::Revoked,
            // Nothing changes but the time: the write still proves it was pending.
            Change::SendEmail { .. } => {}
        }
        to.updated_at = now;
        Ok(Effects { link, invitation: Some(self.becomes(to)), events: vec![event], ..Effects::default() })
    }

    fn becomes(&self, to: Invitation) -> InvitationChange {
        InvitationChange { from: self.state, from_generation: self.generation, to }
    }
}

impl Customer {
    /// R17: a customer created by a partner, which it (and its provider) manages at once.
    pub fn create(tenant: TenantId, acting: ActingPartner, profile: CompanyProfile, now: DateTime<Utc>) -> Effects {
        let customer = Customer { tenant, profile, created_at: now, updated_at: now };
        let relationship =
            Relationship { partner: acting.tenant, customer: tenant, provider: acting.provider, active: true };
        let event = Event::CustomerCreated { customer: tenant, acting, domain: customer.profile.domain.clone() };
        Effects {
            customer: Some(customer),
            relationship: Some(relationship),
            events: vec![event],
            ..Effects::default()
        }
    }
}

impl Relationship {
    /// Ends this active relationship.
    pub fn end(&self) -> Effects {
        let ended = Relationship { active: false, ..self.clone() };
        Effects {
            relationship: Some(ended.clone()),
            events: vec![Event::Relationship { action: "relationship.revoked", relationship: ended }],
            ..Effects::default()
        }
    }
}

#[cfg(test)]
mod tests {
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
            [Event::CustomerCreated {
                customer: tenant,
                acting,
                domain: DnsDomain::parse("agency.example.gov").unwrap()
            }]
        );
    }

    #[test]
    fn an_ended_relationship_is_inactive_and_recorded_as_revoked() {
        let r =
            Relationship { partner: TenantId::random(), customer: TenantId::random(), provider: None, active: true };
        let effects = r.end();
        let ended = Relationship { active: false, ..r };
        assert_eq!(effects.relationship.as_ref(), Some(&ended));
        assert_eq!(effects.events, [Event::Relationship { action: "relationship.revoked", relationship: ended }]);
    }
}
