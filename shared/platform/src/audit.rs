//! The append-only audit trail (who, tenant, what, when, outcome, trace id) and the
//! outbox of events, both written in the transaction of the change they describe.

use sqlx::AnyConnection;

use crate::auth::Caller;
use crate::db::Db;
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
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_subject, actor_tenant, action, target, outcome, detail, trace_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(now_us)
    .bind(&caller.subject)
    .bind(caller.tenant.to_string())
    .bind(entry.action)
    .bind(entry.target)
    .bind(entry.outcome)
    .bind(entry.detail.to_string())
    .bind(current_trace_id())
    .execute(conn)
    .await?;
    Ok(())
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
    sqlx::query("INSERT INTO outbox (id, topic, aggregate, payload, created_at, published_at) VALUES ($1, $2, $3, $4, $5, NULL)")
        .bind(new_id())
        .bind(topic)
        .bind(aggregate)
        .bind(payload.to_string())
        .bind(now_us)
        .execute(conn)
        .await?;
    Ok(())
}
