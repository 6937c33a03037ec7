//! Customer validation requests, their review (R11, R13), validation codes with uses and
//! the special qualification they grant (R12).

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::organization::{Eligibility, Organization};
use super::refusal::Refusal;

/// The special qualification an applied validation code gives a customer (R12).
pub const GCC_SPECIAL_QUALIFICATION: &str = "Government Community Cloud";

pub use gcc_platform::OfferFamily;

/// One eligibility opens all four families (R6).
pub const GCC_FAMILIES: [OfferFamily; 4] =
    [OfferFamily::Office365, OfferFamily::Dynamics365, OfferFamily::Ems, OfferFamily::PowerBi];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValidationState {
    PendingReview,
    ContactingCustomer,
    Approved,
    Rejected,
}

impl ValidationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingReview => "PENDING_REVIEW",
            Self::ContactingCustomer => "CONTACTING_CUSTOMER",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::PendingReview, Self::ContactingCustomer, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Approved | Self::Rejected)
    }

    /// Still under review (R11, R13: no code, no qualification yet).
    pub fn is_open(self) -> bool {
        !self.is_final()
    }

    pub fn after(self, t: &Transition) -> Option<Self> {
        use ValidationState::*;
        match (self, t) {
            (PendingReview, Transition::Approve { .. }) => Some(Approved),
            (PendingReview | ContactingCustomer, Transition::Reject { .. }) => Some(Rejected),
            (PendingReview, Transition::ContactCustomer { .. }) => Some(ContactingCustomer),
            (ContactingCustomer, Transition::Resume) => Some(PendingReview),
            _ => None,
        }
    }
}

/// A reviewer's move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Approve and issue a code with this many uses.
    Approve {
        code_uses: i32,
        /// When the issued code stops qualifying customers (R12).
        code_expires_at: DateTime<Utc>,
    },
    Reject {
        reason: String,
    },
    ContactCustomer {
        note: String,
    },
    Resume,
}

impl Transition {
    pub fn action(&self) -> &'static str {
        match self {
            Self::Approve { .. } => "customer_validation.approve",
            Self::Reject { .. } => "customer_validation.reject",
            Self::ContactCustomer { .. } => "customer_validation.contact_customer",
            Self::Resume => "customer_validation.resume_review",
        }
    }
}

/// A parsed submission, with the transacting partner already established (R9).
#[derive(Debug, Clone)]
pub struct NewValidation {
    pub partner: TenantId,
    pub transacting: TenantId,
    pub organization: Organization,
    pub eligibility: Eligibility,
    pub customer: Option<TenantId>,
    /// Where the outcome is e-mailed (the submitting partner's contact), if given.
    pub partner_contact_email: Option<String>,
    /// The indirect provider's contact, copied, if given and the provider transacts.
    pub provider_contact_email: Option<String>,
}

impl NewValidation {
    /// The submission as a validation waiting for review (R11), due at `due`.
    pub fn into_pending(self, id: String, now: DateTime<Utc>, due: DateTime<Utc>) -> CustomerValidation {
        CustomerValidation {
            id,
            partner: self.partner,
            transacting: self.transacting,
            organization: self.organization,
            eligibility: self.eligibility,
            customer: self.customer,
            state: ValidationState::PendingReview,
            due_at: due,
            contact_note: None,
            rejection_reason: None,
            reviewer: None,
            validation_code: None,
            submitted_at: now,
            decided_at: None,
            updated_at: now,
            partner_contact_email: self.partner_contact_email,
            provider_contact_email: self.provider_contact_email,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerValidation {
    pub id: String,
    pub partner: TenantId,
    pub transacting: TenantId,
    pub organization: Organization,
    pub eligibility: Eligibility,
    pub customer: Option<TenantId>,
    pub state: ValidationState,
    pub due_at: DateTime<Utc>,
    pub contact_note: Option<String>,
    pub rejection_reason: Option<String>,
    pub reviewer: Option<String>,
    pub validation_code: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub partner_contact_email: Option<String>,
    pub provider_contact_email: Option<String>,
}

impl CustomerValidation {
    /// The submitting partner, its transacting partner (an indirect provider sees its
    /// resellers' requests), or a reviewer.
    pub fn visible_to(&self, tenant: TenantId) -> bool {
        self.partner == tenant || self.transacting == tenant
    }
}

/// An issued validation code (R12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationCode {
    pub code: String,
    pub validation_id: String,
    pub partner: TenantId,
    pub transacting: TenantId,
    pub organization_name: String,
    pub organization_domain: String,
    pub total_uses: i32,
    pub remaining_uses: i32,
    pub created_at: DateTime<Utc>,
    /// `None` only for codes issued before codes expired.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Whether `domain` is `organization` or a subdomain of it (R12): `it.agency.gov` is
/// within `agency.gov`; `evilagency.gov` and `agency.gov.evil.example` are not.
pub fn domain_within(domain: &str, organization: &str) -> bool {
    let (d, o) =
        (domain.trim_end_matches('.').to_ascii_lowercase(), organization.trim_end_matches('.').to_ascii_lowercase());
    !o.is_empty() && (d == o || d.strip_suffix(&o).is_some_and(|head| head.ends_with('.')))
}

impl ValidationCode {
    /// R12: whether this code may qualify a customer whose domain is `customer_domain`
    /// at `now`. The use itself is taken atomically by the store.
    pub fn check_use(&self, customer_domain: &str, now: DateTime<Utc>) -> Result<(), Refusal> {
        if self.expires_at.is_some_and(|e| e <= now) {
            return Err(Refusal::CodeExpired { code: self.code.clone() });
        }
        if !domain_within(customer_domain, &self.organization_domain) {
            return Err(Refusal::CodeOrganizationMismatch { code: self.code.clone() });
        }
        if self.remaining_uses <= 0 {
            return Err(Refusal::CodeSpent { code: self.code.clone() });
        }
        Ok(())
    }

    /// A new code: `GCC-` and three groups of four characters from an alphabet without
    /// look-alikes (no 0/O, 1/I/L), about 60 bits of randomness.
    pub fn generate() -> String {
        const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
        let mut rng = rand::rng();
        let mut s = String::from("GCC");
        for _ in 0..3 {
            s.push('-');
            for _ in 0..4 {
                s.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
            }
        }
        s
    }

    pub fn visible_to(&self, tenant: TenantId) -> bool {
        self.partner == tenant || self.transacting == tenant
    }
}

/// A customer's GCC special qualification (R12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialQualification {
    pub customer: TenantId,
    pub validation_code: String,
    pub validation_id: String,
    pub granted_at: DateTime<Utc>,
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;
