//! Why a rule of partner-eligibility refuses a change: one type for every rule, so that
//! the edge maps each refusal to the wire in one place.

use gcc_platform::TenantId;

use super::link::LinkState;
use super::validation::ValidationState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Enrollment: the Azure GCC tenant ID is the commercial one.
    AzureGccTenantIsCommercial,
    /// Enrollment: a partner naming itself as its indirect provider.
    OwnIndirectProvider,
    /// R2: an indirect reseller works with its indirect provider.
    IndirectReseller { provider: Option<TenantId> },
    /// R3: the partner's Azure GCC tenant ID was given.
    AzureGccTenant,
    /// R3: some other tenant ID than the partner's commercial one.
    TenantMismatch { expected: TenantId },
    /// R5: the partner already holds the GCC qualification.
    AlreadyQualified,
    /// R4: the review's state machine does not allow `action` from `from`.
    TransitionNotAllowed { from: ValidationState, action: &'static str },
    /// A reviewer never decides a validation of its own organization.
    ReviewerIsParty,
    /// R1a: the side that opened a link cannot approve it.
    LinkAwaitsOtherSide,
    /// R1a: not from this link state (approving an active or ended link, ending an ended one).
    LinkNotAllowed { from: LinkState },
}
