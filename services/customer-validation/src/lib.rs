//! customer-validation: partners submit customers for GCC validation, approval issues
//! validation codes and special qualifications, and the eligibility gate answers before
//! every GCC order (rules R6–R13 and R18 of DOMAIN.md).

pub mod api;
pub mod domain;
pub mod error;
pub mod facts;
pub mod notify;
pub mod startup;
pub mod store;

pub use startup::{Application, Config, DEFAULT_PORT, SERVICE, build};
