//! All SQL of customer-validation. Each change commits with its idempotency record,
//! audit entry and outbox event.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::audit;
use gcc_platform::db::{Db, is_unique_violation};
use gcc_platform::db::{corrupt_column as corrupt, tenant_column as tenant};
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::paging::{self, Page};
use gcc_platform::time::{from_micros, to_micros};
use gcc_platform::{Caller, TenantId, ids::new_id};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::domain::*;
use crate::error::ValidationError;

type Result<T> = std::result::Result<T, ValidationError>;

/// Which validations to list.
#[derive(Debug, Clone, Default)]
pub struct ValidationFilter {
    /// Only those this partner submitted or transacts for.
    pub visible_to: Option<TenantId>,
    pub state: Option<ValidationState>,
    pub overdue_at: Option<DateTime<Utc>>,
}

/// A reviewer's move on one validation.
#[derive(Debug, Clone)]
pub struct Move {
    pub id: String,
    pub transition: Transition,
    /// The due time if it goes back to review.
    pub due: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

impl Store {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn submit(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        new: NewValidation,
        now: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> Result<(CustomerValidation, bool)> {
        let caller = caller.clone();
        idempotency::run(&self.db, key, to_micros(now), move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<CustomerValidation>> {
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
                let v = CustomerValidation {
                    id: new_id(),
                    partner: new.partner,
                    transacting: new.transacting,
                    organization: new.organization,
                    eligibility: new.eligibility,
                    customer: new.customer,
                    state: ValidationState::PendingReview,
                    due_at: due,
                    contact_note: None,
                    rejection_reason: None,
                    reviewer: None,
                    validation_code: None,
                    submitted_at: now,
                    decided_at: None,
                    updated_at: now,
                    partner_contact_email: new.partner_contact_email,
                    provider_contact_email: new.provider_contact_email,
                };
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
                .bind(to_micros(now))
                .bind(to_micros(now))
                .bind(&v.organization.domain)
                .bind(v.partner_contact_email.clone())
                .bind(v.provider_contact_email.clone())
                .execute(&mut *conn)
                .await;
                match inserted {
                    // A concurrent submission for the same organization won.
                    Err(e) if is_unique_violation(&e) => return Err(ValidationError::AlreadyOpen(String::new())),
                    other => other?,
                };
                record(conn, &caller, now, "customer_validation.submit", &v, None).await?;
                Ok(v)
            })
        })
        .await
    }

    pub async fn validation(&self, id: &str) -> Result<Option<CustomerValidation>> {
        let row = sqlx::query("SELECT * FROM customer_validations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(validation_from_row).transpose()
    }

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
                    let v = row
                        .as_ref()
                        .map(validation_from_row)
                        .transpose()?
                        .ok_or_else(|| ValidationError::ValidationNotFound(format!("customerValidations/{id}")))?;
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

    /// Codes the partner may pick (R10, R12), in code order.
    pub async fn codes(
        &self,
        partner: TenantId,
        include_spent: bool,
        now: DateTime<Utc>,
        page: &Page,
    ) -> Result<Vec<ValidationCode>> {
        let rows = sqlx::query(
            "SELECT * FROM validation_codes WHERE code > $1 AND (partner_tenant = $2 OR transacting_tenant = $2) \
             AND ($3 = 1 OR (remaining_uses > 0 AND (expires_at IS NULL OR expires_at > $5))) ORDER BY code LIMIT $4",
        )
        .bind(&page.after)
        .bind(partner.to_string())
        .bind(i64::from(include_spent))
        .bind(page.limit())
        .bind(to_micros(now))
        .fetch_all(self.db.reader())
        .await?;
        rows.iter().map(code_from_row).collect()
    }

    /// R12: takes one use of `code`, atomically, and qualifies `customer`, whose domain
    /// is `customer_domain`.
    pub async fn apply_code(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        code: String,
        customer: (TenantId, String),
        now: DateTime<Utc>,
    ) -> Result<(SpecialQualification, bool)> {
        let caller = caller.clone();
        idempotency::run(
            &self.db,
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<SpecialQualification>> {
                Box::pin(async move {
                    let (customer, domain) = customer;
                    let row = sqlx::query("SELECT * FROM validation_codes WHERE code = $1")
                        .bind(&code)
                        .fetch_optional(&mut *conn)
                        .await?;
                    let vc = row
                        .as_ref()
                        .map(code_from_row)
                        .transpose()?
                        .filter(|c| c.visible_to(caller.tenant))
                        .ok_or_else(|| ValidationError::CodeNotFound(format!("validationCodes/{code}")))?;
                    vc.check_use(&domain, now)?;
                    if qualification(conn, customer).await?.is_some() {
                        return Err(ValidationError::AlreadyQualified(customer));
                    }
                    let q = grant(conn, &caller, &vc.code, &vc.validation_id, customer, now).await?;
                    Ok(q)
                })
            },
        )
        .await
    }

    pub async fn special_qualification(&self, customer: TenantId) -> Result<Option<SpecialQualification>> {
        let mut conn = self.db.reader().acquire().await?;
        qualification(&mut conn, customer).await
    }

    /// The gate's local facts: whether the customer holds GCC, and whether one of its
    /// validations is under review. One round trip.
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

async fn issue_code(
    conn: &mut AnyConnection,
    v: &CustomerValidation,
    uses: i32,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<String> {
    // A collision of 60 random bits is unlikely; try again rather than fail if it happens.
    for _ in 0..3 {
        let code = ValidationCode::generate();
        let inserted = sqlx::query(
            "INSERT INTO validation_codes (code, validation_id, partner_tenant, transacting_tenant, organization_name, \
             organization_domain, total_uses, remaining_uses, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) \
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(&code)
        .bind(&v.id)
        .bind(v.partner.to_string())
        .bind(v.transacting.to_string())
        .bind(&v.organization.legal_name)
        .bind(&v.organization.domain)
        .bind(i64::from(uses))
        .bind(to_micros(now))
        .bind(to_micros(expires_at))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(code);
        }
    }
    Err(ValidationError::Problem(gcc_platform::Problem::internal()))
}

/// Takes one use of `code` (only if one is left, in the same statement) and gives
/// `customer` the special qualification, with its audit entry and event.
async fn grant(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &str,
    validation_id: &str,
    customer: TenantId,
    now: DateTime<Utc>,
) -> Result<SpecialQualification> {
    let taken = sqlx::query(
        "UPDATE validation_codes SET remaining_uses = remaining_uses - 1 WHERE code = $1 AND remaining_uses > 0",
    )
    .bind(code)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if taken != 1 {
        return Err(Refusal::CodeSpent { code: code.to_owned() }.into());
    }
    let q = SpecialQualification {
        customer,
        validation_code: code.to_owned(),
        validation_id: validation_id.to_owned(),
        granted_at: now,
    };
    let inserted = sqlx::query(
        "INSERT INTO special_qualifications (customer_tenant, validation_code, validation_id, granted_by, granted_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(customer.to_string())
    .bind(&q.validation_code)
    .bind(&q.validation_id)
    .bind(caller.tenant.to_string())
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => return Err(ValidationError::AlreadyQualified(customer)),
        other => other?,
    };
    let target = format!("customers/{customer}");
    let detail = serde_json::json!({ "validation_code": q.validation_code, "validation": q.validation_id });
    let topic = "gcc.validation.v1.special_qualification.granted";
    audit::record_change(conn, caller, to_micros(now), "validation_code.apply", &target, topic, detail).await?;
    Ok(q)
}

async fn qualification(conn: &mut AnyConnection, customer: TenantId) -> Result<Option<SpecialQualification>> {
    let row = sqlx::query("SELECT * FROM special_qualifications WHERE customer_tenant = $1")
        .bind(customer.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(SpecialQualification {
            customer,
            validation_code: r.try_get("validation_code")?,
            validation_id: r.try_get("validation_id")?,
            granted_at: from_micros(r.try_get("granted_at")?),
        })
    })
    .transpose()
}

async fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    v: &CustomerValidation,
    code_expires: Option<DateTime<Utc>>,
) -> Result<()> {
    let target = format!("customerValidations/{}", v.id);
    let mut detail = serde_json::json!({
        "partner": format!("partners/{}", v.partner),
        "state": v.state.as_str(),
        "contact_email": v.organization.contact_email,
        "validation_code": v.validation_code,
        "due_time": v.due_at.to_rfc3339(),
    });
    // What the e-mail notifications say and whom they go to (see `crate::notify`).
    if let Some(map) = detail.as_object_mut() {
        let text = |s: &str| serde_json::Value::String(s.to_owned());
        map.insert("transacting_partner".into(), text(&format!("partners/{}", v.transacting)));
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

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn decode_json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    Ok(serde_json::from_str(&row.try_get::<String, _>(col)?).map_err(|_| corrupt(col))?)
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

fn validation_from_row(row: &AnyRow) -> Result<CustomerValidation> {
    Ok(CustomerValidation {
        id: row.try_get("id")?,
        partner: tenant(row, "partner_tenant")?,
        transacting: tenant(row, "transacting_tenant")?,
        customer: row
            .try_get::<Option<String>, _>("customer_tenant")?
            .map(|s| TenantId::parse(&s))
            .transpose()
            .map_err(|_| corrupt("customer_tenant"))?,
        organization: decode_json(row, "organization")?,
        eligibility: decode_json(row, "eligibility")?,
        state: ValidationState::parse(&row.try_get::<String, _>("state")?).ok_or_else(|| corrupt("state"))?,
        due_at: from_micros(row.try_get("due_at")?),
        contact_note: row.try_get("contact_note")?,
        rejection_reason: row.try_get("rejection_reason")?,
        reviewer: row.try_get("reviewer")?,
        validation_code: row.try_get("validation_code")?,
        submitted_at: from_micros(row.try_get("submitted_at")?),
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_micros),
        updated_at: from_micros(row.try_get("updated_at")?),
        partner_contact_email: row.try_get("partner_contact_email")?,
        provider_contact_email: row.try_get("provider_contact_email")?,
    })
}

fn code_from_row(row: &AnyRow) -> Result<ValidationCode> {
    Ok(ValidationCode {
        code: row.try_get("code")?,
        validation_id: row.try_get("validation_id")?,
        partner: tenant(row, "partner_tenant")?,
        transacting: tenant(row, "transacting_tenant")?,
        organization_name: row.try_get("organization_name")?,
        organization_domain: row.try_get("organization_domain")?,
        total_uses: i32::try_from(row.try_get::<i64, _>("total_uses")?).map_err(|_| corrupt("total_uses"))?,
        remaining_uses: i32::try_from(row.try_get::<i64, _>("remaining_uses")?)
            .map_err(|_| corrupt("remaining_uses"))?,
        created_at: from_micros(row.try_get("created_at")?),
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(from_micros),
    })
}
