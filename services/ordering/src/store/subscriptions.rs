//! Subscriptions, one per order line, which the ordering partner and its indirect
//! provider see.

use gcc_platform::TenantId;
use gcc_platform::db::{opt_tenant_column as opt_tenant, tenant_column as tenant};
use gcc_platform::paging::Page;
use gcc_platform::time::from_micros;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Result, Store, bind_visible, quantity, visible_page_sql};
use crate::domain::Subscription;

impl Store {
    /// Subscriptions `viewer` owns or sees as the indirect provider, in id order.
    #[tracing::instrument(skip_all, fields(tenant = %viewer, resource = "subscriptions"), err)]
    pub async fn list_subscriptions(
        &self,
        viewer: TenantId,
        customer: Option<TenantId>,
        page: &Page,
    ) -> Result<Vec<Subscription>> {
        let sql = visible_page_sql("subscriptions", customer.is_some());
        let rows =
            bind_visible(sqlx::query(AssertSqlSafe(sql)), viewer, customer, page).fetch_all(self.db.reader()).await?;
        rows.iter().map(subscription_from_row).collect()
    }
}

fn subscription_from_row(row: &AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        id: row.try_get("id")?,
        order: row.try_get("order_id")?,
        partner: tenant(row, "partner_tenant")?,
        provider: opt_tenant(row, "provider_tenant")?,
        customer: tenant(row, "customer_tenant")?,
        offer: row.try_get("offer_id")?,
        quantity: quantity(row)?,
        created_at: from_micros(row.try_get("created_at")?),
    })
}
