//! partner-eligibility over real TCP against a real database (SQLite, or PostgreSQL when
//! GCC_TEST_POSTGRES_URL is set). Rules are proven by tests named `r<N>_…`.

mod auth;
mod bad_input;
mod enrollment;
mod helpers;
mod idempotency;
mod identity;
mod link_mail;
mod links;
mod lists;
mod mail;
mod mail_outbox;
mod replicas;
mod review;
mod runtime;
mod streams;
mod validation;
mod watch;
