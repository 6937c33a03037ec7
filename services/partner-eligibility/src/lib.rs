//! partner-eligibility: CSP partner enrollment, partner GCC validation and the reseller
//! qualification `Government_community_cloud` (rules R1–R6 of DOMAIN.md).

pub mod api;
pub mod digest;
pub mod domain;
pub mod error;
pub mod notify;
pub mod startup;
pub mod store;

pub use startup::{Application, Config, DEFAULT_PORT, SERVICE, build};
