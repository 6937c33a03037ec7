//! Audit entries written off the caller's path: a bounded queue that a background task
//! drains into the database in batches, one transaction (and one `INSERT`) per batch.
//! A refusal costs the caller no database write, and a flood of refusals cannot queue
//! without bound: when the queue is full, entries are dropped and counted.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{AnyPool, AssertSqlSafe};
use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinHandle;

use crate::db::Backend;

/// Entries waiting to be written.
const QUEUE: usize = 4096;
/// Entries per transaction.
const BATCH: usize = 256;
/// How long a batch waits for more entries before it is written.
const LINGER: Duration = Duration::from_millis(100);
/// At most one warning about dropped entries this often.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// One row of `audit_log`, ready to insert.
#[derive(Debug)]
pub struct Row {
    pub id: String,
    pub at: i64,
    pub subject: String,
    pub tenant: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub detail: String,
    pub trace_id: String,
}

/// The queue of a database's audit entries.
#[derive(Debug, Clone)]
pub struct AuditSink(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    tx: mpsc::Sender<Row>,
    dropped: AtomicU64,
    born: Instant,
    /// Seconds after `born` of the last warning about dropped entries.
    warned_at: AtomicU64,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl AuditSink {
    /// Starts the task that writes entries through `writer`.
    pub(crate) fn start(writer: AnyPool, backend: Backend) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(write_batches(writer, backend, rx, stopped));
        Self(Arc::new(Inner {
            tx,
            dropped: AtomicU64::new(0),
            born: Instant::now(),
            warned_at: AtomicU64::new(0),
            stop,
            task: Mutex::new(Some(task)),
        }))
    }

    /// Queues `row` without waiting; drops it (counted, with a rate-limited warning)
    /// when the queue is full.
    pub fn push(&self, row: Row) {
        if self.0.tx.try_send(row).is_ok() {
            return;
        }
        let dropped = self.0.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.0.born.elapsed().as_secs() + WARN_EVERY.as_secs();
        let last = self.0.warned_at.load(Ordering::Relaxed);
        if now >= last + WARN_EVERY.as_secs()
            && self.0.warned_at.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            tracing::warn!(dropped_total = dropped, "audit queue full; entries dropped");
        }
    }

    /// Entries dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.0.dropped.load(Ordering::Relaxed)
    }

    /// Writes what is queued and stops the task (before the database closes).
    pub async fn close(&self) {
        let _ = self.0.stop.send(true);
        if let Some(task) = self.0.task.lock().await.take()
            && tokio::time::timeout(Duration::from_secs(5), task).await.is_err()
        {
            tracing::warn!("audit entries still queued at shutdown were not written");
        }
    }
}

async fn write_batches(
    writer: AnyPool,
    backend: Backend,
    mut rx: mpsc::Receiver<Row>,
    mut stop: watch::Receiver<bool>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let stopping = tokio::select! {
            n = rx.recv_many(&mut batch, BATCH) => n == 0,
            _ = stop.changed() => true,
        };
        if stopping {
            while let Ok(row) = rx.try_recv() {
                batch.push(row);
                if batch.len() == BATCH {
                    insert(&writer, backend, &mut batch).await;
                }
            }
            insert(&writer, backend, &mut batch).await;
            return;
        }
        linger(&mut rx, &mut batch).await;
        coalesce(&mut batch);
        insert(&writer, backend, &mut batch).await;
    }
}

/// From this many identical entries in one batch on, they are written as one.
const COALESCE_FROM: usize = 8;

/// A flood of the same refusal (same caller, action, target and outcome) within one
/// batch becomes one entry whose detail says how many there were: the trail keeps the
/// count, and the writer is not made to pay for every copy.
fn coalesce(batch: &mut Vec<Row>) {
    use std::collections::HashMap;
    let key = |r: &Row| (r.tenant.clone(), r.subject.clone(), r.action.clone(), r.target.clone(), r.outcome.clone());
    let mut counts: HashMap<_, usize> = HashMap::new();
    for r in batch.iter() {
        *counts.entry(key(r)).or_default() += 1;
    }
    if counts.values().all(|&n| n < COALESCE_FROM) {
        return;
    }
    let mut written = std::collections::HashSet::new();
    batch.retain_mut(|r| {
        let k = key(r);
        let n = counts[&k];
        if n < COALESCE_FROM {
            return true;
        }
        if !written.insert(k) {
            return false;
        }
        r.detail = format!(r#"{{"repeated":{n},"first":{}}}"#, r.detail);
        true
    });
}

/// Waits up to [`LINGER`] for the batch to fill, so that a flood of refusals costs the
/// writer a few transactions a second rather than one per refusal or two.
async fn linger(rx: &mut mpsc::Receiver<Row>, batch: &mut Vec<Row>) {
    let until = tokio::time::Instant::now() + LINGER;
    while batch.len() < BATCH {
        match tokio::time::timeout_at(until, rx.recv_many(batch, BATCH - batch.len())).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Inserts `rows` in one transaction; a failure is logged (the callers were answered
/// long ago) and the rows are given up.
async fn insert(writer: &AnyPool, backend: Backend, rows: &mut Vec<Row>) {
    if rows.is_empty() {
        return;
    }
    let mut sql = String::from(
        "INSERT INTO audit_log (id, at, actor_subject, actor_tenant, action, target, outcome, detail, trace_id) VALUES ",
    );
    for i in 0..rows.len() {
        let b = i * 9;
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(
            sql,
            "{sep}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9
        );
    }
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for r in rows.drain(..) {
        query = query
            .bind(r.id)
            .bind(r.at)
            .bind(r.subject)
            .bind(r.tenant)
            .bind(r.action)
            .bind(r.target)
            .bind(r.outcome)
            .bind(r.detail)
            .bind(r.trace_id);
    }
    let result = async {
        let mut tx = match backend {
            Backend::Sqlite => writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => writer.begin().await?,
        };
        query.execute(&mut *tx).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not write audit entries");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: &str) -> Row {
        Row {
            id: crate::ids::new_id(),
            at: 1,
            subject: "s".into(),
            tenant: "t".into(),
            action: "order.place".into(),
            target: target.into(),
            outcome: "ROLE_REQUIRED".into(),
            detail: r#"{"code":"PermissionDenied"}"#.into(),
            trace_id: String::new(),
        }
    }

    #[test]
    fn a_flood_of_one_refusal_is_written_once_with_its_count() {
        let mut batch: Vec<Row> = (0..50).map(|_| row("customers/a")).collect();
        batch.extend((0..3).map(|_| row("customers/b")));
        coalesce(&mut batch);
        assert_eq!(batch.len(), 4, "one row for the flood, the three others kept");
        assert_eq!(batch[0].detail, r#"{"repeated":50,"first":{"code":"PermissionDenied"}}"#);
        assert!(batch[1..].iter().all(|r| r.target == "customers/b" && r.detail.starts_with(r#"{"code""#)));
    }
}
