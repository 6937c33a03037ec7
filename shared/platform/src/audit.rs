//! The append-only audit trail (who, tenant, what, when, outcome, trace id) and the
//! outbox of events, both written in the transaction of the change they describe.
//! Refusals and reviewers' reads change nothing; their entries go through the
//! database's [`AuditSink`], off the caller's path.

mod sink;

use sqlx::AnyConnection;

pub use sink::{AuditSink, Row};

use crate::auth::{Caller, Role};
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

/// Longest caller-supplied text kept in an entry that the caller's refusal wrote, so
/// that a refused request cannot make the server store what it sent.
pub const MAX_ECHOED_CHARS: usize = 256;

/// `s` cut to [`MAX_ECHOED_CHARS`] characters (on a character boundary), with a marker
/// saying so.
pub fn truncate_echo(s: &str) -> String {
    match s.char_indices().nth(MAX_ECHOED_CHARS) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}…[truncated]", &s[..cut]),
    }
}

/// Records a refused request (which itself wrote nothing). Returns at once: the entry
/// is queued and written in the background; caller-supplied text in it is truncated.
pub async fn record_denial(db: &Db, caller: &Caller, now_us: i64, action: &str, target: &str, problem: &Problem) {
    let detail = serde_json::json!({
        "code": format!("{:?}", problem.code),
        "message": truncate_echo(&problem.message),
    });
    db.audit().push(row(caller, now_us, action, target, problem.reason, detail));
}

/// Records that a reviewer read contact data (`names` are the resources read); callers
/// without the reviewer role are not recorded. Returns at once, as [`record_denial`].
pub fn record_reviewer_read(db: &Db, caller: &Caller, now_us: i64, action: &str, target: &str, names: &[&str]) {
    if !caller.has(Role::EligibilityReviewer) || names.is_empty() {
        return;
    }
    db.audit().push(row(caller, now_us, action, target, "ok", serde_json::json!({ "names": names })));
}

fn row(caller: &Caller, now_us: i64, action: &str, target: &str, outcome: &str, detail: serde_json::Value) -> Row {
    Row {
        id: new_id(),
        at: now_us,
        subject: truncate_echo(&caller.subject),
        tenant: caller.tenant.to_string(),
        action: action.to_owned(),
        target: truncate_echo(target),
        outcome: outcome.to_owned(),
        detail: detail.to_string(),
        trace_id: current_trace_id(),
    }
}

/// A successful change: its audit entry and its outbox event (`topic`, about `target`,
/// carrying `detail`), in the change's own transaction.
pub async fn record_change(
    conn: &mut AnyConnection,
    caller: &Caller,
    now_us: i64,
    action: &str,
    target: &str,
    topic: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    emit(conn, now_us, topic, target, &detail).await?;
    record(conn, caller, now_us, AuditEntry { action, target, outcome: "ok", detail }).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_text_is_cut_on_a_character_boundary_with_a_marker() {
        assert_eq!(truncate_echo("short"), "short");
        let long = "é".repeat(300);
        let cut = truncate_echo(&long);
        assert!(cut.ends_with("…[truncated]"));
        assert_eq!(cut.trim_end_matches("…[truncated]").chars().count(), MAX_ECHOED_CHARS);
    }
}
