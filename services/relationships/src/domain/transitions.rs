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
#[path = "transitions_tests.rs"]
mod tests;
