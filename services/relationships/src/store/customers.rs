//! Customer accounts and relationships: create (R17), read as a managing partner,
//! the management check, and ending a relationship.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::db::is_unique_violation;
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::{CustomerName, PartnerName};
use gcc_platform::paging::Page;
use gcc_platform::time::to_micros;
use gcc_platform::{Caller, TenantId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::effects::persist;
use super::{Result, Store, corrupt, like_prefix, tenant, time};
use crate::domain::*;
use crate::error::RelationshipsError;

/// Which managed customers to list; prefixes already folded (name) and lower-cased
/// (domain), empty for any.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub name_prefix: String,
    pub domain_prefix: String,
}

/// Customers joined with the relationships through which `$1` manages them: directly
/// (`DIRECT` sorts first) or as the holder's indirect provider.
macro_rules! select_managed {
    ($where:literal, $tail:literal) => {
        concat!(
            "SELECT ",
            customer_columns!(),
            ", ",
            "MIN(CASE WHEN r.partner_tenant = $1 THEN 'DIRECT' ELSE 'INDIRECT_PROVIDER' END) AS management ",
            "FROM customers c JOIN relationships r ON r.customer_tenant = c.tenant_id ",
            "WHERE r.active = 1 AND (r.partner_tenant = $1 OR r.provider_tenant = $1) AND ",
            $where,
            " GROUP BY ",
            customer_columns!(),
            " ",
            $tail
        )
    };
}

impl Store {
    /// R17: creates a customer that the creating partner (and its provider) manages at once.
    #[tracing::instrument(skip_all, fields(tenant = %acting.tenant, resource = "customers", request_id = key.map(|k| k.request_id())), err)]
    pub async fn create_customer(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        acting: ActingPartner,
        profile: CompanyProfile,
        now: DateTime<Utc>,
    ) -> Result<(Customer, bool)> {
        let caller = caller.clone();
        idempotency::run(
            self.db(),
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<Customer>> {
                Box::pin(async move {
                    let effects = Customer::create(TenantId::random(), acting, profile, now);
                    persist(conn, &caller, now, &effects).await?;
                    effects.customer.ok_or_else(|| corrupt("customers").into())
                })
            },
        )
        .await
    }

    /// A customer as `partner` sees it, or `None` when it does not manage it.
    #[tracing::instrument(skip(self), fields(tenant = %partner, resource = %customer), err)]
    pub async fn managed_customer(
        &self,
        partner: TenantId,
        customer: TenantId,
    ) -> Result<Option<(Customer, ManagementKind)>> {
        let row = sqlx::query(select_managed!("c.tenant_id = $2", ""))
            .bind(partner.to_string())
            .bind(customer.to_string())
            .fetch_optional(self.db().reader())
            .await?;
        row.as_ref().map(managed_from_row).transpose()
    }

    /// The customers `partner` manages, in tenant-ID order (see [`list_customers_sql`]).
    ///
    /// [`list_customers_sql`]: super::list_customers_sql
    #[tracing::instrument(skip_all, fields(tenant = %partner, resource = "customers"), err)]
    pub async fn list_customers(
        &self,
        partner: TenantId,
        filter: &CustomerFilter,
        page: &Page,
    ) -> Result<Vec<(Customer, ManagementKind)>> {
        let rows = sqlx::query(super::pages::list_customers_sql())
            .bind(partner.to_string())
            .bind(&page.after)
            .bind(&filter.name_prefix)
            .bind(like_prefix(&filter.name_prefix))
            .bind(&filter.domain_prefix)
            .bind(like_prefix(&filter.domain_prefix))
            .bind(page.limit())
            .fetch_all(self.db().reader())
            .await?;
        rows.iter().map(managed_from_row).collect()
    }

    /// The active relationships through which `partner` may manage `customer` (its own
    /// first), with the customer's domain: one indexed read, the order gate's hot path.
    #[tracing::instrument(skip(self), fields(tenant = %partner, resource = %customer), err)]
    pub async fn management(&self, partner: TenantId, customer: TenantId) -> Result<Vec<(Management, String)>> {
        let rows = sqlx::query(
            "SELECT r.partner_tenant, r.provider_tenant, c.domain FROM relationships r \
             JOIN customers c ON c.tenant_id = r.customer_tenant \
             WHERE r.customer_tenant = $1 AND r.active = 1 AND (r.partner_tenant = $2 OR r.provider_tenant = $2) \
             ORDER BY CASE WHEN r.partner_tenant = $2 THEN 0 ELSE 1 END, r.partner_tenant LIMIT 64",
        )
        .bind(customer.to_string())
        .bind(partner.to_string())
        .fetch_all(self.db().reader())
        .await?;
        rows.iter()
            .map(|row| {
                let (holder, provider) = (tenant(row, "partner_tenant")?, super::opt_tenant(row, "provider_tenant")?);
                Ok((Management::of(partner, holder, provider), row.try_get("domain")?))
            })
            .collect()
    }

    /// Ends the active relationship of `partner` with `customer`.
    #[tracing::instrument(skip_all, fields(tenant = %partner, resource = %customer, request_id = key.map(|k| k.request_id())), err)]
    pub async fn revoke_relationship(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        partner: TenantId,
        customer: TenantId,
        now: DateTime<Utc>,
    ) -> Result<(Relationship, bool)> {
        let caller = caller.clone();
        idempotency::run(self.db(), key, to_micros(now), move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<Relationship>> {
            Box::pin(async move {
                let not_found = || RelationshipsError::RelationshipNotFound {
                    partner: PartnerName::new(partner).to_string(),
                    customer: CustomerName::new(customer).to_string(),
                };
                let row = sqlx::query(
                    "SELECT provider_tenant FROM relationships WHERE partner_tenant = $1 AND customer_tenant = $2 AND active = 1",
                )
                .bind(partner.to_string())
                .bind(customer.to_string())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(not_found)?;
                let provider = super::opt_tenant(&row, "provider_tenant")?;
                let effects = Relationship { partner, customer, provider, active: true }.end();
                if !persist(conn, &caller, now, &effects).await? {
                    return Err(not_found());
                }
                effects.relationship.ok_or_else(not_found)
            })
        })
        .await
    }

    #[tracing::instrument(skip(self), fields(resource = %tenant), err)]
    pub async fn customer(&self, tenant: TenantId) -> Result<Option<Customer>> {
        let mut conn = self.db().reader().acquire().await?;
        fetch_customer(&mut conn, tenant).await
    }
}

pub(super) async fn fetch_customer(conn: &mut AnyConnection, tenant: TenantId) -> Result<Option<Customer>> {
    let row = sqlx::query("SELECT * FROM customers WHERE tenant_id = $1")
        .bind(tenant.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(customer_from_row).transpose()
}

pub(super) async fn insert_customer(conn: &mut AnyConnection, c: &Customer) -> Result<()> {
    let p = &c.profile;
    let a = &p.postal_address;
    let lines = serde_json::to_string(&a.address_lines).map_err(|_| corrupt("address_lines"))?;
    let inserted = sqlx::query(
        "INSERT INTO customers (tenant_id, legal_name, name_key, domain, region_code, administrative_area, locality, \
         postal_code, address_lines, contact_email, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(c.tenant.to_string())
    .bind(&p.legal_name)
    .bind(p.name_key())
    .bind(p.domain.as_str())
    .bind(a.region_code.as_str())
    .bind(&a.administrative_area)
    .bind(&a.locality)
    .bind(&a.postal_code)
    .bind(lines)
    .bind(p.contact_email.as_str())
    .bind(to_micros(c.created_at))
    .bind(to_micros(c.updated_at))
    .execute(&mut *conn)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => Err(RelationshipsError::DomainTaken(p.domain.as_str().to_owned())),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Makes the relationship active (again), recording the partner's provider.
pub(super) async fn activate(conn: &mut AnyConnection, r: &Relationship, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO relationships (partner_tenant, customer_tenant, provider_tenant, active, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $4) \
         ON CONFLICT (partner_tenant, customer_tenant) \
         DO UPDATE SET active = 1, provider_tenant = excluded.provider_tenant, updated_at = excluded.updated_at",
    )
    .bind(r.partner.to_string())
    .bind(r.customer.to_string())
    .bind(r.provider.map(|p| p.to_string()))
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends a relationship while it is active; false when it no longer is.
pub(super) async fn end(conn: &mut AnyConnection, r: &Relationship, now: DateTime<Utc>) -> Result<bool> {
    let ended = sqlx::query(
        "UPDATE relationships SET active = 0, updated_at = $1 \
         WHERE partner_tenant = $2 AND customer_tenant = $3 AND active = 1",
    )
    .bind(to_micros(now))
    .bind(r.partner.to_string())
    .bind(r.customer.to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(ended == 1)
}

fn customer_from_row(row: &AnyRow) -> Result<Customer> {
    let lines: Vec<String> =
        serde_json::from_str(&row.try_get::<String, _>("address_lines")?).map_err(|_| corrupt("address_lines"))?;
    let parsed = |col: &str| -> Result<String> { Ok(row.try_get::<String, _>(col)?) };
    Ok(Customer {
        tenant: tenant(row, "tenant_id")?,
        profile: CompanyProfile {
            legal_name: parsed("legal_name")?,
            domain: DnsDomain::parse(&parsed("domain")?).ok_or_else(|| corrupt("domain"))?,
            postal_address: PostalAddress {
                region_code: RegionCode::parse(&parsed("region_code")?).ok_or_else(|| corrupt("region_code"))?,
                administrative_area: parsed("administrative_area")?,
                locality: parsed("locality")?,
                postal_code: parsed("postal_code")?,
                address_lines: lines,
            },
            contact_email: EmailAddress::parse(&parsed("contact_email")?).ok_or_else(|| corrupt("contact_email"))?,
        },
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn managed_from_row(row: &AnyRow) -> Result<(Customer, ManagementKind)> {
    let kind = ManagementKind::parse(&row.try_get::<String, _>("management")?).ok_or_else(|| corrupt("management"))?;
    Ok((customer_from_row(row)?, kind))
}
