//! The review queues' depth and overdue count, read at scrape time.

use super::Metrics;

/// Reads a review queue at each scrape: requests waiting for a reviewer
/// (`PENDING_REVIEW`) in `table`, and those of them past their due time (R4: two business
/// days, stored as `due_at`), as of the service's clock.
pub fn watch_queue(
    metrics: &Metrics,
    db: &crate::db::Db,
    queue: &'static str,
    table: &'static str,
    clock: crate::time::SharedClock,
) {
    if !metrics.is_enabled() {
        return;
    }
    let (m, db) = (metrics.clone(), db.clone());
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), 0) FROM {table} \
         WHERE state = 'PENDING_REVIEW'"
    );
    metrics.on_scrape(move || {
        let (m, db, sql, clock) = (m.clone(), db.clone(), sql.clone(), clock.clone());
        async move {
            let now = crate::time::to_micros(clock.now());
            let row = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql)).bind(now).fetch_one(db.reader()).await;
            match row {
                Ok((depth, overdue)) => m.set_queue(queue, depth, overdue),
                Err(e) => tracing::debug!(error = %e, queue, "cannot read the review queue"),
            }
        }
    });
}
