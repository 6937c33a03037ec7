//! The customer-validation domain: what a submission must state (R8, R8a, R9), the
//! review's state machine (R11, R13), validation codes (R12) and the gate's verdict (R18).

pub mod gate;
pub mod organization;
pub mod refusal;
pub mod review;
pub mod submission;
pub mod validation;

pub use gate::{Facts, PartnerFact, Reason, Verdict};
pub use organization::{Eligibility, EntityKind, Organization, RegulatedKind};
pub use refusal::Refusal;
pub use review::{CodeToIssue, Effects};
pub use submission::{Transacting, check_named_customer};
pub use validation::{
    CustomerValidation, GCC_FAMILIES, GCC_SPECIAL_QUALIFICATION, NewValidation, OfferFamily, SpecialQualification,
    Transition, ValidationCode, ValidationState, domain_within,
};
