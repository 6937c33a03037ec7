//! The partner-eligibility domain: parsed inputs, the validation state machine and the
//! rules R1–R6. No tonic, no SQL.

pub mod link;
pub mod partner;
pub mod refusal;
pub mod validation;

pub use link::{LinkMove, LinkState, ResellerLink, Side};
pub use partner::{
    GCC_FAMILIES, GCC_QUALIFICATION, NewPartner, OfferFamily, Partner, PartnerType, Qualification, TransactingPartner,
};
pub use refusal::Refusal;
pub use validation::{
    ContactEmail, Effects, NewValidation, PartnerValidation, QualifyingBasis, Transition, ValidationState,
};
