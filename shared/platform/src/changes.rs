//! Changes committed by any replica, for the `Watch…` streams of every replica.
//!
//! On PostgreSQL a trigger on the outbox sends `NOTIFY gcc_outbox, '<resource name>'` in
//! the committing transaction; PostgreSQL delivers it at commit, in commit order, to every
//! replica that listens. Each replica then re-reads the resource from the database (the
//! source of truth) and publishes it to its local hub, so that a watcher on replica A sees
//! a change made through replica B. The replica that made the change has already
//! published it; `events::watch` drops the same version seen twice, so no stream repeats
//! one. SQLite is one process: its local publication is enough, and nothing runs here.

use std::future::Future;
use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::db::{Backend, Db};

const CHANNEL: &str = "gcc_outbox";
/// Notifications taken together before their resources are re-read.
const MAX_BATCH: usize = 256;

/// Installs the notifying trigger once per database, whatever replicas race to do it.
async fn ensure_trigger(db: &Db) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    // A transaction-scoped lock: replicas starting together install it one at a time.
    sqlx::query("SELECT pg_advisory_xact_lock(7262837)").execute(&mut *tx).await?;
    let exists =
        sqlx::query("SELECT 1 FROM pg_trigger WHERE tgname = 'outbox_notify'").fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        sqlx::query(
            "CREATE OR REPLACE FUNCTION gcc_outbox_notify() RETURNS trigger AS $$ \
             BEGIN PERFORM pg_notify('gcc_outbox', NEW.aggregate); RETURN NEW; END $$ LANGUAGE plpgsql",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION gcc_outbox_notify()",
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// On PostgreSQL, calls `on_change` with the name of each resource that any replica
/// changes (`partnerValidations/…`), until the database is closed. Does nothing on
/// SQLite.
pub async fn follow<F, Fut>(db: &Db, url: &str, on_change: F) -> anyhow::Result<()>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    if db.backend() != Backend::Postgres {
        return Ok(());
    }
    ensure_trigger(db).await.map_err(|e| anyhow::anyhow!("cannot install the outbox trigger: {e}"))?;
    let (db, url) = (db.clone(), url.to_owned());
    tokio::spawn(async move {
        let mut failures = 0u32;
        while !db.reader().is_closed() {
            match listen(&db, &url, &on_change).await {
                Ok(()) => return,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, failures, "listening for other replicas' changes failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(200) * failures.min(25)).await;
                }
            }
        }
    });
    Ok(())
}

/// Listens until the database closes (Ok) or the connection fails (Err).
async fn listen<F, Fut>(db: &Db, url: &str, on_change: &F) -> Result<(), sqlx::Error>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    loop {
        // Wake now and then to notice that the database was closed.
        match tokio::time::timeout(Duration::from_secs(1), listener.try_recv()).await {
            Err(_) if db.reader().is_closed() => return Ok(()),
            Err(_) => continue,
            Ok(Ok(Some(n))) => {
                // Whatever else has arrived meanwhile is taken too, and each resource is
                // re-read once however often it changed: the work follows the number of
                // resources changed, not the number of changes.
                let mut names = vec![n.payload().to_owned()];
                while names.len() < MAX_BATCH
                    && let Some(more) = listener.next_buffered()
                {
                    if !names.iter().any(|m| m == more.payload()) {
                        names.push(more.payload().to_owned());
                    }
                }
                for name in names {
                    on_change(name).await;
                }
            }
            // The connection dropped: notifications sent meanwhile are lost, so the
            // caller reconnects (and logs it).
            Ok(Ok(None)) => return Err(sqlx::Error::PoolClosed),
            Ok(Err(e)) => return Err(e),
        }
    }
}
