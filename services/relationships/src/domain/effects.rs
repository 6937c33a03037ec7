//! What a change does, decided by the domain and only persisted by the store: the rows
//! it writes, guarded by the state they were read in, and the events it records.

use gcc_platform::TenantId;
use gcc_platform::contact::EmailAddress;

use super::customer::{Customer, DnsDomain};
use super::invitation::{Invitation, InvitationState};
use super::relationship::{ActingPartner, Relationship};

/// One audit entry and outbox event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `action` on the invitation, as it becomes.
    Invitation { action: &'static str },
    /// R14: the partner asks the service to send the invitation's e-mail, as it stands,
    /// to the customer at `to`.
    InvitationEmail { to: EmailAddress },
    /// `action` on a relationship, addressed to its customer.
    Relationship { action: &'static str, relationship: Relationship },
    /// R17: a partner created a customer, which it manages at once.
    CustomerCreated { customer: TenantId, acting: ActingPartner, domain: DnsDomain },
}

/// An invitation as it becomes, written only while it is still as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationChange {
    pub from: InvitationState,
    pub from_generation: i64,
    pub to: Invitation,
}

/// Everything one change writes, in the order the store writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// A customer account to create.
    pub customer: Option<Customer>,
    /// The token hash of a new link for the changed invitation's generation.
    pub link: Option<String>,
    pub invitation: Option<InvitationChange>,
    /// A relationship as it becomes: activated (again), or ended while it was active.
    pub relationship: Option<Relationship>,
    pub events: Vec<Event>,
}
