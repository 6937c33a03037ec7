//! Partner validations: submission (R1–R3) and review moves (R4, R5).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::audit;
use gcc_platform::db::is_unique_violation;
use gcc_platform::db::{corrupt_column as corrupt, tenant_column as tenant};
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::{PartnerName, PartnerValidationName};
use gcc_platform::paging::{self, Page};
use gcc_platform::time::{from_micros, to_micros};
use gcc_platform::{Caller, TenantId, ids::new_id};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::domain::*;
use crate::error::PartnerError;

use super::{Move, Result, Store, ValidationFilter, fetch_partner};

impl Store {
    /// R1–R4: submits the caller's validation, due in two business days (`due`).
    #[tracing::instrument(name = "store.submit_validation", skip_all, fields(tenant = %caller.tenant), err(level = "info"))]
    pub async fn submit_validation(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        new: NewValidation,
        now: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> Result<(PartnerValidation, bool)> {
        let caller = caller.clone();
        idempotency::run(&self.db, key, to_micros(now), move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<PartnerValidation>> {
            Box::pin(async move {
                let partner = fetch_partner(conn, caller.tenant).await?.ok_or(PartnerError::NotEnrolled)?;
                new.check_against(&partner)?;
                if let Some(open) = open_validation(conn, partner.tenant).await? {
                    return Err(PartnerError::AlreadyOpen(open));
                }
                let v = new.into_pending(new_id(), partner.tenant, now, due);
                let inserted = sqlx::query(
                    "INSERT INTO partner_validations (id, partner_tenant, tenant_id, qualifying_basis, contact_email, details, state, due_at, submitted_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&v.id)
                .bind(v.partner.to_string())
                .bind(v.tenant_id.to_string())
                .bind(v.basis.as_str())
                .bind(v.contact_email.as_str())
                .bind(&v.details)
                .bind(v.state.as_str())
                .bind(to_micros(v.due_at))
                .bind(to_micros(now))
                .bind(to_micros(now))
                .execute(&mut *conn)
                .await;
                match inserted {
                    // Another submission won the race for the one open review.
                    Err(e) if is_unique_violation(&e) => return Err(PartnerError::AlreadyOpen(String::new())),
                    other => other?,
                };
                record_change(conn, &caller, now, "partner_validation.submit", &v).await?;
                Ok(v)
            })
        })
        .await
    }

    #[tracing::instrument(name = "store.validation", skip_all, fields(resource = %PartnerValidationName::new(id)), err(level = "info"))]
    pub async fn validation(&self, id: &str) -> Result<Option<PartnerValidation>> {
        let mut conn = self.db.reader().acquire().await?;
        fetch_validation(&mut conn, id).await
    }

    #[tracing::instrument(name = "store.list_validations", skip_all, fields(partner = ?filter.partner, state = ?filter.state), err(level = "info"))]
    pub async fn list_validations(&self, filter: &ValidationFilter, page: &Page) -> Result<Vec<PartnerValidation>> {
        let sql = list_validations_sql(filter);
        let rows = sqlx::query(sql)
            .bind(&page.after)
            .bind(filter.partner.map(|t| t.to_string()).unwrap_or_default())
            .bind(filter.state.map(ValidationState::as_str).unwrap_or_default())
            .bind(i64::from(filter.overdue_at.is_some()))
            .bind(filter.overdue_at.map(to_micros).unwrap_or(0))
            .bind(page.limit())
            .fetch_all(self.db.reader())
            .await?;
        rows.iter().map(validation_from_row).collect()
    }

    /// R4/R5: moves a review.
    #[tracing::instrument(name = "store.transition", skip_all, fields(tenant = %caller.tenant, resource = %PartnerValidationName::new(change.id.as_str()), action = change.transition.action()), err(level = "info"))]
    pub async fn transition(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        change: Move,
        now: DateTime<Utc>,
    ) -> Result<(PartnerValidation, bool)> {
        let caller = caller.clone();
        idempotency::run(
            &self.db,
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<PartnerValidation>> {
                Box::pin(async move {
                    let Move { id, owner, transition: t, due } = change;
                    let name = PartnerValidationName::new(id.clone()).to_string();
                    let v = fetch_validation(conn, &id)
                        .await?
                        .filter(|v| owner.is_none_or(|o| o == v.partner))
                        .ok_or_else(|| PartnerError::ValidationNotFound(name))?;
                    let effects = v.apply(&t, &caller.subject, now, due)?;
                    persist_review(conn, &effects, now).await?;
                    record_change(conn, &caller, now, effects.action, &effects.validation).await?;
                    Ok(effects.validation)
                })
            },
        )
        .await
    }
}

/// A page of partner validations for [`ValidationFilter`]: `$1` after, `$2` the partner
/// (or empty), `$3` the state (or empty), `$4` 1 for overdue only, `$5` the instant, `$6`
/// the page size. The lead picks an index to walk in id order (the partner's, or the
/// state's); the rest re-checks every filter. Each of the four forms is built once.
pub fn list_validations_sql(filter: &ValidationFilter) -> &'static str {
    static SQL: LazyLock<[String; 4]> = LazyLock::new(|| {
        let sql = |leads: &[&str]| {
            paging::keyset_sql(
                "partner_validations",
                "id",
                leads,
                "AND ($2 = '' OR partner_tenant = $2) AND ($3 = '' OR state = $3) \
                 AND ($4 = 0 OR (state = 'PENDING_REVIEW' AND due_at < $5))",
                "$1",
                "$6",
            )
        };
        [sql(&["partner_tenant = $2"]), sql(&["state = $3"]), sql(&["state = 'PENDING_REVIEW'"]), sql(&[])]
    });
    let form = match filter {
        ValidationFilter { partner: Some(_), .. } => 0,
        ValidationFilter { state: Some(_), .. } => 1,
        ValidationFilter { overdue_at: Some(_), .. } => 2,
        _ => 3,
    };
    &SQL[form]
}

/// Stores a review move only from the state it was read in: after a concurrent move this
/// one is refused from the state that move left. Grants what the move grants (R5).
async fn persist_review(conn: &mut AnyConnection, effects: &Effects, now: DateTime<Utc>) -> Result<()> {
    let v = &effects.validation;
    let moved = sqlx::query(
        "UPDATE partner_validations SET state = $1, due_at = $2, information_request = $3, information_response = $4, \
         rejection_reason = $5, reviewer = $6, decided_at = $7, updated_at = $8 WHERE id = $9 AND state = $10",
    )
    .bind(v.state.as_str())
    .bind(to_micros(v.due_at))
    .bind(v.information_request.clone())
    .bind(v.information_response.clone())
    .bind(v.rejection_reason.clone())
    .bind(v.reviewer.clone())
    .bind(v.decided_at.map(to_micros))
    .bind(to_micros(now))
    .bind(&v.id)
    .bind(effects.from.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved != 1 {
        let current = fetch_validation(conn, &v.id).await?.map_or(effects.from, |c| c.state);
        return Err(Refusal::TransitionNotAllowed { from: current, action: effects.action }.into());
    }
    if let Some(q) = &effects.granted {
        sqlx::query(
            "INSERT INTO partner_qualifications (partner_tenant, qualification, validation_id, granted_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(v.partner.to_string())
        .bind(&q.name)
        .bind(&q.validation_id)
        .bind(to_micros(q.granted_at))
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE partners SET updated_at = $1 WHERE tenant_id = $2")
            .bind(to_micros(now))
            .bind(v.partner.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn record_change(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    v: &PartnerValidation,
) -> Result<()> {
    let target = PartnerValidationName::new(v.id.clone()).to_string();
    let detail = serde_json::json!({
        "partner": PartnerName::new(v.partner).to_string(),
        "state": v.state.as_str(),
        "contact_email": v.contact_email.as_str(),
        "due_time": v.due_at.to_rfc3339(),
        "action": action,
    });
    // What the e-mail notifications quote (see `crate::notify`).
    let mut detail = detail;
    for (key, value) in [
        ("rejection_reason", &v.rejection_reason),
        ("information_request", &v.information_request),
        ("information_response", &v.information_response),
    ] {
        if let (Some(value), Some(map)) = (value, detail.as_object_mut()) {
            map.insert(key.to_owned(), serde_json::Value::String(value.clone()));
        }
    }
    audit::record_change(conn, caller, to_micros(now), action, &target, &v.event_topic(), detail).await?;
    Ok(())
}

async fn open_validation(conn: &mut AnyConnection, partner: TenantId) -> Result<Option<String>> {
    let row = sqlx::query("SELECT id FROM partner_validations WHERE partner_tenant = $1 AND state IN ('PENDING_REVIEW', 'INFORMATION_REQUESTED')")
        .bind(partner.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

async fn fetch_validation(conn: &mut AnyConnection, id: &str) -> Result<Option<PartnerValidation>> {
    let row =
        sqlx::query("SELECT * FROM partner_validations WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(validation_from_row).transpose()
}

fn validation_from_row(row: &AnyRow) -> Result<PartnerValidation> {
    Ok(PartnerValidation {
        id: row.try_get("id")?,
        partner: tenant(row, "partner_tenant")?,
        tenant_id: tenant(row, "tenant_id")?,
        basis: QualifyingBasis::parse(&row.try_get::<String, _>("qualifying_basis")?)
            .ok_or_else(|| corrupt("qualifying_basis"))?,
        contact_email: ContactEmail::parse(&row.try_get::<String, _>("contact_email")?)
            .ok_or_else(|| corrupt("contact_email"))?,
        details: row.try_get("details")?,
        state: ValidationState::parse(&row.try_get::<String, _>("state")?).ok_or_else(|| corrupt("state"))?,
        due_at: from_micros(row.try_get("due_at")?),
        information_request: row.try_get("information_request")?,
        information_response: row.try_get("information_response")?,
        rejection_reason: row.try_get("rejection_reason")?,
        reviewer: row.try_get("reviewer")?,
        submitted_at: from_micros(row.try_get("submitted_at")?),
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_micros),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}
