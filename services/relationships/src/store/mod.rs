//! All SQL of relationships. Every change is one transaction that also writes its
//! idempotency record, audit entry and outbox event.

/// A customer's columns, as the customer lists and lookups read them (`c` is `customers`).
macro_rules! customer_columns {
    () => {
        "c.tenant_id, c.legal_name, c.domain, c.region_code, c.administrative_area, c.locality, \
         c.postal_code, c.address_lines, c.contact_email, c.created_at, c.updated_at"
    };
}

// After the macro, which the modules use.
mod acceptance;
mod customers;
mod effects;
mod events;
mod invitations;
mod pages;

use chrono::{DateTime, Utc};
use gcc_platform::Caller;
use gcc_platform::audit;
use gcc_platform::db::Db;
use gcc_platform::db::{corrupt_column as corrupt, opt_tenant_column as opt_tenant, tenant_column as tenant};
use gcc_platform::time::{from_micros, to_micros};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

pub use customers::CustomerFilter;
pub use events::CommittedChange;
pub use invitations::InvitationFilter;
pub use pages::list_customers_sql;

use crate::error::RelationshipsError;

type Result<T> = std::result::Result<T, RelationshipsError>;

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

/// One audit entry and its outbox event, in the change's transaction.
async fn record_change(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let topic = format!("gcc.relationships.v1.{action}");
    audit::record_change(conn, caller, to_micros(now), action, target, &topic, detail).await?;
    Ok(())
}

fn time(row: &AnyRow, col: &str) -> Result<DateTime<Utc>> {
    Ok(from_micros(row.try_get(col)?))
}

/// `%`, `_` and the escape character itself, escaped for `LIKE … ESCAPE '\'`.
fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
