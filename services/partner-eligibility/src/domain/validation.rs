//! Partner GCC validation requests: who may submit (R1, R2), what they must state (R2a,
//! R3), and the review's state machine (R4, R5).

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use serde::{Deserialize, Serialize};

use super::partner::{Partner, PartnerType};

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

/// Why a partner may not submit (checked against the stored partner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitRefusal {
    /// R2: an indirect reseller works with its indirect provider.
    IndirectReseller {
        provider: Option<TenantId>,
    },
    /// R3: the partner's Azure GCC tenant ID was given.
    AzureGccTenant,
    /// R3: some other tenant ID than the partner's commercial one.
    TenantMismatch {
        expected: TenantId,
    },
    AlreadyQualified,
}

impl NewValidation {
    /// R2 and R3, given the enrolled partner (R1 is that there is one).
    pub fn check_against(&self, partner: &Partner) -> Result<(), SubmitRefusal> {
        if partner.partner_type == PartnerType::IndirectReseller {
            return Err(SubmitRefusal::IndirectReseller { provider: partner.indirect_provider });
        }
        if partner.azure_gcc_tenant == Some(self.tenant_id) {
            return Err(SubmitRefusal::AzureGccTenant);
        }
        if self.tenant_id != partner.tenant {
            return Err(SubmitRefusal::TenantMismatch { expected: partner.tenant });
        }
        if partner.holds_gcc() {
            return Err(SubmitRefusal::AlreadyQualified);
        }
        Ok(())
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

impl PartnerValidation {
    /// R4: waiting for a reviewer past its due time.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == ValidationState::PendingReview && self.due_at < now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ValidationState::*;

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
}
