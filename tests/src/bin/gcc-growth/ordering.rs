//! ordering's lists, as the partner sees them: orders and subscriptions (all, and one
//! customer's) and the offers it can buy for a customer; and the bytes an order takes.
//! ListOffers is not here: it reads the catalog, a fixed table seeded by migration.

use std::time::Instant;

use futures::StreamExt;
use gcc_e2e::bulk;
use gcc_e2e::steps::{admin, order};
use gcc_proto::ordering as opb;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use tonic::transport::Channel;

use crate::World;
use crate::probe::{PAGE_SIZE, Probe, pages, single};

const SERVICE: &str = "ordering";

fn client(w: &World) -> OrderingServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", w.stack.addrs.ordering)).expect("an address");
    OrderingServiceClient::new(channel.connect_lazy())
}

pub fn probes(w: &World) -> Vec<Probe> {
    let c = client(w);
    let me = admin(w.partner);
    let customer = w.customer;
    vec![
        Probe::paged(
            SERVICE,
            "ListOrders (a partner's)",
            pages!(c, me, list_orders, |t| {
                opb::ListOrdersRequest { page_size: PAGE_SIZE, page_token: t, customer: String::new() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListOrders (a partner's, one customer)",
            pages!(c, me, list_orders, |t| {
                opb::ListOrdersRequest {
                    page_size: PAGE_SIZE,
                    page_token: t,
                    customer: format!("customers/{customer}"),
                }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListSubscriptions (a partner's)",
            pages!(c, me, list_subscriptions, |t| {
                opb::ListSubscriptionsRequest { page_size: PAGE_SIZE, page_token: t, customer: String::new() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListSubscriptions (a partner's, one customer)",
            pages!(c, me, list_subscriptions, |t| {
                opb::ListSubscriptionsRequest {
                    page_size: PAGE_SIZE,
                    page_token: t,
                    customer: format!("customers/{customer}"),
                }
            }),
        ),
        Probe::single(
            SERVICE,
            "ListPurchasableOffers (one customer)",
            single!(c, me, list_purchasable_offers, {
                opb::ListPurchasableOffersRequest { customer: format!("customers/{customer}") }
            }),
        ),
    ]
}

/// Adds `rows` orders, with their lines and subscriptions.
pub async fn grow(w: &World, rows: usize) -> anyhow::Result<()> {
    bulk::orders(w.database(SERVICE), rows, w.owner(w.partner, w.customer)).await
}

/// Places `orders` orders through PlaceOrder and prints the bytes each table grew by,
/// per order.
pub async fn bytes_per_order(w: &World, orders: usize) -> anyhow::Result<()> {
    let (client, token, url) = (client(w), admin(w.partner), w.database(SERVICE));
    let before = table_bytes(url).await?;
    let started = Instant::now();
    futures::stream::iter(0..orders)
        .map(|_| {
            let mut c = client.clone();
            let token = token.clone();
            async move {
                let req = order(w.customer, &[("o365-g3-gcc", 10)], &uuid::Uuid::new_v4().to_string());
                c.place_order(gcc_testkit::authed(req, &token)).await.map(|_| ())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), _>>()?;
    let placed_in = started.elapsed();
    let after = table_bytes(url).await?;
    println!(
        "{orders} orders placed through PlaceOrder in {:.1} s; bytes per order by table:",
        placed_in.as_secs_f64()
    );
    let mut total = 0i64;
    for (table, bytes) in &after {
        let grown = bytes - before.iter().find(|(t, _)| t == table).map_or(0, |(_, b)| *b);
        if grown > 0 {
            println!("  {table:<40} {:>8.0}", grown as f64 / orders as f64);
            total += grown;
        }
    }
    println!("  {:<40} {:>8.0}", "total", total as f64 / orders as f64);
    Ok(())
}

/// Bytes each table and its indexes take.
async fn table_bytes(url: &str) -> anyhow::Result<Vec<(String, i64)>> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(url).await?;
    let rows: Vec<(String, i64)> = if url.starts_with("sqlite") {
        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_all(&pool).await.map(|_: Vec<(i32, i32, i32)>| ())?;
        // Tables with their indexes: dbstat names each b-tree, sqlite_schema ties an
        // index to its table.
        sqlx::query_as(
            "SELECT s.tbl_name, CAST(SUM(d.pgsize) AS BIGINT) FROM dbstat d \
             JOIN sqlite_schema s ON s.name = d.name GROUP BY s.tbl_name ORDER BY s.tbl_name",
        )
        .fetch_all(&pool)
        .await?
    } else {
        sqlx::query_as(
            "SELECT c.relname::TEXT, pg_total_relation_size(c.oid)::BIGINT FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname",
        )
        .fetch_all(&pool)
        .await?
    };
    pool.close().await;
    Ok(rows)
}
