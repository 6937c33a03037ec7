//! All SQL of ordering. An order is one atomic write of its lines, one subscription per
//! line, its idempotency record, audit entry and outbox event.

use chrono::{DateTime, Utc};
use gcc_platform::audit::{self, AuditEntry};
use gcc_platform::db::{
    Db, Statement, WriteBatch, corrupt_column as corrupt, opt_tenant_column as opt_tenant, tenant_column as tenant,
};
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::paging::{self, Page};
use gcc_platform::time::{from_micros, to_micros};
use gcc_platform::{Caller, TenantId};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::domain::*;
use crate::error::OrderingError;

type Result<T> = std::result::Result<T, OrderingError>;

#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

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
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The whole catalog (R21).
    pub async fn catalog(&self) -> Result<Catalog> {
        let rows = sqlx::query("SELECT * FROM offers ORDER BY id").fetch_all(self.db.reader()).await?;
        Ok(Catalog::new(rows.iter().map(offer_from_row).collect::<Result<Vec<_>>>()?))
    }

    /// Offers in id order, filtered by segment and family.
    pub async fn list_offers(
        &self,
        segment: Option<Segment>,
        family: Option<OfferFamily>,
        page: &Page,
    ) -> Result<Vec<Offer>> {
        let rows = sqlx::query(
            "SELECT * FROM offers WHERE id > $1 AND ($2 = '' OR segment = $2) AND ($3 = '' OR family = $3) \
             ORDER BY id LIMIT $4",
        )
        .bind(&page.after)
        .bind(segment.map(Segment::as_str).unwrap_or_default())
        .bind(family.map(OfferFamily::as_str).unwrap_or_default())
        .bind(page.limit())
        .fetch_all(self.db.reader())
        .await?;
        rows.iter().map(offer_from_row).collect()
    }

    /// The order a request with `key` already placed, before anyone is asked again; or
    /// REQUEST_ID_REUSED for another body.
    pub async fn replay(&self, key: &IdempotencyKey) -> Result<Option<Order>> {
        Ok(idempotency::peek(&self.db, key).await?)
    }

    /// R18–R21: writes a placed order with its lines, one subscription per line, its
    /// audit entry, outbox event and idempotency record, all or nothing, in one round trip
    /// to the database. A retry (even a concurrent one) gets the first order back and
    /// writes nothing; the flag says whether this call placed it.
    pub async fn place(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        order: Order,
        now: DateTime<Utc>,
    ) -> Result<(Order, bool)> {
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
        for (line_no, s) in order.subscriptions().enumerate() {
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
                .bind(s.offer)
                .bind(i64::from(s.quantity.get()))
                .bind(s.id),
            );
        }
        let target = format!("orders/{}", order.id);
        let detail = serde_json::json!({
            "customer": format!("customers/{}", order.customer),
            "partner": format!("partners/{}", order.partner),
            "indirect_provider": order.provider.map(|p| format!("partners/{p}")),
            "lines": order.lines.iter().map(|l| serde_json::json!({
                "offer": format!("offers/{}", l.offer),
                "quantity": l.quantity.get(),
                "subscription": format!("subscriptions/{}", l.subscription),
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
        let at = to_micros(now);
        batch.push(audit::event_statement(at, "gcc.ordering.v1.order.placed", &target, &detail));
        batch.push(audit::entry_statement(
            caller,
            at,
            AuditEntry { action: "order.place", target: &target, outcome: "ok", detail: audited },
        ));
        idempotency::apply(&self.db, key, at, batch, order).await
    }

    pub async fn order(&self, id: &str) -> Result<Option<Order>> {
        let rows = sqlx::query(select_orders!("orders", "WHERE o.id = $1 ORDER BY l.line_no"))
            .bind(id)
            .fetch_all(self.db.reader())
            .await?;
        Ok(orders_from_rows(&rows)?.pop())
    }

    /// Orders `viewer` placed or sees as the indirect provider, in id (creation) order.
    pub async fn list_orders(&self, viewer: TenantId, customer: Option<TenantId>, page: &Page) -> Result<Vec<Order>> {
        let sql = list_orders_sql(customer.is_some());
        let rows =
            bind_visible(sqlx::query(AssertSqlSafe(sql)), viewer, customer, page).fetch_all(self.db.reader()).await?;
        orders_from_rows(&rows)
    }

    /// Subscriptions `viewer` owns or sees as the indirect provider, in id order.
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

/// A page of orders with their lines: see [`visible_page_sql`] for the placeholders.
pub fn list_orders_sql(one_customer: bool) -> String {
    format!(select_orders!("({})", "ORDER BY o.id, l.line_no"), visible_page_sql("orders", one_customer))
}

/// One page of `table` (orders or subscriptions) as `$2` sees it: rows it placed or sees
/// as the indirect provider, after `$1`, optionally of one customer (`$3`). Each branch
/// walks one index in id order, so a page costs the same at any table size: the
/// partner's and the provider's indexes without a customer, the customer's with one (a
/// customer has few partners). The page size is the last placeholder: `$4` with a
/// customer, `$3` without.
pub fn visible_page_sql(table: &str, one_customer: bool) -> String {
    if one_customer {
        paging::keyset_sql(
            table,
            "id",
            &["customer_tenant = $3"],
            "AND (partner_tenant = $2 OR provider_tenant = $2)",
            "$1",
            "$4",
        )
    } else {
        paging::keyset_sql(table, "id", &["partner_tenant = $2", "provider_tenant = $2"], "", "$1", "$3")
    }
}

fn bind_visible<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    viewer: TenantId,
    customer: Option<TenantId>,
    page: &Page,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let query = query.bind(page.after.clone()).bind(viewer.to_string());
    match customer {
        Some(c) => query.bind(c.to_string()).bind(page.limit()),
        None => query.bind(page.limit()),
    }
}

fn offer_from_row(row: &AnyRow) -> Result<Offer> {
    Ok(Offer {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        family: OfferFamily::parse(&row.try_get::<String, _>("family")?).ok_or_else(|| corrupt("family"))?,
        segment: Segment::parse(&row.try_get::<String, _>("segment")?).ok_or_else(|| corrupt("segment"))?,
        requires_gcc: row.try_get::<i32, _>("requires_gcc")? != 0,
    })
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

fn quantity(row: &AnyRow) -> Result<Quantity> {
    let n: i64 = row.try_get("quantity")?;
    i32::try_from(n).ok().and_then(Quantity::parse).ok_or_else(|| corrupt("quantity").into())
}
