//! Validation codes and the special qualifications they grant (R10, R12).

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::audit;
use gcc_platform::db::is_unique_violation;
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::{CustomerName, PartnerName, ValidationCodeName};
use gcc_platform::paging::{self, Page};
use gcc_platform::time::{from_micros, to_micros};
use gcc_platform::{Caller, TenantId};
use sqlx::{AnyConnection, Row};

use crate::domain::*;
use crate::error::ValidationError;

use super::rows::code_from_row;
use super::{Result, Store};

impl Store {
    /// Codes the partner may pick (R10, R12), in code order.
    #[tracing::instrument(name = "store.codes", skip_all, fields(partner = %PartnerName::new(partner)), err(level = "info"))]
    pub async fn codes(
        &self,
        partner: TenantId,
        include_spent: bool,
        now: DateTime<Utc>,
        page: &Page,
    ) -> Result<Vec<ValidationCode>> {
        let rows = sqlx::query(codes_sql())
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
    #[tracing::instrument(name = "store.apply_code", skip_all, fields(tenant = %caller.tenant, customer = %CustomerName::new(customer.0)), err(level = "info"))]
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
                        .ok_or_else(|| {
                            ValidationError::CodeNotFound(ValidationCodeName::new(code.clone()).to_string())
                        })?;
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

    #[tracing::instrument(name = "store.special_qualification", skip_all, fields(resource = %CustomerName::new(customer)), err(level = "info"))]
    pub async fn special_qualification(&self, customer: TenantId) -> Result<Option<SpecialQualification>> {
        let mut conn = self.db.reader().acquire().await?;
        qualification(&mut conn, customer).await
    }
}

/// A page of the codes `$2` may pick: `$1` after, `$3` 1 to include spent and expired
/// ones, `$4` the page size, `$5` the instant. Either side's index, walked in code order
/// (an `OR` of the two sides in one `WHERE` would scan the table). Built once.
pub fn codes_sql() -> &'static str {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        paging::keyset_sql(
            "validation_codes",
            "code",
            &["partner_tenant = $2", "transacting_tenant = $2"],
            "AND ($3 = 1 OR (remaining_uses > 0 AND (expires_at IS NULL OR expires_at > $5)))",
            "$1",
            "$4",
        )
    });
    &SQL
}

pub(super) async fn issue_code(
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
pub(super) async fn grant(
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
    let target = CustomerName::new(customer).to_string();
    let detail = serde_json::json!({ "validation_code": q.validation_code, "validation": q.validation_id });
    let topic = "gcc.validation.v1.special_qualification.granted";
    audit::record_change(conn, caller, to_micros(now), "validation_code.apply", &target, topic, detail).await?;
    Ok(q)
}

pub(super) async fn qualification(
    conn: &mut AnyConnection,
    customer: TenantId,
) -> Result<Option<SpecialQualification>> {
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
