//! relationships: customer accounts, partner–customer relationships and reseller
//! relationship requests (rules R14–R17 of DOMAIN.md).

pub mod api;
pub mod domain;
pub mod error;
pub mod notify;
pub mod startup;
pub mod store;

pub use startup::{Application, Config, DEFAULT_PORT, SERVICE, build};
