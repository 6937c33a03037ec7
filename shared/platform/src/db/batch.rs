//! Writes that go to the database in one round trip ([`WriteBatch`] of [`Statement`]s,
//! applied by [`super::Db::apply`]), and the SQLite group commit behind them.

use sqlx::any::AnyArguments;
use sqlx::error::BoxDynError;
use sqlx::{Any, AnyPool, Arguments, AssertSqlSafe, Encode, Executor, Type};
use tokio::sync::{mpsc, oneshot};

use super::Backend;

/// One SQL statement and its arguments, written with its own `$1…$n` placeholders. It
/// runs alone ([`Statement::execute`]) or as part of a [`WriteBatch`].
pub struct Statement {
    sql: &'static str,
    args: AnyArguments,
    /// The first value that failed to encode, reported when the statement runs.
    encode_error: Option<BoxDynError>,
}

impl Statement {
    pub fn new(sql: &'static str) -> Self {
        Self { sql, args: AnyArguments::default(), encode_error: None }
    }

    /// Binds the next placeholder.
    pub fn bind<'t, T: Encode<'t, Any> + Type<Any>>(mut self, value: T) -> Self {
        if let Err(e) = self.args.add(value)
            && self.encode_error.is_none()
        {
            self.encode_error = Some(e);
        }
        self
    }

    /// Runs the statement; gives the number of rows it changed.
    pub async fn execute(self, conn: &mut sqlx::AnyConnection) -> Result<u64, sqlx::Error> {
        if let Some(e) = self.encode_error {
            return Err(sqlx::Error::Encode(e));
        }
        Ok(sqlx::query_with(self.sql, self.args).execute(conn).await?.rows_affected())
    }
}

/// Writes that take effect together or not at all, sent to the database in one round
/// trip by [`Db::apply`]. Statements are plain `INSERT`/`UPDATE`/`DELETE`s without
/// `RETURNING`, whose `$` signs are all placeholders.
#[derive(Default)]
pub struct WriteBatch {
    statements: Vec<Statement>,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, statement: Statement) -> &mut Self {
        self.statements.push(statement);
        self
    }

    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The batch as one SQL text for `backend`, its placeholders numbered across all
    /// statements, and all of its arguments in that order.
    pub(super) fn into_sql(self, backend: Backend) -> Result<(String, AnyArguments), sqlx::Error> {
        let mut sql = String::new();
        let mut args = AnyArguments::default();
        let last = self.statements.len().saturating_sub(1);
        if backend == Backend::Sqlite {
            sql.push_str("SAVEPOINT batch;\n");
        }
        for (i, statement) in self.statements.into_iter().enumerate() {
            if let Some(e) = statement.encode_error {
                return Err(sqlx::Error::Encode(e));
            }
            let offset = args.len();
            match backend {
                Backend::Sqlite => {
                    renumber(statement.sql, offset, &mut sql);
                    sql.push_str(";\n");
                }
                Backend::Postgres if i < last => {
                    sql.push_str(if i == 0 { "WITH " } else { ", " });
                    sql.push_str(&format!("w{i} AS ("));
                    renumber(statement.sql, offset, &mut sql);
                    sql.push_str(")\n");
                }
                Backend::Postgres => renumber(statement.sql, offset, &mut sql),
            }
            args.values.0.extend(statement.args.values.0);
        }
        if backend == Backend::Sqlite {
            sql.push_str("RELEASE batch");
        }
        Ok((sql, args))
    }
}

/// Appends `sql` to `out` with every placeholder `$n` shifted to `$(n + offset)`.
fn renumber(sql: &str, offset: usize, out: &mut String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

/// The most SQLite batches committed in one transaction.
const MAX_GROUP: usize = 64;

/// A SQLite batch waiting for the committer, and where to say how it went.
pub(super) struct Pending {
    pub(super) sql: String,
    pub(super) args: AnyArguments,
    pub(super) done: oneshot::Sender<Result<(), sqlx::Error>>,
}

/// Commits SQLite batches in groups: every batch that arrived while the previous group
/// was being written goes into the next transaction, so one commit (and one write of
/// each page it changed) serves many batches. Ends when the database is dropped.
pub(super) async fn commit_in_groups(
    writer: AnyPool,
    mut pending: mpsc::UnboundedReceiver<Pending>,
    metrics: std::sync::Arc<std::sync::OnceLock<crate::metrics::Metrics>>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while pending.recv_many(&mut group, MAX_GROUP).await > 0 {
        if let Some(m) = metrics.get() {
            m.write_batch(group.len());
        }
        let outcomes = commit_group(&writer, &mut group).await;
        for (done, outcome) in outcomes {
            // The caller may have gone (its deadline passed); the outcome stands.
            let _ = done.send(outcome);
        }
    }
}

/// Writes one group in one transaction. Each batch runs inside its own savepoint; a
/// batch that fails is rolled back to it and reported, the others go on. When the
/// transaction itself fails, every batch is reported failed and nothing is written.
async fn commit_group(
    writer: &AnyPool,
    group: &mut Vec<Pending>,
) -> Vec<(oneshot::Sender<Result<(), sqlx::Error>>, Result<(), sqlx::Error>)> {
    let mut outcomes = Vec::with_capacity(group.len());
    let mut conn = match writer.acquire().await {
        Ok(conn) => conn,
        Err(e) => return group.drain(..).map(|p| (p.done, Err(group_failed(&e)))).collect(),
    };
    if let Err(e) = conn.execute("BEGIN IMMEDIATE").await {
        return group.drain(..).map(|p| (p.done, Err(group_failed(&e)))).collect();
    }
    let mut broken = None;
    for p in group.drain(..) {
        if broken.is_some() {
            outcomes.push((p.done, Ok(())));
            continue;
        }
        let outcome = sqlx::query_with(AssertSqlSafe(p.sql), p.args).execute(&mut *conn).await.map(|_| ());
        if outcome.is_err()
            && let Err(e) = conn.execute("ROLLBACK TO batch; RELEASE batch").await
        {
            // SQLite rolled the whole transaction back (after an I/O error, say).
            broken = Some(e);
        }
        outcomes.push((p.done, outcome));
    }
    let failure = match broken {
        Some(e) => Some(e),
        None => conn.execute("COMMIT").await.err(),
    };
    if let Some(e) = failure {
        tracing::error!(error = %e, "a group of writes failed to commit");
        if let Err(rollback) = conn.execute("ROLLBACK").await
            && !rollback.to_string().contains("no transaction is active")
        {
            tracing::warn!(error = %rollback, "rollback after a failed group failed; closing the connection");
            conn.close_on_drop();
        }
        // Nothing of the group was written, whatever each batch met on the way.
        for (_, outcome) in &mut outcomes {
            *outcome = Err(group_failed(&e));
        }
    }
    outcomes
}

/// What a batch learns when the transaction it was in could not commit: a transient
/// storage failure, which a retry with the same `request_id` settles.
fn group_failed(e: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(format!("the write could not be committed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> WriteBatch {
        let mut batch = WriteBatch::new();
        batch
            .push(Statement::new("INSERT INTO a (x, y) VALUES ($1, $2)").bind(1_i64).bind("one"))
            .push(Statement::new("UPDATE b SET x = $2 WHERE y = $1").bind("two").bind(2_i64));
        batch
    }

    #[test]
    fn placeholders_are_numbered_across_the_batch() {
        let mut out = String::new();
        renumber("VALUES ($1, $2, $10) -- $ alone, $x", 3, &mut out);
        assert_eq!(out, "VALUES ($4, $5, $13) -- $ alone, $x");
    }

    #[test]
    fn a_sqlite_batch_is_one_savepoint() {
        let (sql, args) = two().into_sql(Backend::Sqlite).unwrap();
        assert_eq!(
            sql,
            "SAVEPOINT batch;\nINSERT INTO a (x, y) VALUES ($1, $2);\nUPDATE b SET x = $4 WHERE y = $3;\nRELEASE batch"
        );
        assert_eq!(args.len(), 4);
    }

    #[test]
    fn a_postgres_batch_is_one_statement() {
        let (sql, args) = two().into_sql(Backend::Postgres).unwrap();
        assert_eq!(sql, "WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2))\nUPDATE b SET x = $4 WHERE y = $3");
        assert_eq!(args.len(), 4);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Every `$n` moves by the offset and nothing else in the text changes.
        #[test]
        fn renumbering_shifts_every_placeholder_and_only_them(
            parts in proptest::collection::vec(("[a-z ,()$]{0,6}", 1usize..40), 0..8),
            tail in "[a-z ,()]{0,6}",
            offset in 0usize..100,
        ) {
            let (mut sql, mut want) = (String::new(), String::new());
            for (text, n) in &parts {
                // Text before a placeholder never ends in digits after a `$`.
                let text = text.trim_end_matches('$');
                sql.push_str(&format!("{text}${n}"));
                want.push_str(&format!("{text}${}", n + offset));
            }
            sql.push_str(&tail);
            want.push_str(&tail);
            let mut out = String::new();
            renumber(&sql, offset, &mut out);
            proptest::prop_assert_eq!(out, want);
        }
    }
}
