//! `gcc-load`: an open-loop load generator for the service set. Journeys of the source
//! document (gate checks, orders, refusals, lists, onboarding, invitations, Watch) are
//! sent at a target arrival rate, each timed from when it *should* have been sent, so a
//! slow server shows as latency instead of hiding as a slower client (coordinated
//! omission). `--closed N` keeps N journeys in flight instead, for comparison.
//!
//!     cargo run --release -p gcc-e2e --bin gcc-load -- run --mix checkout --rate 300 --duration 20s
//!     cargo run --release -p gcc-e2e --bin gcc-load -- seed --partners 1000 --customers 100000 --orders 1000000
//!     cargo run --release -p gcc-e2e --bin gcc-load -- knee --journey order-gcc --p99 50ms
//!     cargo run --release -p gcc-e2e --bin gcc-load -- bench all        # the closed loop
//!
//! Without `--endpoints` it starts the four services in this process (SQLite, or a
//! PostgreSQL server with `--postgres`), seeds them and drives them over loopback TCP.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand};
use gcc_platform::config::parse_duration;

mod bench;
mod engine;
mod html;
mod knee;
mod overload;
mod report;
mod scenario;
mod search;
mod seed;
mod slo;
mod target;

// The servers' allocator, so that in-process figures are theirs.
gcc_platform::server_allocator!();

#[derive(Debug, Parser)]
#[command(
    name = "gcc-load",
    about = "Open-loop load of the service set's journeys, with reports a pipeline can gate on"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sends a mix of journeys at an arrival rate (or closed loop) and writes the report.
    Run(RunArgs),
    /// Fills the databases through the public RPCs and prints the IDs and tokens that the
    /// scenarios use (as JSON, to stdout or `--fixture-out`).
    Seed(SeedOnlyArgs),
    /// Steps a journey's arrival rate up and reports the knee (the highest rate holding
    /// p99 under a bound with no errors) beside the bare health check's knee.
    Knee(knee::KneeArgs),
    /// Closed loop (what `gcc-bench` was): the gate and orders at 1, 16 and 64 requests in
    /// flight, each beside the bare health check of the same run (`all`, `gate`,
    /// `orders`, `flood`, `metrics`).
    Bench(bench::Args),
}

/// Where the load goes, and how tokens are minted for it.
#[derive(Debug, Clone, ClapArgs)]
pub struct TargetArgs {
    /// The services to drive: one URL for all four (a gRPC-aware balancer), or
    /// `partner=URL,relationships=URL,validation=URL,ordering=URL`. Without it the four
    /// services start in this process.
    #[arg(long)]
    pub endpoints: Option<String>,
    /// In-process only: a PostgreSQL server URL (a database per service is created);
    /// SQLite files otherwise.
    #[arg(long, env = "GCC_LOAD_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// In-process only: `--concurrency-limit` of customer-validation and ordering (the
    /// servers' own default otherwise, so shedding shows).
    #[arg(long)]
    pub concurrency_limit: Option<u32>,
    /// In-process only: `--latency-target` of customer-validation and ordering, so that
    /// their concurrency limit follows latency (fixed otherwise).
    #[arg(long, value_parser = parse_duration)]
    pub latency_target: Option<Duration>,
    /// In-process only: ordering's `--management-cache-ttl` (how long it reuses a positive
    /// management answer; read for every order otherwise).
    #[arg(long, value_parser = parse_duration)]
    pub management_cache_ttl: Option<Duration>,
    /// In-process only: worker threads of the servers' runtime.
    #[arg(long, default_value_t = 2)]
    pub server_threads: usize,
    /// Worker threads of the load client's runtime.
    #[arg(long, default_value_t = 2)]
    pub client_threads: usize,
    /// HTTP/2 connections per service that the client spreads its calls over.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Token source for `--endpoints`: a file holding the HS256 secret the servers verify.
    #[arg(long, requires = "endpoints", conflicts_with = "token_rs256_key_file")]
    pub token_hs256_secret_file: Option<PathBuf>,
    /// Token source for `--endpoints`: a PEM RSA private key whose public half the
    /// servers trust (RS256).
    #[arg(long, requires = "endpoints")]
    pub token_rs256_key_file: Option<PathBuf>,
    #[arg(long, default_value = gcc_testkit::ISSUER)]
    pub token_issuer: String,
    #[arg(long, default_value = gcc_testkit::AUDIENCE)]
    pub token_audience: String,
    /// The eligibility reviewers' tenant (the servers' `--reviewer-tenants`).
    #[arg(long, default_value = gcc_testkit::REVIEWER_TENANT)]
    pub reviewer_tenant: String,
}

/// The size of the data set to seed.
#[derive(Debug, Clone, ClapArgs)]
pub struct SeedArgs {
    /// GCC-qualified direct resellers.
    #[arg(long, default_value_t = 4)]
    pub partners: usize,
    /// Customers, spread over the partners: 60 % validated (GCC), 20 % with a pending
    /// validation, 20 % without one.
    #[arg(long, default_value_t = 40)]
    pub customers: usize,
    /// Orders placed before the run, 80 % GCC for validated customers, 20 % commercial.
    #[arg(long, default_value_t = 0)]
    pub orders: usize,
    /// In-process only: orders written straight into ordering's tables after the others
    /// (an order, its line and its subscription, as `PlaceOrder` writes them; no audit or
    /// outbox rows), spread over the partners' validated customers. A million through
    /// `PlaceOrder` would take many minutes; the list and gate queries read only these
    /// tables.
    #[arg(long, default_value_t = 0)]
    pub bulk_orders: usize,
    /// Seeds the IDs, domains and request IDs: the same seed gives the same data, and
    /// seeding again against the same servers replays instead of duplicating.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Calls in flight while seeding.
    #[arg(long, default_value_t = 64)]
    pub seed_concurrency: usize,
    /// Use this seeded data set (the JSON `gcc-load seed` printed) instead of seeding.
    #[arg(long)]
    pub fixture: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct SeedOnlyArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub seed: SeedArgs,
    /// Writes the data set here (stdout otherwise).
    #[arg(long)]
    pub fixture_out: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub seed: SeedArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Service-level objectives, such as `PlaceOrder:p99<50ms,errors<0.1%`: a name (an RPC
    /// or a journey) scopes the items after it; items before any name apply to all
    /// journeys together. Metrics: p50, p90, p99, p99.9, max (durations), errors (a
    /// percentage), rate (achieved per second, `rate>100`). A breach exits with status 2.
    #[arg(long)]
    pub slo: Option<String>,
    /// A note for the report (repeatable), such as what else the machine was doing.
    #[arg(long)]
    pub note: Vec<String>,
    /// Directory for report.json, summary.csv, timeline.csv and report.html.
    #[arg(long, default_value = "gcc-load-report")]
    pub out: PathBuf,
}

/// What to send and how fast.
#[derive(Debug, Clone, ClapArgs)]
pub struct LoadArgs {
    /// `checkout`, `onboarding`, `read-heavy`, `all`, or weights such as
    /// `gate-validated=3,order-gcc=1`.
    #[arg(long, default_value = "checkout")]
    pub mix: String,
    /// Journeys started per second, constant.
    #[arg(long, default_value_t = 100.0, conflicts_with_all = ["stages", "closed"])]
    pub rate: f64,
    /// Arrival-rate stages `DURATION:RATE,…`: the rate moves linearly from the last
    /// stage's (0 at first) to RATE over DURATION, as k6's ramping-arrival-rate does.
    #[arg(long, conflicts_with = "closed")]
    pub stages: Option<String>,
    /// Closed loop instead: N journeys in flight, each started when the last one ends.
    #[arg(long)]
    pub closed: Option<usize>,
    /// Measured time at `--rate` or `--closed` (stages set their own).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Sent before measuring, at the first rate; not in the totals.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// The deadline of every request (sent as grpc-timeout and enforced by the client).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub deadline: Duration,
    /// Journeys in flight beyond which a due journey is not sent but counted as
    /// CLIENT_SATURATED: the client cannot keep the rate, so the figures are not the
    /// servers'.
    #[arg(long, default_value_t = 20_000)]
    pub max_in_flight: usize,
    /// Seeds the choice of journeys and data.
    #[arg(long, default_value_t = 7)]
    pub mix_seed: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Seed(args) => seed_only(args),
        Command::Knee(args) => knee::run(args).map(|()| ExitCode::SUCCESS),
        Command::Bench(args) => bench::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gcc-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let slos = args.slo.as_deref().map(slo::parse).transpose()?;
    let mix = scenario::Mix::parse(&args.load.mix)?;
    let schedule = engine::Schedule::from_args(&args.load)?;
    let runtimes = target::Runtimes::new(&args.target)?;
    let target = Arc::new(runtimes.start(&args.target)?);
    let fixture = Arc::new(runtimes.client.block_on(seed::obtain(&target, &args.seed))?);
    let recording = runtimes.client.block_on(engine::run(&target, &fixture, &mix, &schedule, &args.load))?;
    let mut report = report::Report::build(recording, &target, &fixture, args.load.deadline);
    report.notes.extend(args.note.iter().cloned());
    drop(fixture);
    if let Some(slos) = &slos {
        report.slo = slo::evaluate(slos, &report);
    }
    report.write(&args.out)?;
    report.print_summary();
    println!("report: {}", args.out.join("report.html").display());
    runtimes.stop(target);
    if report.slo.iter().any(|s| !s.met) {
        eprintln!("gcc-load: an objective was breached");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn seed_only(args: SeedOnlyArgs) -> anyhow::Result<ExitCode> {
    let runtimes = target::Runtimes::new(&args.target)?;
    let target = Arc::new(runtimes.start(&args.target)?);
    let fixture = runtimes.client.block_on(seed::obtain(&target, &args.seed))?;
    let json = serde_json::to_string_pretty(&fixture.data)?;
    match &args.fixture_out {
        Some(path) => {
            std::fs::write(path, json)?;
            eprintln!("data set written to {}", path.display());
        }
        None => println!("{json}"),
    }
    if target.in_process() {
        eprintln!(
            "note: the in-process servers stop now, with their data; `gcc-load run` with the same sizes and \
             --seed seeds the same data before it runs"
        );
    }
    runtimes.stop(target);
    Ok(ExitCode::SUCCESS)
}
