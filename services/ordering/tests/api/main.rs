//! ordering alone over real TCP, on its own database (SQLite, or PostgreSQL when
//! GCC_TEST_POSTGRES_URL is set), with nothing listening where its dependencies should
//! be. The suites that need the other services beside it are in `tests/tests/ordering_api`.

mod alone;
mod helpers;
mod pages;
