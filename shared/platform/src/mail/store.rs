//! The `notifications` and `notification_attempts` tables.

use std::sync::LazyLock;

use sqlx::{AnyConnection, Row};

use super::Draft;
use crate::db::Db;
use crate::relay::OutboxEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationState {
    Pending,
    Sent,
    Failed,
    Logged,
}

impl NotificationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sent => "SENT",
            Self::Failed => "FAILED",
            Self::Logged => "LOGGED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed, Self::Logged].into_iter().find(|v| v.as_str() == s)
    }
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    pub id: String,
    pub event_id: String,
    pub kind: String,
    pub about: String,
    pub tenant: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub state: NotificationState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(super) const COLUMNS: &str = "id, event_id, kind, about, tenant, recipients, subject, body_text, body_html, \
     state, attempts, last_error, next_attempt_at, created_at, updated_at";

/// Stores the notifications of `event`, once: the IDs come from the event's, so a
/// second relay of the same event adds nothing.
/// The ID of the `n`th notification (from 0) an event gives rise to: `{event}.{n + 1}`.
pub fn notification_id(event_id: &str, n: usize) -> String {
    format!("{event_id}.{}", n + 1)
}

pub async fn insert_drafts(
    conn: &mut AnyConnection,
    event: &OutboxEvent,
    drafts: &[Draft],
    now_us: i64,
) -> Result<(), sqlx::Error> {
    for (n, d) in drafts.iter().enumerate() {
        let recipients = serde_json::json!({ "to": d.to, "cc": d.cc }).to_string();
        sqlx::query(
            "INSERT INTO notifications (id, event_id, kind, about, tenant, recipients, subject, body_text, body_html, \
             state, attempts, last_error, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'PENDING', 0, NULL, $10, $10, $10) ON CONFLICT (id) DO NOTHING",
        )
        .bind(notification_id(&event.id, n))
        .bind(event.id.clone())
        .bind(d.kind)
        .bind(d.about.clone())
        .bind(d.tenant.clone())
        .bind(recipients)
        .bind(d.message.subject.clone())
        .bind(d.message.text.clone())
        .bind(d.message.html.clone())
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records one delivery attempt and the notification's new state.
pub async fn record_attempt(
    conn: &mut AnyConnection,
    n: &NotificationRow,
    state: NotificationState,
    outcome: &str,
    detail: &str,
    next_attempt_at: i64,
    now_us: i64,
) -> Result<(), sqlx::Error> {
    let attempt = n.attempts + 1;
    let detail: String = detail.chars().take(1000).collect();
    sqlx::query(
        "INSERT INTO notification_attempts (notification_id, attempt, at, outcome, detail) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(n.id.clone())
    .bind(attempt)
    .bind(now_us)
    .bind(outcome.to_owned())
    .bind(detail.clone())
    .execute(&mut *conn)
    .await?;
    let last_error = (outcome != "sent" && outcome != "logged").then_some(detail);
    sqlx::query(
        "UPDATE notifications SET state = $1, attempts = $2, last_error = COALESCE($3, last_error), \
         next_attempt_at = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(state.as_str())
    .bind(attempt)
    .bind(last_error)
    .bind(next_attempt_at)
    .bind(now_us)
    .bind(n.id.clone())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Notifications about resources named `about_prefix…` (all when empty), for `tenant`
/// (all tenants when `None`), in `state` (any when `None`), newest first, at most `limit`
/// after the ID `before` (none when empty).
pub async fn list(
    db: &Db,
    tenant: Option<&str>,
    about_prefix: &str,
    state: Option<NotificationState>,
    before: &str,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    let rows = sqlx::query(list_sql(tenant.is_some(), !before.is_empty()))
        .bind(tenant.unwrap_or_default().to_owned())
        .bind(about_prefix.to_owned())
        .bind(state.map(|s| s.as_str()).unwrap_or_default())
        .bind(before.to_owned())
        .bind(limit)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(from_row).collect()
}

/// The SQL of [`list`]: `$1` the tenant, `$2` the prefix, `$3` the state, `$4` the ID the
/// page starts before, `$5` the limit. One tenant's page (`one_tenant`) is read from the
/// `(tenant, id)` index and a later page (`later`) starts in it at `$4`, so a page costs
/// the same however many notifications the table or the tenant holds; an `OR` on either
/// would make the database walk every row in ID order.
pub fn list_sql(one_tenant: bool, later: bool) -> &'static str {
    static SQL: LazyLock<[String; 4]> = LazyLock::new(|| {
        let sql = |one_tenant: bool, later: bool| {
            let tenant = if one_tenant { "tenant = $1" } else { "($1 = '' OR tenant = $1)" };
            let before = if later { "id < $4" } else { "$4 = ''" };
            format!(
                "SELECT {COLUMNS} FROM notifications WHERE {tenant} AND {before} \
                 AND ($2 = '' OR substr(about, 1, length($2)) = $2) AND ($3 = '' OR state = $3) ORDER BY id DESC LIMIT $5"
            )
        };
        [sql(false, false), sql(false, true), sql(true, false), sql(true, true)]
    });
    &SQL[usize::from(one_tenant) * 2 + usize::from(later)]
}

pub(super) fn from_row(row: &sqlx::any::AnyRow) -> Result<NotificationRow, sqlx::Error> {
    let recipients: String = row.try_get("recipients")?;
    let r: serde_json::Value =
        serde_json::from_str(&recipients).map_err(|_| crate::db::corrupt_column("recipients"))?;
    let addresses = |k: &str| -> Vec<String> {
        r.get(k)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let state: String = row.try_get("state")?;
    Ok(NotificationRow {
        id: row.try_get("id")?,
        event_id: row.try_get("event_id")?,
        kind: row.try_get("kind")?,
        about: row.try_get("about")?,
        tenant: row.try_get("tenant")?,
        to: addresses("to"),
        cc: addresses("cc"),
        subject: row.try_get("subject")?,
        text: row.try_get("body_text")?,
        html: row.try_get("body_html")?,
        state: NotificationState::parse(&state).ok_or_else(|| crate::db::corrupt_column("state"))?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Deletes notifications settled (sent, logged or failed) longer than `retention` ago,
/// with their attempts: the table stays as large as the retention window, like the
/// outbox it comes from. A pending one is never pruned.
pub async fn prune(db: &Db, retention: std::time::Duration) -> Result<u64, sqlx::Error> {
    let retention = i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
    let cutoff = crate::time::to_micros(chrono::Utc::now()).saturating_sub(retention);
    let settled = "SELECT id FROM notifications WHERE state <> 'PENDING' AND updated_at < $1";
    let mut tx = db.begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM notification_attempts WHERE notification_id IN ({settled})")))
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query("DELETE FROM notifications WHERE state <> 'PENDING' AND updated_at < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}
