//! Reseller relationship requests (R14): a personalized, expiring, revocable invitation
//! for a customer to connect to a partner, and what accepting one requires (R15).

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use gcc_platform::contact::EmailAddress;
use serde::{Deserialize, Serialize};

use super::customer::DnsDomain;
use super::link::LINK_PLACEHOLDER;
use super::refusal::Refusal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationState {
    Invited,
    Accepted,
    /// Never stored: an invitation still INVITED past its expire time.
    Expired,
    Revoked,
}

impl InvitationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "INVITED",
            Self::Accepted => "ACCEPTED",
            Self::Expired => "EXPIRED",
            Self::Revoked => "REVOKED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Invited, Self::Accepted, Self::Expired, Self::Revoked].into_iter().find(|v| v.as_str() == s)
    }
}

/// The parts of a new invitation the partner chooses.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub bound_tenant: Option<TenantId>,
    pub bound_domain: Option<DnsDomain>,
    /// Where the partner is told when the customer accepts or ends the relationship.
    pub notify_email: Option<EmailAddress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub partner: TenantId,
    /// The inviting partner's indirect provider, which manages the customer through it.
    pub provider: Option<TenantId>,
    pub bound_tenant: Option<TenantId>,
    pub bound_domain: Option<DnsDomain>,
    /// As stored: INVITED, ACCEPTED or REVOKED (see `state_at`).
    pub state: InvitationState,
    /// Which link is current; a resend makes the next one.
    pub generation: i64,
    pub email_subject: String,
    /// With `{invitation_url}` where the link goes.
    pub email_body: String,
    pub expire_at: DateTime<Utc>,
    pub customer: Option<TenantId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the partner is told when the customer accepts or ends the relationship.
    #[serde(default)]
    pub notify_email: Option<EmailAddress>,
}

impl Invitation {
    /// The state as callers see it at `now`: INVITED past its expire time is EXPIRED.
    pub fn state_at(&self, now: DateTime<Utc>) -> InvitationState {
        match self.state {
            InvitationState::Invited if now > self.expire_at => InvitationState::Expired,
            s => s,
        }
    }

    /// Whether the partner may still edit, resend or revoke it.
    pub fn is_pending(&self, now: DateTime<Utc>) -> bool {
        self.state_at(now) == InvitationState::Invited
    }

    /// R14/R15: whether the link of `generation` may be accepted by `customer` now. The
    /// domain binding is checked separately, once the customer's domain is known.
    pub fn check_acceptance(&self, generation: i64, customer: TenantId, now: DateTime<Utc>) -> Result<(), Refusal> {
        if generation != self.generation {
            return Err(Refusal::Revoked);
        }
        match self.state_at(now) {
            InvitationState::Invited => {}
            InvitationState::Accepted => return Err(Refusal::AlreadyAccepted),
            InvitationState::Revoked => return Err(Refusal::Revoked),
            InvitationState::Expired => return Err(Refusal::Expired),
        }
        if self.bound_tenant.is_some_and(|t| t != customer) {
            return Err(Refusal::BoundToAnotherCustomer);
        }
        Ok(())
    }

    /// The domain half of the binding.
    pub fn check_domain(&self, domain: &DnsDomain) -> Result<(), Refusal> {
        match &self.bound_domain {
            Some(d) if d != domain => Err(Refusal::BoundToAnotherCustomer),
            _ => Ok(()),
        }
    }
}

/// R14: the draft e-mail of a new invitation, with the link as a placeholder.
pub fn draft_email() -> (String, String) {
    let subject = "Invitation to connect your organization with your Cloud Solution Provider partner".to_owned();
    let body = format!(
        "Hello,\n\n\
         We invite your organization to establish a reseller relationship with us, your Microsoft Cloud \
         Solution Provider (CSP) partner for Government Community Cloud (GCC) services. Once you accept, we \
         can provision and manage services for your organization.\n\n\
         To accept, a global administrator of your organization opens this personalized link and signs in:\n\n\
         {LINK_PLACEHOLDER}\n\n\
         The link is personal to your organization and valid for a limited time; if it has expired, ask us \
         for a new one. If you did not expect this invitation, you can ignore this message.\n\n\
         Best regards"
    );
    (subject, body)
}

#[cfg(test)]
pub(super) mod tests {
    use chrono::Duration;

    use super::*;

    pub(crate) fn invitation(now: DateTime<Utc>) -> Invitation {
        let (email_subject, email_body) = draft_email();
        Invitation {
            id: "abc".into(),
            partner: TenantId::random(),
            provider: None,
            bound_tenant: None,
            bound_domain: None,
            state: InvitationState::Invited,
            generation: 2,
            email_subject,
            email_body,
            expire_at: now + Duration::days(14),
            customer: None,
            created_at: now,
            updated_at: now,
            notify_email: None,
        }
    }

    #[test]
    fn r14_an_invitation_expires_after_its_expire_time() {
        let now = Utc::now();
        let inv = invitation(now);
        assert_eq!(inv.state_at(now + Duration::days(14)), InvitationState::Invited);
        assert_eq!(inv.state_at(now + Duration::days(14) + Duration::seconds(1)), InvitationState::Expired);
        assert!(!inv.is_pending(now + Duration::days(15)));
    }

    #[test]
    fn r15_acceptance_refuses_old_links_final_states_and_other_customers() {
        let now = Utc::now();
        let customer = TenantId::random();
        let mut inv = invitation(now);
        assert_eq!(inv.check_acceptance(2, customer, now), Ok(()));
        assert_eq!(inv.check_acceptance(1, customer, now), Err(Refusal::Revoked));
        assert_eq!(inv.check_acceptance(2, customer, now + Duration::days(15)), Err(Refusal::Expired));
        inv.bound_tenant = Some(TenantId::random());
        assert_eq!(inv.check_acceptance(2, customer, now), Err(Refusal::BoundToAnotherCustomer));
        inv.bound_tenant = None;
        inv.bound_domain = DnsDomain::parse("agency.example.gov");
        assert_eq!(
            inv.check_domain(&DnsDomain::parse("other.example.gov").unwrap()),
            Err(Refusal::BoundToAnotherCustomer)
        );
        inv.state = InvitationState::Accepted;
        assert_eq!(inv.check_acceptance(2, customer, now), Err(Refusal::AlreadyAccepted));
        inv.state = InvitationState::Revoked;
        assert_eq!(inv.check_acceptance(2, customer, now), Err(Refusal::Revoked));
    }

    #[test]
    fn r14_the_draft_carries_the_link() {
        let (subject, body) = draft_email();
        assert!(!subject.is_empty());
        assert_eq!(body.matches(LINK_PLACEHOLDER).count(), 1);
    }
}
