//! Changes committed by any replica, for the `Watch…` streams of every replica.
//!
//! On PostgreSQL a trigger on the outbox sends `NOTIFY gcc_outbox, '<resource name>'` in
//! the committing transaction; PostgreSQL delivers it at commit, in commit order, to every
//! replica that listens. Each replica then re-reads the resource from the database (the
//! source of truth) and publishes it to its local hub, so that a watcher on replica A sees
//! a change made through replica B. The replica that made the change has already
//! published it; `events::watch` drops the same version seen twice, so no stream repeats
//! one. SQLite is one process: its local publication is enough, and nothing runs here.
//!
//! Notifications sent while a replica is not listening (its connection dropped, the
//! database restarted) are lost; so each time it starts listening, the replica also
//! re-reads every resource whose outbox events were made since it last knew itself up to
//! date (less a margin), which the outbox's time-ordered event IDs make one range read.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgListener;

use crate::db::{Backend, Db};

const CHANNEL: &str = "gcc_outbox";
/// Notifications taken together before their resources are re-read.
const MAX_BATCH: usize = 256;
/// How far before the moment a replica last knew itself up to date it looks again when
/// it starts listening: far longer than a notification takes to arrive.
const CATCH_UP_MARGIN: Duration = Duration::from_secs(5);
/// Resources re-read at most when a replica starts listening.
const MAX_CATCH_UP: i64 = 10_000;

/// The lowest outbox event ID that can have been made at `t`: event IDs are UUIDv7s,
/// whose first 48 bits are the Unix time in milliseconds, written in hex.
pub fn event_id_floor(t: SystemTime) -> String {
    let ms = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    format!("{ms:012x}{}", "0".repeat(20))
}

/// The resources with outbox events made since `since`.
async fn changed_since(db: &Db, since: SystemTime) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT DISTINCT aggregate FROM outbox WHERE id >= $1 LIMIT $2")
        .bind(event_id_floor(since))
        .bind(MAX_CATCH_UP)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(|r| sqlx::Row::try_get::<String, _>(r, "aggregate")).collect()
}

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
        // Up to date as of now: nobody watches a replica that is starting.
        let mut up_to_date = SystemTime::now();
        while !db.reader().is_closed() {
            match listen(&db, &url, &on_change, &mut up_to_date, &mut failures).await {
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

/// Listens until the database closes (Ok) or the connection fails (Err). Once listening,
/// first re-reads what changed since `up_to_date` (less the margin), and keeps
/// `up_to_date` current while the connection lives; `failures` (the caller's backoff)
/// starts again.
async fn listen<F, Fut>(
    db: &Db,
    url: &str,
    on_change: &F,
    up_to_date: &mut SystemTime,
    failures: &mut u32,
) -> Result<(), sqlx::Error>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    let listening_since = SystemTime::now();
    for name in changed_since(db, up_to_date.checked_sub(CATCH_UP_MARGIN).unwrap_or(UNIX_EPOCH)).await? {
        on_change(name).await;
    }
    *up_to_date = listening_since;
    *failures = 0;
    loop {
        // Wake now and then to notice that the database was closed.
        let waited_from = SystemTime::now();
        let next = tokio::time::timeout(Duration::from_secs(1), listener.try_recv()).await;
        if matches!(next, Err(_) | Ok(Ok(Some(_)))) {
            // The connection was alive: what committed before then has been heard.
            *up_to_date = waited_from;
        }
        match next {
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
