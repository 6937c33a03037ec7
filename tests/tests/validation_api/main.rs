//! customer-validation over real TCP, with real partner-eligibility and relationships
//! servers beside it, each on its own database (SQLite, or PostgreSQL when
//! GCC_TEST_POSTGRES_URL is set). Rules are proven by tests named `r<N>_…`.

mod bad_input;
mod codes;
mod gate;
mod helpers;
mod mail;
mod review;
mod submission;
