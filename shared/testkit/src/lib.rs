//! Test support shared by every service's tests: a fresh database per test (SQLite file,
//! or PostgreSQL when `GCC_TEST_POSTGRES_URL` is set), tokens for each role, a manual
//! clock, and helpers to read `ErrorInfo` from a `Status`.

pub mod jwks;
pub mod pki;
mod plan;
pub mod proxy;
pub mod smtp;
pub mod walk;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use gcc_platform::auth::{Signer, Verifier, VerifyingKey};
use gcc_platform::time::ManualClock;
use gcc_platform::{Role, TenantId};
use sqlx::{Connection, Executor};
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Set to a PostgreSQL server URL to run every store test on PostgreSQL.
pub const POSTGRES_ENV: &str = "GCC_TEST_POSTGRES_URL";
pub const AUDIENCE: &str = "gcc";
pub const ISSUER: &str = "gcc-test";
const SECRET: &[u8] = b"gcc-testkit-hs256-secret-of-at-least-32-bytes";
/// The eligibility team's tenant in tests: the only one whose reviewer role counts.
pub const REVIEWER_TENANT: &str = "0e1f5a3c-7b2d-4c8e-9f10-a1b2c3d4e5f6";

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A handle on a database another `TestDb` made (a second replica's), which keeps
    /// nothing alive of its own.
    pub fn existing(url: &str) -> Self {
        Self { url: url.to_owned(), _dir: None }
    }

    /// A new, empty database on the backend the run selected.
    pub async fn fresh() -> Self {
        Self::fresh_on(std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty()).as_deref()).await
    }

    /// A new, empty database: on the PostgreSQL server at `postgres_url` (a database in
    /// it is created), or a SQLite file when `None`.
    pub async fn fresh_on(postgres_url: Option<&str>) -> Self {
        match postgres_url {
            Some(admin_url) => Self::postgres(admin_url).await,
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                Self { url, _dir: Some(dir) }
            }
        }
    }

    async fn postgres(admin_url: &str) -> Self {
        sqlx::any::install_default_drivers();
        let name = format!("gcc_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::AnyConnection::connect(admin_url).await.expect("connect to the PostgreSQL admin URL");
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create test database");
        let _ = admin.close().await;
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
        Self { url: format!("{base}/{name}"), _dir: None }
    }
}

/// Rows in `table` (optionally with a `WHERE …` after the name), read straight from the
/// database at `url`: how tests prove what was, or was not, written.
pub async fn count_rows(url: &str, table: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect to the test database");
    let n: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&mut conn)
        .await
        .expect("count rows");
    let _ = conn.close().await;
    n.0
}

/// A value bound to a placeholder of a query whose plan [`unbounded_reads`] reads.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(&'static str),
    Int(i64),
}

/// The tables the database at `url` would read in a way whose cost grows with the table,
/// to answer `sql` with `args`: a full scan, an index walked only by a key range, or rows
/// found by an index and then all sorted before the `LIMIT` applies. How tests prove that
/// a page costs the same whatever the size of the table. On PostgreSQL the plan is made
/// with sequential scans discouraged, so one appears only where no index serves.
pub async fn unbounded_reads(url: &str, sql: &str, args: &[Arg]) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect to the test database");
    let postgres = url.starts_with("postgres");
    if postgres {
        conn.execute("SET enable_seqscan = off").await.expect("discourage sequential scans");
    }
    let explain = if postgres { format!("EXPLAIN {sql}") } else { format!("EXPLAIN QUERY PLAN {sql}") };
    let mut query = sqlx::query(sqlx::AssertSqlSafe(explain));
    for arg in args {
        query = match arg {
            Arg::Text(t) => query.bind(*t),
            Arg::Int(n) => query.bind(*n),
        };
    }
    let rows = query.fetch_all(&mut conn).await.expect("explain the query");
    let _ = conn.close().await;
    if postgres {
        let lines: Vec<String> = rows.iter().map(|r| sqlx::Row::get::<String, _>(r, 0)).collect();
        plan::postgres_unbounded(&lines)
    } else {
        let nodes: Vec<(i64, i64, String)> =
            rows.iter().map(|r| (sqlx::Row::get(r, 0), sqlx::Row::get(r, 1), sqlx::Row::get(r, 3))).collect();
        // SQLite names an aliased table by its alias.
        let aliases = plan::aliases(sql);
        let table = |name: String| aliases.iter().find(|(a, _)| *a == name).map(|(_, t)| t.clone()).unwrap_or(name);
        plan::sqlite_unbounded(&nodes).into_iter().map(table).collect()
    }
}

/// Which backend this run uses, for messages.
pub fn backend() -> &'static str {
    if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) { "postgres" } else { "sqlite" }
}

/// The verifier every test server uses: reviewers count only from [`REVIEWER_TENANT`].
pub fn verifier() -> Arc<Verifier> {
    let verifier = Verifier::new(&VerifyingKey::Hs256(SECRET.to_vec()), AUDIENCE, ISSUER)
        .expect("test key")
        .with_reviewer_tenants([reviewer_tenant()]);
    Arc::new(verifier)
}

pub fn reviewer_tenant() -> TenantId {
    TenantId::parse(REVIEWER_TENANT).expect("tenant")
}

/// The flags that name [`REVIEWER_TENANT`] as the reviewers' tenant, for servers that
/// need them to start.
pub fn reviewer_args() -> [&'static str; 2] {
    ["--reviewer-tenants", REVIEWER_TENANT]
}

/// The HS256 secret test tokens are signed with, for servers started as processes
/// (`--jwt-hs256-secret-file`, with `--jwt-issuer` [`ISSUER`]).
pub fn hs256_secret() -> &'static [u8] {
    SECRET
}

/// Signs test tokens with the test key.
pub fn signer() -> Signer {
    Signer::hs256(SECRET, AUDIENCE, ISSUER)
}

/// A valid one-hour token for `tenant` with `roles`.
pub fn token(tenant: TenantId, roles: &[Role]) -> String {
    signer().token(&tenant.to_string(), &format!("user@{tenant}"), roles, 3600)
}

/// A reviewer from the eligibility team's own tenant.
pub fn reviewer_token() -> String {
    token(reviewer_tenant(), &[Role::EligibilityReviewer])
}

/// Wraps a message with a bearer token.
pub fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut req = tonic::Request::new(message);
    req.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("header value"));
    req
}

/// 127.0.0.1 on a free port.
pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0")
}

pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}")).expect("endpoint").connect().await.expect("connect")
}

/// A Monday afternoon in New York, away from holidays: 2026-11-16 14:00 EST.
pub fn monday_afternoon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 16, 19, 0, 0).single().expect("time")
}

pub fn manual_clock() -> ManualClock {
    ManualClock::new(monday_afternoon())
}

/// The `ErrorInfo.reason` of a status (empty when there is none).
pub fn reason(status: &tonic::Status) -> String {
    status.get_error_details().error_info().map(|i| i.reason.clone()).unwrap_or_default()
}

/// Whether a refusal says when to retry (`google.rpc.RetryInfo`).
pub fn has_retry_info(status: &tonic::Status) -> bool {
    status.get_error_details().retry_info().is_some()
}

/// Asserts a status's code and reason, with the whole status on failure.
#[track_caller]
pub fn assert_refused(status: &tonic::Status, code: tonic::Code, expected_reason: &str) {
    assert_eq!((status.code(), reason(status).as_str()), (code, expected_reason), "unexpected status: {status:?}");
}

/// Reads `read` until it gives `expected` (or 10 s pass) and returns the last value: for
/// what the servers write in the background, such as audit entries of refusals.
pub async fn eventually_eq<F, Fut>(expected: i64, read: F) -> i64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = i64>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n = read().await;
        if n == expected || tokio::time::Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
