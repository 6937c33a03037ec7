//! Why a rule of relationships refuses a change: one type for every rule, mapped to the
//! wire once, in `crate::error`.

use super::invitation::InvitationState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// R15: the invitation was accepted before.
    AlreadyAccepted,
    /// Withdrawn by the partner, or the link was replaced by a resent one.
    Revoked,
    Expired,
    /// R14: the invitation is bound to another tenant or domain.
    BoundToAnotherCustomer,
    /// A customer new to the service must give its company profile to accept.
    ProfileRequired,
    /// Only an invited (pending) invitation can be edited, resent or revoked.
    NotPending(InvitationState),
    /// R14: the edited e-mail body lost the current link.
    LinkMissing,
}
