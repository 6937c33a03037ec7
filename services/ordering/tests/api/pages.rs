//! A page of a list costs the same whatever the size of the table: each query walks an
//! index narrowed by an equality (the partner's, the provider's or the customer's) in id
//! order, never the whole table, the whole primary key, or all of a partner's rows
//! sorted.

use gcc_testkit::{Arg, unbounded_reads};
use ordering::store::{list_orders_sql, visible_page_sql};

use crate::helpers::TestApp;

const VIEWER: &str = "3c9e7a10-52d4-4f1b-8e2a-6b7c8d9e0f12";
const CUSTOMER: &str = "8f4c1d2e-1b7a-4a53-9a0e-2f1c3d4b5a69";

fn args(one_customer: bool) -> Vec<Arg> {
    let mut args = vec![Arg::Text("0195f0c2a1b27c3d8e9f0a1b2c3d4e5f"), Arg::Text(VIEWER)];
    if one_customer {
        args.push(Arg::Text(CUSTOMER));
    }
    args.push(Arg::Int(101));
    args
}

#[tokio::test]
async fn a_page_of_orders_or_subscriptions_reads_only_narrowed_indexes() {
    let app = TestApp::spawn().await;
    for one_customer in [false, true] {
        let reads = unbounded_reads(&app.db_url, &list_orders_sql(one_customer), &args(one_customer)).await;
        // (Lines are found by order, for the page's orders only.)
        assert!(!reads.iter().any(|r| r == "orders"), "orders, one customer: {one_customer}: {reads:?}");
        let sql = visible_page_sql("subscriptions", one_customer);
        let reads = unbounded_reads(&app.db_url, &sql, &args(one_customer)).await;
        assert!(!reads.iter().any(|r| r == "subscriptions"), "subscriptions, one customer: {one_customer}: {reads:?}");
    }
}

/// The check itself: the query these lists used before reads all of a partner's orders
/// (or the whole primary key) for one page.
#[tokio::test]
async fn the_check_sees_a_query_that_walks_the_whole_table() {
    let app = TestApp::spawn().await;
    let sql = "SELECT * FROM orders WHERE id > $1 AND (partner_tenant = $2 OR provider_tenant = $2) \
               AND ($3 = '' OR customer_tenant = $3) ORDER BY id LIMIT $4";
    let all_customers = [Arg::Text(""), Arg::Text(VIEWER), Arg::Text(""), Arg::Int(101)];
    let reads = unbounded_reads(&app.db_url, sql, &all_customers).await;
    assert!(reads.iter().any(|r| r == "orders"), "{reads:?}");
}
