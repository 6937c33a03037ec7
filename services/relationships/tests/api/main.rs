//! relationships over real TCP against a real database (SQLite, or PostgreSQL when
//! GCC_TEST_POSTGRES_URL is set), beside a real partner-eligibility server. Rules are
//! proven by tests named `r<N>_…`.

mod bad_input;
mod customers;
mod helpers;
mod idempotency;
mod invitations;
mod mail;
mod replicas;
mod revocation;
mod runtime;
mod watch;
