//! The append-only audit trail (who, tenant, what, when, outcome, trace id) and the
//! outbox of events, both written in the transaction of the change they describe.

use sqlx::AnyConnection;

use crate::auth::Caller;
use crate::db::{Db, Statement};
use crate::error::Problem;
use crate::ids::new_id;
use crate::telemetry::current_trace_id;

/// One audited action.
pub struct AuditEntry<'a> {
    pub action: &'a str,
    pub target: &'a str,
    /// `ok`, or the reason of a denial.
    pub outcome: &'a str,
    pub detail: serde_json::Value,
}

pub async fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    now_us: i64,
    entry: AuditEntry<'_>,
) -> Result<(), sqlx::Error> {
    entry_statement(caller, now_us, entry).execute(conn).await?;
    Ok(())
}

/// The insert of one audit entry, to run alone or in a [`crate::db::WriteBatch`].
pub fn entry_statement(caller: &Caller, now_us: i64, entry: AuditEntry<'_>) -> Statement {
    Statement::new(
        "INSERT INTO audit_log (id, at, actor_subject, actor_tenant, action, target, outcome, detail, trace_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(now_us)
    .bind(caller.subject.clone())
    .bind(caller.tenant.to_string())
    .bind(entry.action.to_owned())
    .bind(entry.target.to_owned())
    .bind(entry.outcome.to_owned())
    .bind(entry.detail.to_string())
    .bind(current_trace_id())
}

/// Records a refused request in a transaction of its own (the request itself wrote
/// nothing). A failure to record is logged, never shown to the caller.
pub async fn record_denial(db: &Db, caller: &Caller, now_us: i64, action: &str, target: &str, problem: &Problem) {
    let result = async {
        let mut tx = db.begin().await?;
        let detail = serde_json::json!({ "code": format!("{:?}", problem.code), "message": problem.message });
        record(&mut tx, caller, now_us, AuditEntry { action, target, outcome: problem.reason, detail }).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, action, "could not record a denial in the audit log");
    }
}

/// Adds an event to the outbox.
pub async fn emit(
    conn: &mut AnyConnection,
    now_us: i64,
    topic: &str,
    aggregate: &str,
    payload: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    event_statement(now_us, topic, aggregate, payload).execute(conn).await?;
    Ok(())
}

/// The insert of one outbox event, to run alone or in a [`crate::db::WriteBatch`].
pub fn event_statement(now_us: i64, topic: &str, aggregate: &str, payload: &serde_json::Value) -> Statement {
    Statement::new(
        "INSERT INTO outbox (id, topic, aggregate, payload, created_at, published_at) \
         VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(new_id())
    .bind(topic.to_owned())
    .bind(aggregate.to_owned())
    .bind(payload.to_string())
    .bind(now_us)
}
