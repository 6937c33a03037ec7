//! ordering over real TCP, with real partner-eligibility, relationships and
//! customer-validation servers beside it, each on its own database (SQLite, or PostgreSQL
//! when GCC_TEST_POSTGRES_URL is set). Rules are proven by tests named `r<N>_…`.

mod bad_input;
mod catalog;
mod commercial;
mod eligibility;
mod fail_closed;
mod helpers;
mod idempotency;
mod management_cache;
mod paths;
mod visibility;
