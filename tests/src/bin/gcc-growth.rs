//! `gcc-growth`: what an order costs on disk, and whether a page of a list costs the same
//! with a large table as with an empty one.
//!
//!     cargo run --release -p gcc-e2e --bin gcc-growth
//!     cargo run --release -p gcc-e2e --bin gcc-growth -- --postgres postgres://postgres@127.0.0.1:5432/postgres
//!
//! 1. Places `--orders` orders through `PlaceOrder` (the real write path: order, line,
//!    subscription, idempotency record, audit entry, outbox event) and prints the bytes
//!    each table holds per order.
//! 2. Times the list RPCs (first page, and a page deep into the list), then adds
//!    `--rows` orders with their lines and subscriptions straight into ordering's tables
//!    (`gcc_e2e::bulk`: through `PlaceOrder` a million orders would take minutes; the list queries read
//!    only these three tables), half of them the measured partner's and customer's, the
//!    rest spread over `--partners` other partners, and times the same calls again.

use std::time::Instant;

use clap::Parser;
use futures::StreamExt;
use gcc_e2e::steps::{admin, order};
use gcc_e2e::{Options, Stack};
use gcc_platform::TenantId;
use gcc_proto::ordering as opb;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use sqlx::any::AnyPoolOptions;
use tonic::transport::Channel;

gcc_platform::server_allocator!();

#[derive(Debug, Parser)]
struct Args {
    /// A PostgreSQL server URL (a new database per service); SQLite files otherwise.
    #[arg(long)]
    postgres: Option<String>,
    /// Orders placed through PlaceOrder, for the bytes per order.
    #[arg(long, default_value_t = 5_000)]
    orders: usize,
    /// Orders then added straight into the tables, for the list timings.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Other partners the added orders are spread over.
    #[arg(long, default_value_t = 1_000)]
    partners: usize,
    /// Calls per timing (the median is printed).
    #[arg(long, default_value_t = 20)]
    samples: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let options = Options {
        postgres: args.postgres.clone(),
        ordering_args: vec!["--concurrency-limit".into(), "4096".into()],
        ..Options::default()
    };
    let stack = Stack::start(options).await?;
    let backend = if args.postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    let partner = stack.gcc_partner().await;
    let customer = stack.validated_customer(partner).await;
    let token = admin(partner);
    let channel = Channel::from_shared(format!("http://{}", stack.addrs.ordering))?.connect().await?;
    let client = OrderingServiceClient::new(channel);
    let db_url = stack.database_urls()[3].to_owned();

    // 1. Bytes per order, through the real write path.
    let before = table_bytes(&db_url).await?;
    let started = Instant::now();
    futures::stream::iter(0..args.orders)
        .map(|_| {
            let mut c = client.clone();
            let token = token.clone();
            async move {
                let req = order(customer, &[("o365-g3-gcc", 10)], &uuid::Uuid::new_v4().to_string());
                c.place_order(gcc_testkit::authed(req, &token)).await.map(|_| ())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<(), _>>()?;
    let placed_in = started.elapsed();
    let after = table_bytes(&db_url).await?;
    println!(
        "gcc-growth: {backend}. {} orders placed through PlaceOrder in {:.1} s; bytes per order by table:",
        args.orders,
        placed_in.as_secs_f64()
    );
    let mut total = 0i64;
    for (table, bytes) in &after {
        let grown = bytes - before.iter().find(|(t, _)| t == table).map_or(0, |(_, b)| *b);
        if grown > 0 {
            println!("  {table:<40} {:>8.0}", grown as f64 / args.orders as f64);
            total += grown;
        }
    }
    println!("  {:<40} {:>8.0}", "total", total as f64 / args.orders as f64);

    // 2. List pages, before and after the tables grow.
    let small = list_timings(&client, &token, customer, args.samples).await?;
    let started = Instant::now();
    let others: Vec<(String, String)> = (0..args.partners.max(1))
        .map(|_| (uuid::Uuid::new_v4().to_string(), uuid::Uuid::new_v4().to_string()))
        .collect();
    let (partner_id, customer_id) = (partner.to_string(), customer.to_string());
    let owner = |i: usize| {
        if i.is_multiple_of(2) { (partner_id.clone(), customer_id.clone()) } else { others[i % others.len()].clone() }
    };
    gcc_e2e::bulk::orders(&db_url, args.rows, owner).await?;
    println!("\nadded {} orders with lines and subscriptions in {:.1} s", args.rows, started.elapsed().as_secs_f64());
    let large = list_timings(&client, &token, customer, args.samples).await?;
    println!(
        "\n{:<44} {:>14} {:>14} {:>9}",
        "call (median ms)",
        format!("{} rows", args.orders),
        format!("+{} rows", args.rows),
        "ratio"
    );
    for ((name, a), (_, b)) in small.iter().zip(&large) {
        println!("{name:<44} {a:>14.2} {b:>14.2} {:>9.2}", b / a);
    }
    Ok(())
}

/// The median time of each list call: a first page, and the page after walking 10
/// pages of 100 (a page deep into the list).
async fn list_timings(
    client: &OrderingServiceClient<Channel>,
    token: &str,
    customer: TenantId,
    samples: usize,
) -> anyhow::Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for (what, filter) in [("", String::new()), (" (one customer)", format!("customers/{customer}"))] {
        let deep = deep_token(client, token, &filter, false).await?;
        for (page, page_token) in [("first page", String::new()), ("page 11", deep)] {
            let ms = median(samples, || {
                let mut c = client.clone();
                let req =
                    opb::ListOrdersRequest { page_size: 100, page_token: page_token.clone(), customer: filter.clone() };
                async move { c.list_orders(gcc_testkit::authed(req, token)).await.map(|_| ()) }
            })
            .await?;
            out.push((format!("ListOrders{what}, {page}"), ms));
        }
        let deep = deep_token(client, token, &filter, true).await?;
        for (page, page_token) in [("first page", String::new()), ("page 11", deep)] {
            let ms = median(samples, || {
                let mut c = client.clone();
                let req = opb::ListSubscriptionsRequest {
                    page_size: 100,
                    page_token: page_token.clone(),
                    customer: filter.clone(),
                };
                async move { c.list_subscriptions(gcc_testkit::authed(req, token)).await.map(|_| ()) }
            })
            .await?;
            out.push((format!("ListSubscriptions{what}, {page}"), ms));
        }
    }
    Ok(out)
}

async fn deep_token(
    client: &OrderingServiceClient<Channel>,
    token: &str,
    customer: &str,
    subscriptions: bool,
) -> anyhow::Result<String> {
    let mut c = client.clone();
    let mut page_token = String::new();
    for _ in 0..10 {
        page_token = if subscriptions {
            let req = opb::ListSubscriptionsRequest { page_size: 100, page_token, customer: customer.to_owned() };
            c.list_subscriptions(gcc_testkit::authed(req, token)).await?.into_inner().next_page_token
        } else {
            let req = opb::ListOrdersRequest { page_size: 100, page_token, customer: customer.to_owned() };
            c.list_orders(gcc_testkit::authed(req, token)).await?.into_inner().next_page_token
        };
        anyhow::ensure!(!page_token.is_empty(), "the list ended before page 11");
    }
    Ok(page_token)
}

async fn median<F, Fut>(samples: usize, call: F) -> anyhow::Result<f64>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>>,
{
    call().await?; // warm
    let mut ms = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        call().await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok(ms[ms.len() / 2])
}

/// Bytes each table and its indexes take.
async fn table_bytes(url: &str) -> anyhow::Result<Vec<(String, i64)>> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(1).connect(url).await?;
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
