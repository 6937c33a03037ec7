//! `gcc-growth`: what an order costs on disk, and whether a page of every list RPC costs
//! the same with large tables as with small ones.
//!
//!     cargo run --release -p gcc-e2e --bin gcc-growth
//!     cargo run --release -p gcc-e2e --bin gcc-growth -- --postgres postgres://postgres@127.0.0.1:5432/postgres
//!     cargo run --release -p gcc-e2e --bin gcc-growth -- --only relationships --rows 200000
//!
//! 1. Places `--orders` orders through `PlaceOrder` (the real write path: order, line,
//!    subscription, idempotency record, audit entry, outbox event) and prints the bytes
//!    each table holds per order.
//! 2. Writes `--small` rows into each table another list reads (`gcc_e2e::bulk`: the rows
//!    each service writes, straight into its tables; through the RPCs a million would take
//!    many minutes), and times every list RPC that a caller's data grows: a first page, and
//!    page 11 of 100-item pages, unfiltered and with the filters callers use (one customer,
//!    one state, a name prefix). Half of the rows are the measured partner's (and
//!    customer's), the rest spread over `--partners` other partners, so both the caller's
//!    index and the isolation filter are exercised.
//! 3. Adds `--rows` rows to each of those tables (orders with their lines and
//!    subscriptions), and times the same calls again. The large ÷ small ratio of a page
//!    that uses an index stays near 1; one that scans grows with the table.
//!
//! ListOffers is not timed: it reads the catalog, a fixed table seeded by migration.
//! ListSpecialQualifications and ListPurchasableOffers have no pages: their one answer is
//! timed. ListPurchasableOffers reads no table of ordering's own (it asks relationships
//! and customer-validation), so it grows only with those services' tables in a full run.

mod ordering;
mod partners;
mod probe;
mod relationships;
mod validation;

use std::time::Instant;

use clap::Parser;
use gcc_e2e::{Options, Stack};
use gcc_platform::TenantId;
use gcc_proto::partner as ppb;

use crate::probe::Probe;

gcc_platform::server_allocator!();

#[derive(Debug, Parser)]
struct Args {
    /// A PostgreSQL server URL (a new database per service); SQLite files otherwise.
    #[arg(long)]
    postgres: Option<String>,
    /// Orders placed through PlaceOrder, for the bytes per order (and ordering's small size).
    #[arg(long, default_value_t = 5_000)]
    orders: usize,
    /// Rows first written into each other table, for the small size.
    #[arg(long, default_value_t = 10_000)]
    small: usize,
    /// Rows then added straight into each table, for the large size.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Other partners the added rows are spread over.
    #[arg(long, default_value_t = 1_000)]
    partners: usize,
    /// Calls per timing (the median is printed).
    #[arg(long, default_value_t = 20)]
    samples: usize,
    /// Only these services' lists: partner-eligibility, customer-validation,
    /// relationships, ordering (comma-separated; all by default).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// The running set and the tenants whose data is measured.
pub struct World {
    pub stack: Stack,
    /// A direct reseller holding GCC: the caller of customer-validation, relationships and
    /// ordering.
    pub partner: TenantId,
    /// Its customer, validated and holding GCC.
    pub customer: TenantId,
    /// An indirect provider: the caller of partner-eligibility.
    pub provider: TenantId,
    /// The other partners (and a customer of each) that the other half of the rows are
    /// spread over.
    pub others: Vec<(String, String)>,
}

impl World {
    /// The owner of the `i`th added row: every other row is `partner`'s and `customer`'s.
    pub fn owner(&self, partner: TenantId, customer: TenantId) -> impl Fn(usize) -> (String, String) + '_ {
        let mine = (partner.to_string(), customer.to_string());
        move |i| if i.is_multiple_of(2) { mine.clone() } else { self.others[i % self.others.len()].clone() }
    }

    /// A service's database, by its name.
    pub fn database(&self, service: &str) -> &str {
        let i = SERVICES.iter().position(|s| *s == service).expect("a service");
        self.stack.database_urls()[i]
    }
}

/// In the order of `Stack::database_urls`.
const SERVICES: [&str; 4] = ["partner-eligibility", "relationships", "customer-validation", "ordering"];

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let only = |s: &str| args.only.is_empty() || args.only.iter().any(|o| o == s);
    for o in &args.only {
        anyhow::ensure!(SERVICES.contains(&o.as_str()), "--only {o}: not one of {}", SERVICES.join(", "));
    }
    let world = start(&args).await?;
    let backend = if args.postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("gcc-growth: {backend}.");
    if only("ordering") {
        ordering::bytes_per_order(&world, args.orders).await?;
    }
    // Shown in table order: by service, as the services are listed in the README.
    let order = ["partner-eligibility", "customer-validation", "relationships", "ordering"];
    let parts: Vec<&str> = order.into_iter().filter(|s| only(s)).collect();
    let mut probes: Vec<Probe> = Vec::new();
    for part in &parts {
        grow(&world, part, args.small, true).await?;
        probes.extend(match *part {
            "partner-eligibility" => partners::probes(&world),
            "customer-validation" => validation::probes(&world),
            "relationships" => relationships::probes(&world),
            _ => ordering::probes(&world),
        });
    }
    let small = probe::time_all(&probes, args.samples).await?;
    // The services' databases are written side by side.
    let started = Instant::now();
    futures::future::try_join_all(parts.iter().map(|part| grow(&world, part, args.rows, false))).await?;
    println!("added {} rows to each listed table in {:.1} s", args.rows, started.elapsed().as_secs_f64());
    let large = probe::time_all(&probes, args.samples).await?;
    print_table(&args, &probes, &small, &large);
    Ok(())
}

async fn start(args: &Args) -> anyhow::Result<World> {
    let options = Options {
        postgres: args.postgres.clone(),
        ordering_args: vec!["--concurrency-limit".into(), "4096".into()],
        ..Options::default()
    };
    let stack = Stack::start(options).await?;
    let partner = stack.gcc_partner().await;
    let customer = stack.validated_customer(partner).await;
    let provider = stack.enrolled(ppb::PartnerType::IndirectProvider, None).await;
    let others = (0..args.partners.max(1))
        .map(|_| (uuid::Uuid::new_v4().to_string(), uuid::Uuid::new_v4().to_string()))
        .collect();
    Ok(World { stack, partner, customer, provider, others })
}

/// Adds `rows` rows to each table `part`'s lists read; `first` for the small size (the
/// orders placed are ordering's).
async fn grow(world: &World, part: &str, rows: usize, first: bool) -> anyhow::Result<()> {
    match part {
        "partner-eligibility" => partners::grow(world, rows, first).await,
        "customer-validation" => validation::grow(world, rows).await,
        "relationships" => relationships::grow(world, rows).await,
        _ if first => Ok(()),
        _ => ordering::grow(world, rows).await,
    }
}

fn print_table(args: &Args, probes: &[Probe], small: &[f64], large: &[f64]) {
    let placed = probes.iter().any(|p| p.service == "ordering").then(|| format!("{} orders placed, ", args.orders));
    println!(
        "\nsmall: {}{} rows written into each other listed table; large: {} rows added to each",
        placed.unwrap_or_default(),
        args.small,
        args.rows
    );
    println!("{:<66} {:>9} {:>9} {:>7}", "call (median ms)", "small", "large", "ratio");
    let mut medians = small.iter().zip(large);
    let mut service = "";
    for p in probes {
        if p.service != service {
            service = p.service;
            println!("{service}");
        }
        for (row, (a, b)) in p.rows().iter().zip(medians.by_ref()) {
            println!("  {row:<64} {a:>9.2} {b:>9.2} {:>7.2}", b / a);
        }
    }
}
