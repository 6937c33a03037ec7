//! Storage: one sqlx `Any` code path over SQLite (embedded default) and PostgreSQL.
//! SQLite has one writer, so writes go through a single connection while reads use a
//! pool; PostgreSQL uses one pool for both. Migrations run at start-up.

use std::borrow::Cow;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor, Transaction};
use tokio::sync::{mpsc, oneshot};

mod batch;
mod op;
mod redact;

use batch::Pending;
pub use batch::{Statement, WriteBatch};
pub use op::StorageOp;
pub use redact::redact;

use crate::audit::AuditSink;
use crate::metrics::Metrics;

/// The platform's own tables (idempotency, audit, outbox), in every service database.
pub static PLATFORM_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The longest a PostgreSQL query waits for a connection (see `Db::connect`).
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(500);

/// A new file's page size (an old one keeps its own): a changed page is written to the
/// log and again into the file, so half of SQLite's 4096 halves those bytes.
const PAGE_SIZE: u32 = 2048;

/// How often the background task copies the SQLite write-ahead log into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// The log size at which a commit checkpoints by itself. Under steady writes the log starts
/// over only there (the background checkpoint always finds a newer commit): its bound.
const WRITER_CHECKPOINT_BYTES: i64 = 80 << 20;

/// Copies the SQLite write-ahead log back into the database file every
/// [`CHECKPOINT_EVERY`], on a reader connection and without waiting for readers or the
/// writer (PASSIVE), so that no commit pays for it. Ends when the pool closes.
async fn checkpoint_in_background(pool: AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = pool.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "background WAL checkpoint failed");
        }
    }
}

/// A service's database.
#[derive(Debug, Clone)]
pub struct Db {
    writer: AnyPool,
    reader: AnyPool,
    backend: Backend,
    /// SQLite: the task that commits [`WriteBatch`]es in groups on the writer.
    committer: Option<mpsc::UnboundedSender<Pending>>,
    /// Audit entries written in the background (refusals, reviewers' reads).
    audit: AuditSink,
    /// Where the pool, the group commits and the relay are recorded, once serving.
    metrics: Arc<OnceLock<Metrics>>,
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating a SQLite file and
    /// its folder if missing, and runs the platform's and then the service's migrations.
    pub async fn connect(url: &str, max_connections: u32, migrator: &Migrator) -> anyhow::Result<Self> {
        install_default_drivers();
        let db = if let Some(path) = url.strip_prefix("sqlite://") {
            Self::sqlite(path, max_connections).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // No ping before each use (a round trip per query): a connection that broke
            // fails its next query, which answers STORAGE_UNAVAILABLE and is dropped.
            // sqlx keeps trying a refused connection until the acquire timeout: short, so
            // that while the database is away calls answer STORAGE_UNAVAILABLE at once
            // instead of holding on until their deadline (a busy pool waits far less).
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections.max(2))
                .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
                .test_before_acquire(false)
                .connect(url)
                .await
                .with_context(|| format!("cannot connect to PostgreSQL at {}", redact(url)))?;
            let audit = AuditSink::start(pool.clone(), Backend::Postgres);
            Self {
                writer: pool.clone(),
                reader: pool,
                backend: Backend::Postgres,
                committer: None,
                audit,
                metrics: Arc::default(),
            }
        } else {
            anyhow::bail!("unsupported database URL {:?}: use sqlite://PATH or postgres://…", redact(url));
        };
        db.migrate(migrator).await?;
        Ok(db)
    }

    async fn sqlite(path: &str, max_connections: u32) -> anyhow::Result<Self> {
        let file = path.split('?').next().unwrap_or(path);
        if let Some(dir) = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let url = format!("sqlite://{file}?mode=rwc");
        let options = |checkpoint_bytes: i64| {
            // A SQLite connection does not go stale: no ping before each use.
            AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5)).test_before_acquire(false).after_connect(
                move |conn, _| {
                    Box::pin(async move {
                        // WAL lets readers run beside the writer; NORMAL is durable in WAL
                        // mode across application crashes; the busy timeout absorbs the
                        // brief locks that checkpoints take.
                        conn.execute(AssertSqlSafe(format!("PRAGMA page_size = {PAGE_SIZE}"))).await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        let page: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(&mut *conn).await?;
                        let pages = checkpoint_bytes / page.max(1);
                        conn.execute(AssertSqlSafe(format!("PRAGMA wal_autocheckpoint = {pages}"))).await?;
                        Ok(())
                    })
                },
            )
        };
        // Commits wait for no copying or fsync but the writer's own checkpoint at the bound
        // (see `checkpoint_in_background` and `WRITER_CHECKPOINT_BYTES`).
        let writer = options(WRITER_CHECKPOINT_BYTES)
            .max_connections(1)
            .connect(&url)
            .await
            .with_context(|| format!("cannot open SQLite database {file}"))?;
        let reader = options(0)
            .max_connections(max_connections.max(1))
            .connect(&url)
            .await
            .with_context(|| format!("cannot open SQLite database {file}"))?;
        tokio::spawn(checkpoint_in_background(reader.clone()));
        let (committer, pending) = mpsc::unbounded_channel();
        let metrics: Arc<OnceLock<Metrics>> = Arc::default();
        tokio::spawn(batch::commit_in_groups(writer.clone(), pending, metrics.clone()));
        let audit = AuditSink::start(writer.clone(), Backend::Sqlite);
        Ok(Self { writer, reader, backend: Backend::Sqlite, committer: Some(committer), audit, metrics })
    }

    async fn migrate(&self, migrator: &Migrator) -> anyhow::Result<()> {
        // The platform's tables (version 1) and the service's (versions from 100) run as
        // one ordered history.
        let mut migrations: Vec<_> =
            PLATFORM_MIGRATOR.migrations.iter().chain(migrator.migrations.iter()).cloned().collect();
        migrations.sort_by_key(|m| m.version);
        let all = Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT };
        all.run(&self.writer).await.context("database migrations failed")?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once (IMMEDIATE),
    /// so that waiting for the lock goes through the busy timeout instead of failing when
    /// a read would have to be upgraded.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// Applies every statement of `batch`, or none of them, in one round trip to the
    /// database. On PostgreSQL the batch is one statement whose other writes are
    /// data-modifying `WITH` clauses, atomic on its own. On SQLite the batch is one
    /// multi-statement call inside a savepoint, and batches that arrive while the writer
    /// is busy are committed together in one transaction (group commit): a batch that
    /// fails is rolled back to its savepoint alone, and none is reported written before
    /// its transaction commits. An error (such as a unique violation) leaves nothing of
    /// the batch written.
    pub async fn apply(&self, batch: WriteBatch) -> Result<(), sqlx::Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let (sql, args) = batch.into_sql(self.backend)?;
        match &self.committer {
            None => {
                sqlx::query_with(AssertSqlSafe(sql), args).execute(&self.writer).await?;
                Ok(())
            }
            Some(committer) => {
                let (done, written) = oneshot::channel();
                committer.send(Pending { sql, args, done }).map_err(|_| sqlx::Error::PoolClosed)?;
                written.await.unwrap_or(Err(sqlx::Error::PoolClosed))
            }
        }
    }

    /// Records this database's pool (read at each scrape), its group commits and its
    /// outbox relay into `metrics`. The first recorder given stays.
    pub fn observe(&self, metrics: &Metrics) {
        if !metrics.is_enabled() || self.metrics.set(metrics.clone()).is_err() {
            return;
        }
        let (db, m) = (self.clone(), metrics.clone());
        metrics.on_scrape(move || {
            let (db, m) = (db.clone(), m.clone());
            async move {
                // SQLite's single writer counts beside its readers.
                let pools: &[&AnyPool] =
                    if db.backend == Backend::Sqlite { &[&db.writer, &db.reader] } else { &[&db.writer] };
                let (size, idle) =
                    pools.iter().fold((0i64, 0i64), |(s, i), p| (s + i64::from(p.size()), i + p.num_idle() as i64));
                m.set_pool(size - idle, idle);
                if let Ok(Some(oldest)) = sqlx::query_scalar::<_, Option<i64>>(
                    "SELECT MIN(created_at) FROM outbox WHERE published_at IS NULL",
                )
                .fetch_one(&db.reader)
                .await
                .map_err(|e| tracing::debug!(error = %e, "cannot read the outbox lag"))
                {
                    let now = crate::time::to_micros(chrono::Utc::now());
                    m.set_relay_lag((now - oldest) as f64 / 1e6);
                } else {
                    m.set_relay_lag(0.0);
                }
            }
        });
    }

    /// The recorder given to [`Db::observe`], or a disabled one.
    pub fn metrics(&self) -> Metrics {
        self.metrics.get().cloned().unwrap_or_default()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.reader).await.is_ok()
    }

    /// The queue of audit entries written in the background.
    pub fn audit(&self) -> &AuditSink {
        &self.audit
    }

    /// Writes the queued audit entries, then closes the connections.
    pub async fn close(&self) {
        self.audit.close().await;
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// A tenant ID column; a stored value that does not parse is a decode error.
pub fn tenant_column(row: &sqlx::any::AnyRow, col: &str) -> Result<crate::TenantId, sqlx::Error> {
    use sqlx::Row;
    crate::TenantId::parse(&row.try_get::<String, _>(col)?).map_err(|_| corrupt_column(col))
}

/// A nullable tenant ID column.
pub fn opt_tenant_column(row: &sqlx::any::AnyRow, col: &str) -> Result<Option<crate::TenantId>, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<Option<String>, _>(col)?
        .map(|s| crate::TenantId::parse(&s).map_err(|_| corrupt_column(col)))
        .transpose()
}

/// The error for a stored value the code does not recognise.
pub fn corrupt_column(col: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode { index: col.to_owned(), source: "unexpected stored value".into() }
}

/// Whether an error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
