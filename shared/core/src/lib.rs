//! The vocabulary every GCC crate shares, servers and clients alike: tenant IDs, typed
//! resource names, offer families, `Problem`, and the gRPC conventions (status names,
//! deadlines, trace context). Nothing here touches storage or I/O, so a
//! client can depend on it without pulling a database driver.

pub mod duration;
pub mod error;
pub mod fields;
pub mod ids;
pub mod names;
pub mod offer;
pub mod roles;
pub mod rpc;
#[cfg(feature = "signing")]
pub mod token;
pub mod trace;

pub use error::Problem;
pub use ids::TenantId;
pub use offer::OfferFamily;
