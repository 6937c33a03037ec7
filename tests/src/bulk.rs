//! Orders written straight into ordering's tables (its order, line and subscription rows,
//! as `PlaceOrder` writes them), for data at a scale the public RPCs would take too long to
//! reach: a million orders through `PlaceOrder` take minutes, and the list and gate queries
//! read only these tables. No idempotency record, audit entry or outbox event is written.

use sqlx::AssertSqlSafe;
use sqlx::any::AnyPoolOptions;

/// Rows per multi-row insert.
const BATCH: usize = 500;

/// Adds `rows` orders, one GCC line and one subscription each; `owner(i)` gives the
/// `i`th order's partner and customer tenant IDs.
pub async fn orders(url: &str, rows: usize, owner: impl Fn(usize) -> (String, String)) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(1).connect(url).await?;
    let now = gcc_platform::time::to_micros(chrono::Utc::now());
    let mut done = 0;
    while done < rows {
        let n = BATCH.min(rows - done);
        let batch: Vec<Row> = (done..done + n)
            .map(|i| {
                let (partner, customer) = owner(i);
                Row { order: gcc_platform::ids::new_id(), subscription: gcc_platform::ids::new_id(), partner, customer }
            })
            .collect();
        let mut tx = pool.begin().await?;
        let sql = insert("orders (id, partner_tenant, customer_tenant, placed_by, gcc_checked, created_at)", 6, n);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in &batch {
            q = q
                .bind(r.order.clone())
                .bind(r.partner.clone())
                .bind(r.customer.clone())
                .bind("bulk")
                .bind(1i32)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        let cols = "subscriptions (id, order_id, partner_tenant, customer_tenant, offer_id, quantity, created_at)";
        let mut q = sqlx::query(AssertSqlSafe(insert(cols, 7, n)));
        for r in &batch {
            q = q
                .bind(r.subscription.clone())
                .bind(r.order.clone())
                .bind(r.partner.clone())
                .bind(r.customer.clone())
                .bind(OFFER)
                .bind(10i64)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        let cols = "order_lines (order_id, line_no, offer_id, quantity, subscription_id)";
        let mut q = sqlx::query(AssertSqlSafe(insert(cols, 5, n)));
        for r in &batch {
            q = q.bind(r.order.clone()).bind(0i64).bind(OFFER).bind(10i64).bind(r.subscription.clone());
        }
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        done += n;
    }
    if url.starts_with("postgres") {
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    pool.close().await;
    Ok(())
}

const OFFER: &str = "o365-g3-gcc";

struct Row {
    order: String,
    subscription: String,
    partner: String,
    customer: String,
}

/// `INSERT INTO <table_and_columns> VALUES ($1, …), …` for `rows` rows of `cols` values.
fn insert(table_and_columns: &str, cols: usize, rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let ps: Vec<String> = (1..=cols).map(|k| format!("${}", r * cols + k)).collect();
            format!("({})", ps.join(", "))
        })
        .collect();
    format!("INSERT INTO {table_and_columns} VALUES {}", values.join(", "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(super::insert("t (a, b)", 2, 2), "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }
}
