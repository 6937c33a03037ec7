//! Customer validations: submission (R7–R9, R12) and review moves (R11–R13).

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::audit;
use gcc_platform::db::is_unique_violation;
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::{CustomerName, CustomerValidationName, PartnerName};
use gcc_platform::paging::{self, Page};
use gcc_platform::time::to_micros;
use gcc_platform::{Caller, TenantId, ids::new_id};
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::domain::*;
use crate::error::ValidationError;

use super::codes::{grant, issue_code, qualification};
use super::rows::{json, validation_from_row};
use super::{Move, Result, Store, ValidationFilter};

impl Store {
    #[tracing::instrument(name = "store.submit", skip_all, fields(tenant = %caller.tenant), err(level = "info"))]
    pub async fn submit(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        new: NewValidation,
        now: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> Result<(CustomerValidation, bool)> {
        let caller = caller.clone();
        idempotency::run(
            &self.db,
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<CustomerValidation>> {
                Box::pin(async move {
                    // R12: one open validation per organization and transacting partner.
                    let open = sqlx::query(
                    "SELECT id FROM customer_validations WHERE transacting_tenant = $1 AND organization_domain = $2 \
                     AND state IN ('PENDING_REVIEW', 'CONTACTING_CUSTOMER')",
                )
                .bind(new.transacting.to_string())
                .bind(&new.organization.domain)
                .fetch_optional(&mut *conn)
                .await?;
                    if let Some(row) = open {
                        return Err(ValidationError::AlreadyOpen(row.try_get("id")?));
                    }
                    if let Some(c) = new.customer
                        && qualification(conn, c).await?.is_some()
                    {
                        return Err(ValidationError::AlreadyQualified(c));
                    }
                    let v = new.into_pending(new_id(), now, due);
                    insert(conn, &v).await?;
                    record(conn, &caller, now, "customer_validation.submit", &v, None).await?;
                    Ok(v)
                })
            },
        )
        .await
    }

    #[tracing::instrument(name = "store.validation", skip_all, fields(resource = %CustomerValidationName::new(id)), err(level = "info"))]
    pub async fn validation(&self, id: &str) -> Result<Option<CustomerValidation>> {
        let row = sqlx::query("SELECT * FROM customer_validations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(validation_from_row).transpose()
    }

    #[tracing::instrument(name = "store.list", skip_all, fields(visible_to = ?f.visible_to, state = ?f.state), err(level = "info"))]
    pub async fn list(&self, f: &ValidationFilter, page: &Page) -> Result<Vec<CustomerValidation>> {
        let sql = list_sql(f);
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(&page.after)
            .bind(f.visible_to.map(|t| t.to_string()).unwrap_or_default())
            .bind(f.state.map(ValidationState::as_str).unwrap_or_default())
            .bind(i64::from(f.overdue_at.is_some()))
            .bind(f.overdue_at.map(to_micros).unwrap_or(0))
            .bind(page.limit())
            .fetch_all(self.db.reader())
            .await?;
        rows.iter().map(validation_from_row).collect()
    }

    /// R11–R13: moves a review; approval issues the validation code.
    #[tracing::instrument(name = "store.transition", skip_all, fields(tenant = %caller.tenant, resource = %CustomerValidationName::new(change.id.as_str()), action = change.transition.action()), err(level = "info"))]
    pub async fn transition(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        change: Move,
        now: DateTime<Utc>,
    ) -> Result<(CustomerValidation, bool)> {
        let caller = caller.clone();
        idempotency::run(
            &self.db,
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<CustomerValidation>> {
                Box::pin(async move {
                    let Move { id, transition: t, due } = change;
                    let row = sqlx::query("SELECT * FROM customer_validations WHERE id = $1")
                        .bind(&id)
                        .fetch_optional(&mut *conn)
                        .await?;
                    let v = row.as_ref().map(validation_from_row).transpose()?.ok_or_else(|| {
                        ValidationError::ValidationNotFound(CustomerValidationName::new(id.clone()).to_string())
                    })?;
                    let mut effects = v.apply(&t, &caller.subject, now, due)?;
                    if let Some(issue) = effects.code {
                        let code = issue_code(conn, &effects.validation, issue.uses, now, issue.expires_at).await?;
                        if let Some(customer) = effects.qualifies
                            && qualification(conn, customer).await?.is_none()
                        {
                            grant(conn, &caller, &code, &v.id, customer, now).await?;
                        }
                        effects.validation.validation_code = Some(code);
                    }
                    persist_review(conn, &effects, now).await?;
                    let code_expires = effects.code.map(|c| c.expires_at);
                    record(conn, &caller, now, effects.action, &effects.validation, code_expires).await?;
                    Ok(effects.validation)
                })
            },
        )
        .await
    }

    /// The gate's local facts: whether the customer holds GCC, and whether one of its
    /// validations is under review. One round trip.
    #[tracing::instrument(name = "store.customer_status", skip_all, fields(resource = %CustomerName::new(customer)), err(level = "info"))]
    pub async fn customer_status(&self, customer: TenantId) -> Result<(bool, bool)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM special_qualifications WHERE customer_tenant = $1) AS qualified, \
             (SELECT COUNT(*) FROM customer_validations WHERE customer_tenant = $1 \
              AND state IN ('PENDING_REVIEW', 'CONTACTING_CUSTOMER')) AS open",
        )
        .bind(customer.to_string())
        .fetch_one(self.db.reader())
        .await?;
        Ok((row.try_get::<i64, _>("qualified")? > 0, row.try_get::<i64, _>("open")? > 0))
    }
}

async fn insert(conn: &mut AnyConnection, v: &CustomerValidation) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO customer_validations (id, partner_tenant, transacting_tenant, customer_tenant, organization, \
         eligibility, state, due_at, submitted_at, updated_at, organization_domain, partner_contact_email, \
         provider_contact_email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&v.id)
    .bind(v.partner.to_string())
    .bind(v.transacting.to_string())
    .bind(v.customer.map(|c| c.to_string()))
    .bind(json(&v.organization))
    .bind(json(&v.eligibility))
    .bind(v.state.as_str())
    .bind(to_micros(v.due_at))
    .bind(to_micros(v.submitted_at))
    .bind(to_micros(v.updated_at))
    .bind(&v.organization.domain)
    .bind(v.partner_contact_email.clone())
    .bind(v.provider_contact_email.clone())
    .execute(&mut *conn)
    .await;
    match inserted {
        // A concurrent submission for the same organization won.
        Err(e) if is_unique_violation(&e) => Err(ValidationError::AlreadyOpen(String::new())),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Stores a review move only from the state it was read in; a concurrent move makes this
/// one refused.
async fn persist_review(conn: &mut AnyConnection, effects: &Effects, now: DateTime<Utc>) -> Result<()> {
    let v = &effects.validation;
    let moved = sqlx::query(
        "UPDATE customer_validations SET state = $1, due_at = $2, contact_note = $3, rejection_reason = $4, \
         reviewer = $5, validation_code = $6, decided_at = $7, updated_at = $8 WHERE id = $9 AND state = $10",
    )
    .bind(v.state.as_str())
    .bind(to_micros(v.due_at))
    .bind(v.contact_note.clone())
    .bind(v.rejection_reason.clone())
    .bind(v.reviewer.clone())
    .bind(v.validation_code.clone())
    .bind(v.decided_at.map(to_micros))
    .bind(to_micros(now))
    .bind(&v.id)
    .bind(effects.from.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(Refusal::TransitionNotAllowed { from: effects.from, action: effects.action }.into());
    }
    Ok(())
}

async fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    v: &CustomerValidation,
    code_expires: Option<DateTime<Utc>>,
) -> Result<()> {
    let target = CustomerValidationName::new(v.id.clone()).to_string();
    let mut detail = serde_json::json!({
        "partner": PartnerName::new(v.partner).to_string(),
        "state": v.state.as_str(),
        "contact_email": v.organization.contact_email,
        "validation_code": v.validation_code,
        "due_time": v.due_at.to_rfc3339(),
    });
    // What the e-mail notifications say and whom they go to (see `crate::notify`).
    if let Some(map) = detail.as_object_mut() {
        let text = |s: &str| serde_json::Value::String(s.to_owned());
        map.insert("transacting_partner".into(), text(&PartnerName::new(v.transacting).to_string()));
        map.insert("organization_name".into(), text(&v.organization.legal_name));
        map.insert("organization_domain".into(), text(&v.organization.domain));
        for (key, value) in [
            ("partner_contact_email", &v.partner_contact_email),
            ("provider_contact_email", &v.provider_contact_email),
            ("rejection_reason", &v.rejection_reason),
            ("contact_note", &v.contact_note),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_deref().map(|v| (key, v)))
        {
            map.insert(key.into(), text(value));
        }
        if let Some(at) = code_expires {
            map.insert("code_expire_time".into(), text(&at.to_rfc3339()));
        }
    }
    audit::record_change(conn, caller, to_micros(now), action, &target, &v.event_topic(), detail).await?;
    Ok(())
}

/// A page of customer validations for [`ValidationFilter`]: `$1` after, `$2` the partner
/// (or empty), `$3` the state (or empty), `$4` 1 for overdue only, `$5` the instant, `$6`
/// the page size. The leads pick an index to walk in id order, narrowed by the filter
/// that narrows most; the rest re-checks every filter.
pub fn list_sql(f: &ValidationFilter) -> String {
    let leads: &[&str] = match f {
        ValidationFilter { visible_to: Some(_), .. } => &["partner_tenant = $2", "transacting_tenant = $2"],
        ValidationFilter { state: Some(_), .. } => &["state = $3"],
        ValidationFilter { overdue_at: Some(_), .. } => &["state = 'PENDING_REVIEW'"],
        _ => &[],
    };
    paging::keyset_sql(
        "customer_validations",
        "id",
        leads,
        "AND ($2 = '' OR partner_tenant = $2 OR transacting_tenant = $2) AND ($3 = '' OR state = $3) \
         AND ($4 = 0 OR (state = 'PENDING_REVIEW' AND due_at < $5))",
        "$1",
        "$6",
    )
}
