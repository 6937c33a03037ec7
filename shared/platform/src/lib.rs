//! What every GCC server needs, written once: configuration, telemetry, identity,
//! errors, storage (idempotency, audit, outbox), the serving runtime and time.

pub mod admission;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod calls;
pub mod changes;
pub mod config;
pub mod contact;
pub mod db;
pub mod dependencies;
pub mod events;
pub mod idempotency;
pub mod mail;
pub mod metrics;
pub mod nats;
pub mod paging;
pub mod relay;
pub mod runtime;
pub mod telemetry;
pub mod time;

pub use gcc_core::{OfferFamily, error, fields, ids, names};

pub use auth::{Caller, Role};
pub use dependencies::DependencyArgs;
pub use error::Problem;
pub use ids::TenantId;
