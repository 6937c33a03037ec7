//! Partners: enrollment (R1, R1a), listing and who transacts for whom (R7).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::audit;
use gcc_platform::db::is_unique_violation;
use gcc_platform::db::{corrupt_column as corrupt, opt_tenant_column as opt_tenant, tenant_column as tenant};
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::PartnerName;
use gcc_platform::paging::Page;
use gcc_platform::time::{from_micros, to_micros};
use gcc_platform::{Caller, TenantId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::domain::*;
use crate::error::PartnerError;

use super::links;
use super::{Result, Store};

impl Store {
    /// R1: enrolls the caller's organization.
    #[tracing::instrument(name = "store.enroll", skip_all, fields(tenant = %caller.tenant), err(level = "info"))]
    pub async fn enroll(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        new: NewPartner,
        now: DateTime<Utc>,
    ) -> Result<((Partner, Option<ResellerLink>), bool)> {
        let caller = caller.clone();
        idempotency::run(&self.db, key, to_micros(now), move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<(Partner, Option<ResellerLink>)>> {
            Box::pin(async move {
                if fetch_partner(conn, caller.tenant).await?.is_some() {
                    return Err(PartnerError::AlreadyEnrolled);
                }
                if let Some(provider) = new.indirect_provider {
                    let ok = fetch_partner(conn, provider)
                        .await?
                        .is_some_and(|p| p.partner_type == PartnerType::IndirectProvider);
                    if !ok {
                        return Err(PartnerError::ProviderNotEnrolled(provider));
                    }
                }
                let named_provider = new.indirect_provider;
                let mut partner = new.into_partner(caller.tenant, now);
                let inserted = sqlx::query(
                    "INSERT INTO partners (tenant_id, legal_name, partner_type, azure_gcc_tenant_id, indirect_provider, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(partner.tenant.to_string())
                .bind(&partner.legal_name)
                .bind(partner.partner_type.as_str())
                .bind(partner.azure_gcc_tenant.map(|t| t.to_string()))
                .bind(partner.indirect_provider.map(|t| t.to_string()))
                .bind(to_micros(now))
                .bind(to_micros(now))
                .execute(&mut *conn)
                .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => return Err(PartnerError::AlreadyEnrolled),
                    other => other?,
                };
                let target = PartnerName::new(partner.tenant).to_string();
                let detail = serde_json::json!({ "partner_type": partner.partner_type.as_str(), "legal_name": partner.legal_name });
                audit::record_change(conn, &caller, to_micros(now), "partner.enroll", &target, "gcc.partner.v1.partner.enrolled", detail).await?;
                // R1a: naming a provider asks it for a link; the reseller transacts through
                // it only once the link is active.
                let link = match named_provider {
                    Some(provider) => Some(links::join_on_enroll(conn, &caller, provider, now).await?),
                    None => None,
                };
                partner.indirect_provider = link.as_ref().filter(|l| l.state == LinkState::Active).map(|l| l.provider);
                Ok((partner, link))
            })
        })
        .await
    }

    #[tracing::instrument(name = "store.partner", skip_all, fields(resource = %PartnerName::new(tenant)), err(level = "info"))]
    pub async fn partner(&self, tenant: TenantId) -> Result<Option<Partner>> {
        let mut conn = self.db.reader().acquire().await?;
        fetch_partner(&mut conn, tenant).await
    }

    /// Partners in tenant-ID order; `visible_to` limits them to a partner and its
    /// indirect resellers.
    #[tracing::instrument(name = "store.list_partners", skip_all, fields(visible_to = ?visible_to), err(level = "info"))]
    pub async fn list_partners(
        &self,
        visible_to: Option<TenantId>,
        partner_type: Option<PartnerType>,
        page: &Page,
    ) -> Result<Vec<Partner>> {
        let rows = sqlx::query(list_partners_sql(visible_to.is_some()))
            .bind(&page.after)
            .bind(visible_to.map(|t| t.to_string()).unwrap_or_default())
            .bind(partner_type.map(PartnerType::as_str).unwrap_or_default())
            .bind(page.limit())
            .fetch_all(self.db.reader())
            .await?;
        partners_from_rows(&rows)
    }

    /// Who transacts for `tenant` (R1a, R7): the partner and, for an indirect reseller,
    /// its current link and, while that link is active, its provider.
    #[tracing::instrument(name = "store.transacting_partner", skip_all, fields(resource = %PartnerName::new(tenant)), err(level = "info"))]
    pub async fn transacting_partner(&self, tenant: TenantId) -> Result<Option<TransactingPartner>> {
        let mut conn = self.db.reader().acquire().await?;
        let Some(partner) = fetch_partner(&mut conn, tenant).await? else {
            return Ok(None);
        };
        if partner.partner_type.is_direct_bill() {
            return Ok(Some(TransactingPartner::of(&partner, None, None)));
        }
        let link = links::current_link(&mut conn, tenant).await?;
        let provider = match link.as_ref().filter(|l| l.state == LinkState::Active) {
            Some(l) => fetch_partner(&mut conn, l.provider).await?,
            None => None,
        };
        Ok(Some(TransactingPartner::of(&partner, link.as_ref(), provider.as_ref())))
    }
}

/// The SQL of a page of partners: `$1` the tenant ID the page starts after, `$2` the
/// partner whose view it is (empty for reviewers, who see all), `$3` a partner type or
/// empty, `$4` the limit. A partner sees itself and the resellers whose active link names
/// it as provider: one branch for each, the resellers read from the index of active links
/// by provider, so a page costs the same however many partners and links the table holds.
/// An `OR` of the two would walk every partner in tenant order.
pub fn list_partners_sql(one_partners_view: bool) -> &'static str {
    const ALL: &str = select_partners!(
        "WHERE p.tenant_id > $1 AND $2 = '' AND ($3 = '' OR p.partner_type = $3) ORDER BY p.tenant_id LIMIT $4"
    );
    const ITSELF: &str = select_partners!(
        "WHERE p.tenant_id = $2 AND p.tenant_id > $1 AND ($3 = '' OR p.partner_type = $3) ORDER BY p.tenant_id LIMIT $4"
    );
    const RESELLERS: &str = concat!(
        "SELECT ",
        partner_columns!(),
        "x.provider_tenant AS active_provider FROM reseller_links x ",
        "JOIN partners p ON p.tenant_id = x.reseller_tenant ",
        "LEFT JOIN partner_qualifications q ON q.partner_tenant = p.tenant_id ",
        "WHERE x.provider_tenant = $2 AND x.state = 'ACTIVE' AND x.reseller_tenant > $1 ",
        "AND ($3 = '' OR p.partner_type = $3) ORDER BY x.reseller_tenant LIMIT $4"
    );
    static VISIBLE: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT * FROM (SELECT * FROM ({ITSELF}) b0 UNION ALL SELECT * FROM ({RESELLERS}) b1) u ORDER BY tenant_id LIMIT $4"
        )
    });
    if one_partners_view { &VISIBLE } else { ALL }
}

pub(super) async fn fetch_partner(conn: &mut AnyConnection, tenant: TenantId) -> Result<Option<Partner>> {
    let rows =
        sqlx::query(select_partners!("WHERE p.tenant_id = $1")).bind(tenant.to_string()).fetch_all(&mut *conn).await?;
    Ok(partners_from_rows(&rows)?.into_iter().next())
}

/// Rows of the partner join (ordered by tenant) grouped into partners.
fn partners_from_rows(rows: &[AnyRow]) -> Result<Vec<Partner>> {
    let mut out: Vec<Partner> = Vec::new();
    for row in rows {
        let tenant = tenant(row, "tenant_id")?;
        if out.last().is_none_or(|p| p.tenant != tenant) {
            out.push(Partner {
                tenant,
                legal_name: row.try_get("legal_name")?,
                partner_type: PartnerType::parse(&row.try_get::<String, _>("partner_type")?)
                    .ok_or_else(|| corrupt("partner_type"))?,
                azure_gcc_tenant: opt_tenant(row, "azure_gcc_tenant_id")?,
                // The provider of the active link, not the one named at enrollment (R1a).
                indirect_provider: opt_tenant(row, "active_provider")?,
                qualifications: Vec::new(),
                created_at: from_micros(row.try_get("created_at")?),
                updated_at: from_micros(row.try_get("updated_at")?),
            });
        }
        if let Some(name) = row.try_get::<Option<String>, _>("qualification")?
            && let Some(p) = out.last_mut()
        {
            p.qualifications.push(Qualification {
                name,
                validation_id: row.try_get::<Option<String>, _>("validation_id")?.unwrap_or_default(),
                granted_at: from_micros(row.try_get::<Option<i64>, _>("granted_at")?.unwrap_or(0)),
            });
        }
    }
    Ok(out)
}
