//! Why a rule of customer-validation refuses a change: one type for every rule, so that
//! the edge maps each refusal to the wire in one place.

use gcc_platform::TenantId;

use super::validation::ValidationState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// R7: the transacting partner does not hold GCC.
    PartnerNotGccQualified(TenantId),
    /// R9: some other tenant ID than the transacting partner's commercial one.
    UseTransactingTenant { expected: TenantId },
    /// R9: an Azure GCC tenant ID is never accepted.
    AzureGccTenant { expected: TenantId },
    /// R12: the named customer's domain is not the organization's.
    OrganizationMismatch(TenantId),
    /// A reviewer never decides a validation its own organization is party to.
    ReviewerIsParty,
    /// R11/R13: the review's state machine does not allow `action` from `from`.
    TransitionNotAllowed { from: ValidationState, action: &'static str },
    /// R12: the code has no use left.
    CodeSpent { code: String },
    /// R12: the code has expired.
    CodeExpired { code: String },
    /// R12: the customer's domain is not the validated organization's domain or below it.
    CodeOrganizationMismatch { code: String },
}
