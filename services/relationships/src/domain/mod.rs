//! The relationships domain: customer accounts, who manages them, and the invitations
//! that connect a customer to a partner (rules R14–R17). No tonic, no SQL.

pub mod customer;
pub mod effects;
pub mod invitation;
pub mod link;
pub mod refusal;
pub mod relationship;
pub mod transitions;

pub use customer::{CompanyProfile, Customer, DnsDomain, EmailAddress, PostalAddress, RegionCode};
pub use effects::{Effects, Event, InvitationChange};
pub use invitation::{Invitation, InvitationState, NewInvitation, draft_email};
pub use link::{InvitationKey, Links, token_hash};
pub use refusal::Refusal;
pub use relationship::{ActingPartner, EventKind, Management, ManagementKind, Relationship, RelationshipEvent};
pub use transitions::Change;
