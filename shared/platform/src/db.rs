//! Storage: one sqlx `Any` code path over SQLite (embedded default) and PostgreSQL.
//! SQLite has one writer, so writes go through a single connection while reads use a
//! pool; PostgreSQL uses one pool for both. Migrations run at start-up.

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Transaction};

/// The platform's own tables (idempotency, audit, outbox), in every service database.
pub static PLATFORM_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A service's database.
#[derive(Debug, Clone)]
pub struct Db {
    writer: AnyPool,
    reader: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating a SQLite file and
    /// its folder if missing, and runs the platform's and then the service's migrations.
    pub async fn connect(url: &str, max_connections: u32, migrator: &Migrator) -> anyhow::Result<Self> {
        install_default_drivers();
        let db = if let Some(path) = url.strip_prefix("sqlite://") {
            Self::sqlite(path, max_connections).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections.max(2))
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .with_context(|| format!("cannot connect to PostgreSQL at {}", redact(url)))?;
            Self { writer: pool.clone(), reader: pool, backend: Backend::Postgres }
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
        let options = || {
            AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5)).after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers run beside the writer; NORMAL is durable in WAL
                    // mode across application crashes; the busy timeout absorbs the
                    // brief locks that checkpoints take.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            })
        };
        let writer = options()
            .max_connections(1)
            .connect(&url)
            .await
            .with_context(|| format!("cannot open SQLite database {file}"))?;
        let reader = options()
            .max_connections(max_connections.max(1))
            .connect(&url)
            .await
            .with_context(|| format!("cannot open SQLite database {file}"))?;
        Ok(Self { writer, reader, backend: Backend::Sqlite })
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

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.reader).await.is_ok()
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// The URL with any password removed, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
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
