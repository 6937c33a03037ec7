//! Rows written straight into the services' tables, for data at a scale the public RPCs
//! would take too long to reach: a million orders, validations or invitations through the
//! RPCs take many minutes, and each list RPC reads only the tables written here. The rows
//! are those the service itself writes (the same columns, states, names, microsecond
//! timestamps, JSON documents and rendered e-mail), so the list RPCs return them. No
//! idempotency record, audit entry or outbox event is written: no list reads them.
//!
//! Each writer takes `owner(i)`: the partner and customer tenant IDs of its `i`th row.
//! Rows are written in multi-row inserts of [`BATCH`] rows, one transaction per batch, and
//! on PostgreSQL the tables are analyzed after.

mod notifications;
mod ordering;
mod partners;
mod relationships;
mod validations;

pub use notifications::{Mail, notifications};
pub use ordering::orders;
pub use partners::{partner_validations, providers, resellers};
pub use relationships::{customers, relationship_requests};
pub use validations::customer_validations;

use std::ops::Range;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe};

/// Rows per multi-row insert.
pub const BATCH: usize = 500;

/// A value of a row to insert.
pub(crate) enum V {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    /// An INTEGER 0/1 flag.
    Flag(bool),
}

impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::Text(s.to_owned())
    }
}

impl From<String> for V {
    fn from(s: String) -> Self {
        V::Text(s)
    }
}

impl From<Option<String>> for V {
    fn from(s: Option<String>) -> Self {
        V::OptText(s)
    }
}

impl From<i64> for V {
    fn from(n: i64) -> Self {
        V::Int(n)
    }
}

impl From<Option<i64>> for V {
    fn from(n: Option<i64>) -> Self {
        V::OptInt(n)
    }
}

/// The rows of one multi-row insert into one table.
pub(crate) struct Rows {
    table_and_columns: &'static str,
    cols: usize,
    rows: usize,
    values: Vec<V>,
}

impl Rows {
    /// Rows for `INSERT INTO <table_and_columns> VALUES …`, such as `t (a, b)`.
    pub(crate) fn new(table_and_columns: &'static str) -> Self {
        let cols = table_and_columns.matches(',').count() + 1;
        Self { table_and_columns, cols, rows: 0, values: Vec::new() }
    }

    pub(crate) fn push<const N: usize>(&mut self, row: [V; N]) {
        assert_eq!(N, self.cols, "a row of {}", self.table_and_columns);
        self.values.extend(row);
        self.rows += 1;
    }

    async fn execute(self, conn: &mut AnyConnection) -> anyhow::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut q = sqlx::query(AssertSqlSafe(insert(self.table_and_columns, self.cols, self.rows)));
        for v in self.values {
            q = match v {
                V::Text(s) => q.bind(s),
                V::OptText(s) => q.bind(s),
                V::Int(n) => q.bind(n),
                V::OptInt(n) => q.bind(n),
                V::Flag(b) => q.bind(i32::from(b)),
            };
        }
        q.execute(&mut *conn).await?;
        Ok(())
    }
}

/// Writes `rows` rows: `batch(range)` gives the inserts of the rows `range` (parents
/// before children), run in one transaction. Then analyzes the tables on PostgreSQL.
pub(crate) async fn write(url: &str, rows: usize, batch: impl Fn(Range<usize>) -> Vec<Rows>) -> anyhow::Result<()> {
    let pool = connect(url).await?;
    let mut done = 0;
    while done < rows {
        let n = BATCH.min(rows - done);
        let mut tx = pool.begin().await?;
        for insert in batch(done..done + n) {
            insert.execute(&mut tx).await?;
        }
        tx.commit().await?;
        done += n;
    }
    finish(url, pool).await
}

pub(crate) async fn connect(url: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    Ok(AnyPoolOptions::new().max_connections(1).connect(url).await?)
}

/// Fresh planner statistics on PostgreSQL (SQLite plans without them), then closes.
pub(crate) async fn finish(url: &str, pool: AnyPool) -> anyhow::Result<()> {
    if url.starts_with("postgres") {
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    pool.close().await;
    Ok(())
}

/// The current time in microseconds, as the services store it.
pub(crate) fn now_micros() -> i64 {
    gcc_platform::time::to_micros(chrono::Utc::now())
}

/// `INSERT INTO <table_and_columns> VALUES ($1, …), …` for `rows` rows of `cols` values.
fn insert(table_and_columns: &str, cols: usize, rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let ps: Vec<String> = (1..=cols).map(|k| format!("${}", r * cols + k)).collect();
            format!("({})", ps.join(", "))
        })
        .collect();
    format!("INSERT INTO {table_and_columns} VALUES {}", values.join(", "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(super::insert("t (a, b)", 2, 2), "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }

    #[test]
    fn columns_are_counted_from_the_list() {
        let mut rows = super::Rows::new("t (a, b, c)");
        rows.push(["x".into(), 1i64.into(), None::<String>.into()]);
        assert_eq!((rows.cols, rows.rows), (3, 1));
    }
}
