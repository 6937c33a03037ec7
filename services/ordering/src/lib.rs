//! ordering: the offer catalog, orders and subscriptions. Government offers are sold only
//! after customer-validation's gate says yes, and never when it cannot answer (rules
//! R18–R21 of DOMAIN.md).

pub mod api;
pub mod domain;
pub mod error;
pub mod facts;
pub mod startup;
pub mod store;

pub use startup::{Application, Config, DEFAULT_PORT, SERVICE, build};
