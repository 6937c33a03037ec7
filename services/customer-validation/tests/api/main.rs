//! customer-validation alone over real TCP, on its own database (SQLite, or PostgreSQL
//! when GCC_TEST_POSTGRES_URL is set), with nothing listening where its dependencies
//! should be. The suites that need partner-eligibility and relationships beside it are in
//! `tests/tests/validation_api`.

mod alone;
mod helpers;
mod pages;
