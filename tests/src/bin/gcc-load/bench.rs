//! `gcc-load bench`, the closed-loop mode: drives the eligibility gate (`CheckEligibility`) and order placement
//! (`PlaceOrder` through the gate) over TCP with a closed-loop concurrent client on this
//! machine, and prints throughput and latency at several levels of concurrency. Every
//! figure comes with a bare RPC (a health check on the same server) measured by the same
//! client in the same run; the ratio is what to compare from one run to the next.
//!
//!     cargo run --release -p gcc-e2e --bin gcc-load -- bench all
//!     cargo run --release -p gcc-e2e --bin gcc-load -- bench flood
//!     cargo run --release -p gcc-e2e --bin gcc-load -- bench metrics
//!     cargo run --release -p gcc-e2e --bin gcc-load -- bench gate --postgres postgres://postgres@127.0.0.1:5432/postgres

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gcc_e2e::steps::{admin, order};
use gcc_e2e::{Options, Stack};
use gcc_platform::config::parse_duration;
use gcc_proto::types::OfferFamily;
use gcc_proto::validation as vpb;
use hdrhistogram::Histogram;
use tonic::transport::Channel;

mod flood;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum What {
    Gate,
    Orders,
    /// PlaceOrder alone, then beside a flood of refused calls.
    Flood,
    /// PlaceOrder on a set without metrics and on one with `/metrics` on, turn by turn.
    Metrics,
    All,
}

/// Closed loop: throughput and latency of the gate and of order placement at fixed
/// numbers of requests in flight, each beside a bare RPC measured in the same run.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_enum, default_value = "all")]
    what: What,
    /// Run on this PostgreSQL server (a database per service is created); SQLite otherwise.
    #[arg(long, env = "GCC_BENCH_POSTGRES_URL")]
    postgres: Option<String>,
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Requests in flight, one run each.
    #[arg(long, default_value = "1,16,64", value_delimiter = ',')]
    in_flight: Vec<usize>,
    /// HTTP/2 connections the client spreads its requests over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Refused calls per second in the `flood` row (unauthorized PlaceOrder calls, each an
    /// audited denial, from their own connections).
    #[arg(long, default_value_t = 2000)]
    flood_rate: u64,
    /// Worker threads of the servers' runtime and of the client's.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
}

/// One measured run.
struct Run {
    ok: u64,
    errors: BTreeMap<String, u64>,
    latency: Histogram<u64>,
    elapsed: Duration,
}

impl Run {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
    fn ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let servers =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.server_threads).enable_all().build()?;
    let client =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.client_threads).enable_all().build()?;

    let options = Options {
        postgres: args.postgres.clone(),
        // Requests beyond the servers' default limit would be shed; the benchmark measures
        // the service, not the shedding.
        validation_args: vec!["--concurrency-limit".into(), "4096".into()],
        ordering_args: vec!["--concurrency-limit".into(), "4096".into()],
        clock: None,
        metrics: false,
    };
    let stack = servers.block_on(Stack::start(options.clone()))?;
    let stack = Arc::new(stack);
    let backend = if args.postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "gcc-load bench: {backend}, {} server + {} client worker threads, {} connections, warm-up {:?}, measured {:?} per run",
        args.server_threads, args.client_threads, args.connections, args.warmup, args.duration
    );

    let (partner, customer) = client.block_on(async {
        let partner = stack.gcc_partner().await;
        (partner, stack.validated_customer(partner).await)
    });
    let token = admin(partner);

    if matches!(args.what, What::Gate | What::All) {
        println!(
            "\nCheckEligibility (customer-validation; facts from partner-eligibility and relationships, cached ≤ 2 s)"
        );
        let token = token.clone();
        table(&client, &args, stack.addrs.validation, move |ch| {
            let token = token.clone();
            async move {
                let mut c =
                    gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient::new(ch);
                let req = vpb::CheckEligibilityRequest {
                    customer: format!("customers/{customer}"),
                    offer_families: vec![OfferFamily::Office365 as i32],
                    partner: String::new(),
                };
                let v = c.check_eligibility(gcc_testkit::authed(req, &token)).await?.into_inner();
                if v.eligible { Ok(()) } else { Err(tonic::Status::failed_precondition("not eligible")) }
            }
        })?;
    }

    if matches!(args.what, What::Orders | What::All) {
        println!(
            "\nPlaceOrder (ordering → customer-validation gate + relationships; one GCC line, a new request_id each)"
        );
        let token = token.clone();
        table(&client, &args, stack.addrs.ordering, move |ch| {
            let token = token.clone();
            async move {
                let mut c = gcc_proto::ordering::ordering_service_client::OrderingServiceClient::new(ch);
                let req = order(customer, &[("o365-g3-gcc", 10)], &uuid::Uuid::new_v4().to_string());
                c.place_order(gcc_testkit::authed(req, &token)).await?;
                Ok(())
            }
        })?;
    }
    if matches!(args.what, What::Flood | What::All) {
        flood::row(&client, &args, stack.addrs.ordering, customer, token.clone())?;
    }
    if matches!(args.what, What::Metrics | What::All) {
        let metered = servers.block_on(Stack::start(Options { metrics: true, ..options }))?;
        let (m_partner, m_customer) = client.block_on(async {
            let partner = metered.gcc_partner().await;
            (partner, metered.validated_customer(partner).await)
        });
        println!("\nPlaceOrder with metrics off and on (two sets in this process, measured turn by turn)");
        metrics_row(
            &client,
            &args,
            (stack.addrs.ordering, customer, token.clone()),
            (metered.addrs.ordering, m_customer, admin(m_partner)),
        )?;
        drop(metered);
    }
    drop(client);
    drop(servers);
    Ok(())
}

/// Measures the bare health check and then `call` at each level of concurrency, and
/// prints one table.
fn table<F, Fut>(rt: &tokio::runtime::Runtime, args: &Args, addr: SocketAddr, call: F) -> anyhow::Result<()>
where
    F: Fn(Channel) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send,
{
    println!("| in flight | bare RPC/s | bare p99 ms | calls/s | p50 ms | p99 ms | p99.9 ms | errors | calls ÷ bare |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for &n in &args.in_flight {
        let bare = rt.block_on(load(addr, n, args, |ch| async move {
            let mut h = tonic_health::pb::health_client::HealthClient::new(ch);
            h.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await?;
            Ok(())
        }))?;
        let run = rt.block_on(load(addr, n, args, call.clone()))?;
        let errors = if run.errors.is_empty() {
            "0".to_owned()
        } else {
            run.errors.iter().map(|(c, k)| format!("{c}: {k}")).collect::<Vec<_>>().join(", ")
        };
        println!(
            "| {n} | {:.0} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {errors} | {:.2} |",
            bare.rate(),
            bare.ms(0.99),
            run.rate(),
            run.ms(0.50),
            run.ms(0.99),
            run.ms(0.999),
            run.rate() / bare.rate()
        );
    }
    Ok(())
}

/// PlaceOrder on the set without metrics (`off`) and on the one with them (`on`), one
/// after the other at each level of concurrency.
fn metrics_row(
    rt: &tokio::runtime::Runtime,
    args: &Args,
    off: (SocketAddr, gcc_platform::TenantId, String),
    on: (SocketAddr, gcc_platform::TenantId, String),
) -> anyhow::Result<()> {
    let place = |customer: gcc_platform::TenantId, token: String| {
        move |ch: Channel| {
            let token = token.clone();
            async move {
                let mut c = gcc_proto::ordering::ordering_service_client::OrderingServiceClient::new(ch);
                let req = order(customer, &[("o365-g3-gcc", 10)], &uuid::Uuid::new_v4().to_string());
                c.place_order(gcc_testkit::authed(req, &token)).await?;
                Ok(())
            }
        }
    };
    println!(
        "| in flight | off calls/s | off p50 ms | off p99 ms | on calls/s | on p50 ms | on p99 ms | errors | on ÷ off |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &n in &args.in_flight {
        let a = rt.block_on(load(off.0, n, args, place(off.1, off.2.clone())))?;
        let b = rt.block_on(load(on.0, n, args, place(on.1, on.2.clone())))?;
        let errors: u64 = a.errors.values().chain(b.errors.values()).sum();
        println!(
            "| {n} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {errors} | {:.3} |",
            a.rate(),
            a.ms(0.50),
            a.ms(0.99),
            b.rate(),
            b.ms(0.50),
            b.ms(0.99),
            b.rate() / a.rate()
        );
    }
    Ok(())
}

/// A closed loop: `n` tasks, each sending its next request when the last one answers,
/// spread over a few connections; latencies after the warm-up go into one histogram.
async fn load<F, Fut>(addr: SocketAddr, n: usize, args: &Args, call: F) -> anyhow::Result<Run>
where
    F: Fn(Channel) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send,
{
    let mut channels = Vec::new();
    for _ in 0..args.connections.max(1) {
        channels.push(Channel::from_shared(format!("http://{addr}"))?.tcp_nodelay(true).connect().await?);
    }
    let start = Instant::now();
    let measure_from = start + args.warmup;
    let end = measure_from + args.duration;
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let ch = channels[i % channels.len()].clone();
            let call = call.clone();
            tokio::spawn(async move {
                let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
                let mut errors: BTreeMap<String, u64> = BTreeMap::new();
                let mut ok = 0u64;
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    let result = call(ch.clone()).await;
                    if t0 < measure_from {
                        continue;
                    }
                    match result {
                        Ok(()) => {
                            ok += 1;
                            let _ = hist.record(t0.elapsed().as_micros() as u64);
                        }
                        Err(s) => *errors.entry(format!("{:?}", s.code())).or_default() += 1,
                    }
                }
                (ok, errors, hist)
            })
        })
        .collect();
    let mut run = Run {
        ok: 0,
        errors: BTreeMap::new(),
        latency: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        elapsed: args.duration,
    };
    for t in tasks {
        let (ok, errors, hist) = t.await?;
        run.ok += ok;
        for (k, v) in errors {
            *run.errors.entry(k).or_default() += v;
        }
        run.latency.add(hist)?;
    }
    Ok(run)
}
