//! The outbox relay: delivers each committed event at least once, in commit order per
//! resource, then marks it and, after a retention period, prunes it.
//!
//! With several replicas on PostgreSQL, each relay claims rows with `FOR UPDATE SKIP
//! LOCKED`, and only the oldest undelivered event of a resource is claimable: a later
//! event of the same resource waits until the earlier one is marked, so two relays never
//! deliver one resource's events out of order. SQLite has one process and one relay.
//! Delivery that fails (the broker is away) leaves the rows undelivered: they go out once
//! it is back. A relay killed between delivering and marking delivers again; consumers
//! drop the duplicate by the event ID (the JetStream message ID).

use std::time::Duration;

use anyhow::Context;
use sqlx::{AssertSqlSafe, Row};

use crate::db::{Backend, Db};
use crate::mail::{Notifier, SharedNotifier};
use crate::time::to_micros;

/// How the relay runs, from the server's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct EventsArgs {
    /// NATS server to publish events to, as CloudEvents on JetStream (nats://host:port).
    /// Without it no broker is needed: events are only marked relayed and pruned.
    #[arg(long, env = "GCC_EVENTS_NATS_URL")]
    pub events_nats_url: Option<String>,
    /// JetStream stream that holds the events (subjects `gcc.>`), created if missing.
    #[arg(long, env = "GCC_EVENTS_STREAM", default_value = "GCC_EVENTS")]
    pub events_stream: String,
    /// How long relayed events stay in the outbox before they are pruned; settled e-mail
    /// notifications (sent, logged, failed) are kept as long.
    #[arg(long, env = "GCC_OUTBOX_RETENTION", default_value = "7d", value_parser = crate::config::parse_duration)]
    pub outbox_retention: Duration,
    /// How long a `request_id` is remembered: a retry within it gets the first answer, a
    /// request after it is a new request. Pruned with the outbox.
    #[arg(long, env = "GCC_IDEMPOTENCY_RETENTION", default_value = "7d", value_parser = crate::config::parse_duration)]
    pub idempotency_retention: Duration,
    /// How often the relay looks for new events when it found none.
    #[arg(long, env = "GCC_OUTBOX_POLL", default_value = "200ms", value_parser = crate::config::parse_duration)]
    pub outbox_poll: Duration,
}

/// An event as committed to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub id: String,
    pub topic: String,
    pub aggregate: String,
    pub payload: serde_json::Value,
    pub created_at: i64,
}

/// Events claimed per round: bounds the transaction and the memory of one round.
const BATCH: i64 = 200;
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The oldest undelivered event of each resource, oldest first.
const CLAIMABLE: &str = "SELECT id, topic, aggregate, payload, created_at FROM outbox o \
     WHERE published_at IS NULL AND NOT EXISTS (SELECT 1 FROM outbox p \
     WHERE p.aggregate = o.aggregate AND p.published_at IS NULL AND p.id < o.id) ORDER BY id LIMIT $1";

/// Where events go.
pub enum Sink {
    Nats(crate::nats::NatsSink),
}

impl Sink {
    async fn deliver(&self, events: &[OutboxEvent]) -> anyhow::Result<()> {
        match self {
            Self::Nats(n) => n.publish(events).await,
        }
    }
}

/// Starts the relay of `db`'s outbox for the service `source` (its package, such as
/// `gcc.partner.v1`). It ends when the database is closed.
pub fn spawn(db: Db, args: &EventsArgs, source: &'static str) -> anyhow::Result<()> {
    spawn_notifying(db, args, source, None)
}

/// [`spawn`], and each relayed event's notifications (from `notifier`) stored in the
/// transaction that marks it relayed (see [`crate::mail`]).
pub fn spawn_notifying(
    db: Db,
    args: &EventsArgs,
    source: &'static str,
    notifier: Option<SharedNotifier>,
) -> anyhow::Result<()> {
    let sinks = match &args.events_nats_url {
        Some(url) => vec![Sink::Nats(crate::nats::NatsSink::new(url, &args.events_stream, source)?)],
        None => Vec::new(),
    };
    let (poll, retention) = (args.outbox_poll, (args.outbox_retention, args.idempotency_retention));
    tokio::spawn(async move { run(db, sinks, notifier, poll, retention).await });
    Ok(())
}

/// `retention`: of relayed events, and of idempotency records.
async fn run(
    db: Db,
    sinks: Vec<Sink>,
    notifier: Option<SharedNotifier>,
    poll: Duration,
    retention: (Duration, Duration),
) {
    let mut failures = 0u32;
    let mut pruned_at = tokio::time::Instant::now();
    loop {
        if db.reader().is_closed() {
            return;
        }
        let wait = match relay_round(&db, &sinks, notifier.as_deref()).await {
            Ok(0) => poll,
            Ok(_) => {
                failures = 0;
                Duration::ZERO
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                if !db.reader().is_closed() {
                    tracing::warn!(error = format!("{e:#}"), failures, "outbox relay round failed");
                }
                // Back off while the database or the broker is away: 0.4 s, 0.8 s, … 10 s.
                (poll * 2u32.saturating_pow(failures.min(6))).min(Duration::from_secs(10))
            }
        };
        if pruned_at.elapsed() >= PRUNE_EVERY {
            pruned_at = tokio::time::Instant::now();
            if let Err(e) = prune(&db, retention.0).await {
                tracing::warn!(error = %e, "outbox pruning failed");
            }
            if let Err(e) = crate::idempotency::prune(&db, retention.1).await {
                tracing::warn!(error = %e, "idempotency pruning failed");
            }
            // Notifications come from relayed events and go with them.
            if let Err(e) = crate::mail::prune(&db, retention.0).await {
                tracing::warn!(error = %e, "notification pruning failed");
            }
        }
        tokio::time::sleep(wait).await;
    }
}

/// Claims, delivers and marks one batch; how many events it relayed.
pub async fn relay_once(db: &Db, sinks: &[Sink]) -> anyhow::Result<usize> {
    relay_round(db, sinks, None).await
}

/// [`relay_once`], storing the events' notifications with the mark.
pub async fn relay_round(db: &Db, sinks: &[Sink], notifier: Option<&dyn Notifier>) -> anyhow::Result<usize> {
    match db.backend() {
        Backend::Postgres => {
            let mut tx = db.begin().await.context("begin")?;
            let sql = format!("{CLAIMABLE} FOR UPDATE SKIP LOCKED");
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(BATCH).fetch_all(&mut *tx).await.context("claim")?;
            let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>, _>>()?;
            if events.is_empty() {
                return Ok(0);
            }
            for sink in sinks {
                sink.deliver(&events).await?;
            }
            mark(&mut tx, &events).await?;
            notify(&mut tx, &events, notifier).await?;
            tx.commit().await.context("commit")?;
            delivered(db, &events);
            Ok(events.len())
        }
        Backend::Sqlite => {
            // One process: read on a reader, so that orders keep the writer meanwhile.
            let rows = sqlx::query(CLAIMABLE).bind(BATCH).fetch_all(db.reader()).await.context("read")?;
            let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>, _>>()?;
            if events.is_empty() {
                return Ok(0);
            }
            for sink in sinks {
                sink.deliver(&events).await?;
            }
            let mut tx = db.begin().await.context("begin")?;
            mark(&mut tx, &events).await?;
            notify(&mut tx, &events, notifier).await?;
            tx.commit().await.context("commit")?;
            delivered(db, &events);
            Ok(events.len())
        }
    }
}

/// Records how long each relayed event waited after its commit.
fn delivered(db: &Db, events: &[OutboxEvent]) {
    let metrics = db.metrics();
    if !metrics.is_enabled() {
        return;
    }
    let now = to_micros(chrono::Utc::now());
    for e in events {
        metrics.relay_delivered(Duration::from_micros(u64::try_from(now - e.created_at).unwrap_or(0)));
    }
}

async fn mark(conn: &mut sqlx::AnyConnection, events: &[OutboxEvent]) -> anyhow::Result<()> {
    let now = to_micros(chrono::Utc::now());
    let placeholders: Vec<String> = (0..events.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!("UPDATE outbox SET published_at = $1 WHERE id IN ({})", placeholders.join(", "));
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now);
    for e in events {
        q = q.bind(e.id.clone());
    }
    q.execute(conn).await.context("mark relayed")?;
    Ok(())
}

/// Stores the notifications of `events`, if the service sends any.
async fn notify(
    conn: &mut sqlx::AnyConnection,
    events: &[OutboxEvent],
    notifier: Option<&dyn Notifier>,
) -> anyhow::Result<()> {
    let Some(notifier) = notifier else {
        return Ok(());
    };
    let now = to_micros(chrono::Utc::now());
    for e in events {
        let drafts = notifier.notifications(e);
        if !drafts.is_empty() {
            crate::mail::insert_drafts(conn, e, &drafts, now).await.context("store notifications")?;
        }
    }
    Ok(())
}

/// Deletes relayed events older than `retention`.
pub async fn prune(db: &Db, retention: Duration) -> anyhow::Result<u64> {
    let cutoff = to_micros(chrono::Utc::now()) - i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
    let mut tx = db.begin().await?;
    let n = sqlx::query("DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

fn event_from_row(row: &sqlx::any::AnyRow) -> anyhow::Result<OutboxEvent> {
    let payload: String = row.try_get("payload")?;
    Ok(OutboxEvent {
        id: row.try_get("id")?,
        topic: row.try_get("topic")?,
        aggregate: row.try_get("aggregate")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::String(payload)),
        created_at: row.try_get("created_at")?,
    })
}
