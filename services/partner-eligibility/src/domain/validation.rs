//! Partner GCC validation requests: who may submit (R1, R2), what they must state (R2a,
//! R3), and the review's state machine (R4, R5).

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use serde::{Deserialize, Serialize};

use super::partner::{GCC_QUALIFICATION, Partner, PartnerType, Qualification};
use super::refusal::Refusal;

/// How a partner qualifies to sell GCC (R2a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QualifyingBasis {
    GovernmentEntities,
    GovernmentContracts,
    ContractVehicles,
}

impl QualifyingBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GovernmentEntities => "GOVERNMENT_ENTITIES",
            Self::GovernmentContracts => "GOVERNMENT_CONTRACTS",
            Self::ContractVehicles => "CONTRACT_VEHICLES",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::GovernmentEntities, Self::GovernmentContracts, Self::ContractVehicles]
            .into_iter()
            .find(|b| b.as_str() == s)
    }
}

/// Where the reviewers' answer is sent.
pub use gcc_platform::contact::EmailAddress as ContactEmail;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValidationState {
    PendingReview,
    InformationRequested,
    Approved,
    Rejected,
}

impl ValidationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingReview => "PENDING_REVIEW",
            Self::InformationRequested => "INFORMATION_REQUESTED",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::PendingReview, Self::InformationRequested, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Approved | Self::Rejected)
    }

    /// The state a transition leads to, or `None` when it is not allowed from here.
    pub fn after(self, t: &Transition) -> Option<Self> {
        use ValidationState::*;
        match (self, t) {
            (PendingReview, Transition::Approve) => Some(Approved),
            (PendingReview | InformationRequested, Transition::Reject { .. }) => Some(Rejected),
            (PendingReview, Transition::RequestInformation { .. }) => Some(InformationRequested),
            (InformationRequested, Transition::ProvideInformation { .. }) => Some(PendingReview),
            _ => None,
        }
    }
}

/// A move of the review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Approve,
    Reject { reason: String },
    RequestInformation { question: String },
    ProvideInformation { answer: String },
}

impl Transition {
    pub fn action(&self) -> &'static str {
        match self {
            Self::Approve => "partner_validation.approve",
            Self::Reject { .. } => "partner_validation.reject",
            Self::RequestInformation { .. } => "partner_validation.request_information",
            Self::ProvideInformation { .. } => "partner_validation.provide_information",
        }
    }
}

/// A parsed submission.
#[derive(Debug, Clone)]
pub struct NewValidation {
    pub tenant_id: TenantId,
    pub basis: QualifyingBasis,
    pub contact_email: ContactEmail,
    pub details: String,
}

impl NewValidation {
    /// R2 and R3, given the enrolled partner (R1 is that there is one).
    pub fn check_against(&self, partner: &Partner) -> Result<(), Refusal> {
        if partner.partner_type == PartnerType::IndirectReseller {
            return Err(Refusal::IndirectReseller { provider: partner.indirect_provider });
        }
        if partner.azure_gcc_tenant == Some(self.tenant_id) {
            return Err(Refusal::AzureGccTenant);
        }
        if self.tenant_id != partner.tenant {
            return Err(Refusal::TenantMismatch { expected: partner.tenant });
        }
        if partner.holds_gcc() {
            return Err(Refusal::AlreadyQualified);
        }
        Ok(())
    }
}

impl NewValidation {
    /// The submission of `partner` as a validation waiting for review (R4), due at `due`.
    pub fn into_pending(
        self,
        id: String,
        partner: TenantId,
        now: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> PartnerValidation {
        PartnerValidation {
            id,
            partner,
            tenant_id: self.tenant_id,
            basis: self.basis,
            contact_email: self.contact_email,
            details: self.details,
            state: ValidationState::PendingReview,
            due_at: due,
            information_request: None,
            information_response: None,
            rejection_reason: None,
            reviewer: None,
            submitted_at: now,
            decided_at: None,
            updated_at: now,
        }
    }
}

/// A stored partner validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerValidation {
    pub id: String,
    pub partner: TenantId,
    pub tenant_id: TenantId,
    pub basis: QualifyingBasis,
    pub contact_email: ContactEmail,
    pub details: String,
    pub state: ValidationState,
    pub due_at: DateTime<Utc>,
    pub information_request: Option<String>,
    pub information_response: Option<String>,
    pub rejection_reason: Option<String>,
    pub reviewer: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// What a review move does: the validation after it, the state it was read in (the store
/// writes it only while the row is still there) and the qualification it grants (R5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    pub validation: PartnerValidation,
    pub from: ValidationState,
    pub granted: Option<Qualification>,
    /// The audit action; the event written with it is `validation.event_topic()`.
    pub action: &'static str,
}

impl PartnerValidation {
    /// R4: waiting for a reviewer past its due time.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == ValidationState::PendingReview && self.due_at < now
    }

    /// A reviewer never decides a validation of its own organization.
    pub fn check_reviewer(&self, reviewer_tenant: TenantId) -> Result<(), Refusal> {
        if self.partner == reviewer_tenant { Err(Refusal::ReviewerIsParty) } else { Ok(()) }
    }

    /// R4/R5: the review after `actor` makes `t` at `now`; an answer puts it back in
    /// review, due at `due`. Approval grants the GCC qualification.
    pub fn apply(
        &self,
        t: &Transition,
        actor: &str,
        now: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> Result<Effects, Refusal> {
        let from = self.state;
        let to = from.after(t).ok_or(Refusal::TransitionNotAllowed { from, action: t.action() })?;
        let mut v = self.clone();
        v.state = to;
        v.updated_at = now;
        match t {
            Transition::Approve => {
                v.reviewer = Some(actor.to_owned());
                v.decided_at = Some(now);
            }
            Transition::Reject { reason } => {
                v.reviewer = Some(actor.to_owned());
                v.rejection_reason = Some(reason.clone());
                v.decided_at = Some(now);
            }
            Transition::RequestInformation { question } => {
                v.reviewer = Some(actor.to_owned());
                v.information_request = Some(question.clone());
            }
            Transition::ProvideInformation { answer } => {
                v.information_response = Some(answer.clone());
                v.due_at = due;
            }
        }
        let granted = (to == ValidationState::Approved).then(|| Qualification {
            name: GCC_QUALIFICATION.to_owned(),
            validation_id: v.id.clone(),
            granted_at: now,
        });
        Ok(Effects { validation: v, from, granted, action: t.action() })
    }

    /// The notification a change to this state sends (by e-mail, see `crate::notify`).
    pub fn event_topic(&self) -> String {
        format!("gcc.partner.v1.partner_validation.{}", self.state.as_str().to_ascii_lowercase())
    }
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;
