//! All SQL of ordering, by resource: the catalog (`offers`), orders (`orders`, one atomic
//! write of an order's lines, subscriptions, idempotency record, audit entry and outbox
//! event) and subscriptions (`subscriptions`).

mod offers;
mod orders;
mod subscriptions;

use gcc_platform::TenantId;
use gcc_platform::db::{Db, corrupt_column as corrupt};
use gcc_platform::paging::{self, Page};
use sqlx::Row;
use sqlx::any::AnyRow;

pub use orders::list_orders_sql;

use crate::domain::Quantity;
use crate::error::OrderingError;

type Result<T> = std::result::Result<T, OrderingError>;

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

/// Binds the placeholders of [`visible_page_sql`].
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

fn quantity(row: &AnyRow) -> Result<Quantity> {
    let n: i64 = row.try_get("quantity")?;
    i32::try_from(n).ok().and_then(Quantity::parse).ok_or_else(|| corrupt("quantity").into())
}
