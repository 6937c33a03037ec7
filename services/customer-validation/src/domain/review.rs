//! What a reviewer's move does to a customer validation (R11–R13): the new state, who
//! decided and when, and on approval the code to issue and the customer it qualifies.

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;

use super::refusal::Refusal;
use super::validation::{CustomerValidation, Transition};

/// R12: the validation code an approval issues; the store picks its unique value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeToIssue {
    pub uses: i32,
    pub expires_at: DateTime<Utc>,
}

/// The effects of one move. The store writes `validation` only while the row is still in
/// `from`, issues `code` and, unless it already holds GCC, qualifies `qualifies` with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    pub validation: CustomerValidation,
    pub from: super::ValidationState,
    pub code: Option<CodeToIssue>,
    /// R12: a validation naming an existing customer qualifies it at once, taking one use.
    pub qualifies: Option<TenantId>,
    /// The audit action; the event written with it is `validation.event_topic()`.
    pub action: &'static str,
}

impl CustomerValidation {
    /// A reviewer never decides a validation its own tenant submitted or transacts for.
    pub fn check_reviewer(&self, reviewer_tenant: TenantId) -> Result<(), Refusal> {
        if self.visible_to(reviewer_tenant) { Err(Refusal::ReviewerIsParty) } else { Ok(()) }
    }

    /// R11–R13: the validation after `reviewer` makes `t` at `now`; resuming the review
    /// makes it due at `due`.
    pub fn apply(
        &self,
        t: &Transition,
        reviewer: &str,
        now: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> Result<Effects, Refusal> {
        let from = self.state;
        let to = from.after(t).ok_or(Refusal::TransitionNotAllowed { from, action: t.action() })?;
        let mut v = self.clone();
        v.state = to;
        v.updated_at = now;
        v.reviewer = Some(reviewer.to_owned());
        let mut code = None;
        match t {
            Transition::Approve { code_uses, code_expires_at } => {
                v.decided_at = Some(now);
                code = Some(CodeToIssue { uses: *code_uses, expires_at: *code_expires_at });
            }
            Transition::Reject { reason } => {
                v.decided_at = Some(now);
                v.rejection_reason = Some(reason.clone());
            }
            Transition::ContactCustomer { note } => v.contact_note = Some(note.clone()),
            Transition::Resume => v.due_at = due,
        }
        let qualifies = code.and(v.customer);
        Ok(Effects { validation: v, from, code, qualifies, action: t.action() })
    }

    /// The notification a change to this state sends (by e-mail, see `crate::notify`).
    pub fn event_topic(&self) -> String {
        format!("gcc.validation.v1.customer_validation.{}", self.state.as_str().to_ascii_lowercase())
    }
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
