//! Orders: the atomic write of a placement (R18–R21) and the reads, which the ordering
//! partner and its indirect provider see.

use chrono::{DateTime, Utc};
use gcc_platform::audit::{self, AuditEntry};
use gcc_platform::db::{Statement, WriteBatch, opt_tenant_column as opt_tenant, tenant_column as tenant};
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::{CustomerName, OfferName, OrderName, PartnerName, SubscriptionName};
use gcc_platform::paging::Page;
use gcc_platform::time::{from_micros, to_micros};
use gcc_platform::{Caller, TenantId};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Result, Store, bind_visible, quantity, visible_page_sql};
use crate::domain::{Event, Order, OrderLine, Placement};

/// Orders joined with their lines (in line order), from `$from`, followed by `$rest`.
macro_rules! select_orders {
    ($from:literal, $rest:literal) => {
        concat!(
            "SELECT o.id, o.partner_tenant, o.provider_tenant, o.customer_tenant, o.placed_by, o.gcc_checked, ",
            "o.created_at, l.offer_id, l.quantity, l.subscription_id FROM ",
            $from,
            " o JOIN order_lines l ON l.order_id = o.id ",
            $rest
        )
    };
}

impl Store {
    /// The order a request with `key` already placed, before anyone is asked again; or
    /// REQUEST_ID_REUSED for another body.
    #[tracing::instrument(skip_all, fields(resource = "orders", request_id = key.request_id()), err)]
    pub async fn replay(&self, key: &IdempotencyKey) -> Result<Option<Order>> {
        Ok(idempotency::peek(&self.db, key).await?)
    }

    /// R18–R21: writes a placement (the order with its lines, one subscription per line,
    /// its audit entry and outbox event) and its idempotency record, all or nothing, in
    /// one round trip to the database. A retry (even a concurrent one) gets the first
    /// order back and writes nothing; the flag says whether this call placed it.
    #[tracing::instrument(
        skip_all,
        fields(tenant = %caller.tenant, resource = %placement.order.id, request_id = key.map(|k| k.request_id())),
        err
    )]
    pub async fn place(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        placement: Placement,
        now: DateTime<Utc>,
    ) -> Result<(Order, bool)> {
        let mut batch = rows(&placement);
        let at = to_micros(now);
        for event in &placement.events {
            record(&mut batch, caller, at, *event, &placement.order);
        }
        idempotency::apply(&self.db, key, at, batch, placement.order).await
    }

    #[tracing::instrument(skip(self), fields(resource = "orders"), err)]
    pub async fn order(&self, id: &str) -> Result<Option<Order>> {
        let rows = sqlx::query(select_orders!("orders", "WHERE o.id = $1 ORDER BY l.line_no"))
            .bind(id)
            .fetch_all(self.db.reader())
            .await?;
        Ok(orders_from_rows(&rows)?.pop())
    }

    /// Orders `viewer` placed or sees as the indirect provider, in id (creation) order.
    #[tracing::instrument(skip_all, fields(tenant = %viewer, resource = "orders"), err)]
    pub async fn list_orders(&self, viewer: TenantId, customer: Option<TenantId>, page: &Page) -> Result<Vec<Order>> {
        let sql = list_orders_sql(customer.is_some());
        let rows =
            bind_visible(sqlx::query(AssertSqlSafe(sql)), viewer, customer, page).fetch_all(self.db.reader()).await?;
        orders_from_rows(&rows)
    }
}

/// The order's row, and per subscription its row and its line's.
fn rows(placement: &Placement) -> WriteBatch {
    let order = &placement.order;
    let mut batch = WriteBatch::new();
    batch.push(
        Statement::new(
            "INSERT INTO orders (id, partner_tenant, provider_tenant, customer_tenant, placed_by, gcc_checked, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(order.id.clone())
        .bind(order.partner.to_string())
        .bind(order.provider.map(|t| t.to_string()))
        .bind(order.customer.to_string())
        .bind(order.placed_by.clone())
        .bind(i32::from(order.gcc_checked))
        .bind(to_micros(order.created_at)),
    );
    for (line_no, s) in placement.subscriptions.iter().enumerate() {
        batch.push(
            Statement::new(
                "INSERT INTO subscriptions (id, order_id, partner_tenant, provider_tenant, customer_tenant, offer_id, quantity, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(s.id.clone())
            .bind(s.order.clone())
            .bind(s.partner.to_string())
            .bind(s.provider.map(|t| t.to_string()))
            .bind(s.customer.to_string())
            .bind(s.offer.clone())
            .bind(i64::from(s.quantity.get()))
            .bind(to_micros(s.created_at)),
        );
        batch.push(
            Statement::new(
                "INSERT INTO order_lines (order_id, line_no, offer_id, quantity, subscription_id) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(order.id.clone())
            .bind(line_no as i64)
            .bind(s.offer.clone())
            .bind(i64::from(s.quantity.get()))
            .bind(s.id.clone()),
        );
    }
    batch
}

/// The outbox event and audit entry of `event`.
fn record(batch: &mut WriteBatch, caller: &Caller, at: i64, event: Event, order: &Order) {
    match event {
        Event::Placed => {
            let target = OrderName::new(order.id.clone()).to_string();
            let detail = serde_json::json!({
                "customer": CustomerName::new(order.customer).to_string(),
                "partner": PartnerName::new(order.partner).to_string(),
                "indirect_provider": order.provider.map(|p| PartnerName::new(p).to_string()),
                "lines": order.lines.iter().map(|l| serde_json::json!({
                    "offer": OfferName::new(l.offer.clone()).to_string(),
                    "quantity": l.quantity.get(),
                    "subscription": SubscriptionName::new(l.subscription.clone()).to_string(),
                })).collect::<Vec<_>>(),
                "gcc_checked": order.gcc_checked,
            });
            // The audit keeps who placed what for whom, and whether the gate was asked: the
            // lines as `offer×quantity`. The subscriptions' IDs and the partner (the actor's
            // tenant) are in the order's own rows, which are never changed or deleted.
            let audited = serde_json::json!({
                "customer": order.customer.to_string(),
                "indirect_provider": order.provider.map(|p| p.to_string()),
                "lines": order.lines.iter().map(|l| format!("{}×{}", l.offer, l.quantity.get())).collect::<Vec<_>>(),
                "gcc_checked": order.gcc_checked,
            });
            batch.push(audit::event_statement(at, "gcc.ordering.v1.order.placed", &target, &detail));
            batch.push(audit::entry_statement(
                caller,
                at,
                AuditEntry { action: "order.place", target: &target, outcome: "ok", detail: audited },
            ));
        }
    }
}

/// A page of orders with their lines: see [`visible_page_sql`] for the placeholders.
pub fn list_orders_sql(one_customer: bool) -> String {
    format!(select_orders!("({})", "ORDER BY o.id, l.line_no"), visible_page_sql("orders", one_customer))
}

/// Rows of the order join (ordered by order, then line) grouped into orders.
fn orders_from_rows(rows: &[AnyRow]) -> Result<Vec<Order>> {
    let mut out: Vec<Order> = Vec::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        if out.last().is_none_or(|o| o.id != id) {
            out.push(Order {
                id,
                partner: tenant(row, "partner_tenant")?,
                provider: opt_tenant(row, "provider_tenant")?,
                customer: tenant(row, "customer_tenant")?,
                lines: Vec::new(),
                placed_by: row.try_get("placed_by")?,
                gcc_checked: row.try_get::<i32, _>("gcc_checked")? != 0,
                created_at: from_micros(row.try_get("created_at")?),
            });
        }
        if let Some(order) = out.last_mut() {
            order.lines.push(OrderLine {
                offer: row.try_get("offer_id")?,
                quantity: quantity(row)?,
                subscription: row.try_get("subscription_id")?,
            });
        }
    }
    Ok(out)
}
