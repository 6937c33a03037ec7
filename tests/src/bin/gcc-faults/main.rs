//! `gcc-faults`: the fault suite. Starts two replicas of each service as separate
//! processes on a private PostgreSQL instance, behind HAProxy (HTTP/2), all on loopback;
//! runs a steady load of orders (each with a `request_id`), gate checks and reads through
//! the retrying client; and makes one fault per scenario: a rolling restart, crashes, the
//! gate down, the gate slow, the database restarted, and watches across replicas. It
//! prints what callers saw and fails when a guarantee is broken.
//!
//!     tests/faults/run                      # builds what it needs, then runs this
//!     cargo run -p gcc-e2e --bin gcc-faults -- --only 3,4

mod cluster;
mod load;
mod scenarios;
mod watch;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use gcc_platform::config::parse_duration;
use gcc_testkit::walk::Steps;

use crate::cluster::{Cluster, Service};
use crate::load::Account;
use crate::scenarios::{Row, Suite};

#[derive(Debug, Parser)]
#[command(name = "gcc-faults", about = "Faults under load across replicas; what callers saw")]
struct Args {
    /// Where the service binaries are (default: beside this one).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Load workers (each with its own partner and GCC customer).
    #[arg(long, default_value_t = 6)]
    workers: usize,
    /// Each worker starts a call this often.
    #[arg(long, default_value = "40ms", value_parser = parse_duration)]
    pace: Duration,
    /// At most this many calls per scenario.
    #[arg(long, default_value_t = 20_000)]
    max_calls: usize,
    /// Only these scenarios (1–6).
    #[arg(long, value_delimiter = ',')]
    only: Vec<u8>,
    /// Keep the directory with the logs, the HAProxy configuration and the database.
    #[arg(long)]
    keep: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let started = Instant::now();
    let result = runtime.block_on(run(&args));
    println!("\nfault suite: {:.0} s in all", started.elapsed().as_secs_f64());
    match result {
        Ok(true) => Ok(()),
        Ok(false) => std::process::exit(1),
        Err(e) => Err(e),
    }
}

async fn run(args: &Args) -> anyhow::Result<bool> {
    let bin_dir = match &args.bin_dir {
        Some(d) => d.clone(),
        None => std::env::current_exe()?.parent().context("the binary's directory")?.to_owned(),
    };
    let dir = tempfile::Builder::new().prefix("gcc-faults-").tempdir()?;
    let path = dir.path().to_owned();
    let kept = args.keep.then(|| dir.keep());
    let t = Instant::now();
    let mut cluster =
        Cluster::start(&path, &bin_dir).await.with_context(|| format!("starting (logs in {})", path.display()))?;
    println!(
        "2 replicas of each service on PostgreSQL {} behind HAProxy; ready in {:.1} s; files in {}",
        cluster.pg.addr,
        t.elapsed().as_secs_f64(),
        path.display()
    );

    let accounts = accounts(&cluster, args.workers).await?;
    let only = |n: u8| args.only.is_empty() || args.only.contains(&n);
    let mut rows: Vec<Row> = Vec::new();
    let mut suite = Suite { cluster: &mut cluster, accounts, pace: args.pace, max_calls: args.max_calls };
    let steps: [(u8, &str); 5] =
        [(1, "rolling restart"), (2, "crash"), (3, "gate down"), (4, "slow gate"), (5, "database restart")];
    for (n, name) in steps {
        if !only(n) {
            continue;
        }
        let t = Instant::now();
        let row = match n {
            1 => suite.rolling_restart().await,
            2 => suite.crash().await,
            3 => suite.gate_down().await,
            4 => suite.slow_gate().await,
            _ => suite.database_restart().await,
        }
        .with_context(|| format!("scenario {n} ({name}); logs in {}", path.display()))?;
        println!("scenario {n} ({name}) done in {:.1} s", t.elapsed().as_secs_f64());
        rows.push(row);
    }
    if only(6) {
        // After the database restart (when it ran): the replicas listen again.
        let t = Instant::now();
        rows.push(watch_when_listening(&cluster).await?);
        println!("scenario 6 (watch across replicas) done in {:.1} s", t.elapsed().as_secs_f64());
    }
    cluster.stop().await;
    drop(cluster);

    print_table(&rows, args);
    let broken: Vec<(&str, &String)> =
        rows.iter().flat_map(|r| r.violations.iter().map(move |v| (r.scenario.as_str(), v))).collect();
    if let Some(dir) = kept {
        println!("\nfiles kept in {}", dir.display());
    }
    if broken.is_empty() {
        println!("\nevery guarantee held");
        Ok(true)
    } else {
        println!("\nBROKEN GUARANTEES:");
        for (s, v) in broken {
            println!("  {s}: {v}");
        }
        Ok(false)
    }
}

/// Scenario 6, once the replicas listen for each other's changes again: a replica that
/// lost its database reconnects its listener with a backoff, so the first try may come
/// too early after scenario 5; a second one is the verdict.
async fn watch_when_listening(cluster: &Cluster) -> anyhow::Result<Row> {
    let first = watch::across_replicas(cluster).await?;
    if first.violations.is_empty() {
        return Ok(first);
    }
    println!("scenario 6: first try saw {:?}; trying again in 3 s", first.violations);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut second = watch::across_replicas(cluster).await?;
    second.notes.push(format!("a first try right after the database restart failed: {:?}", first.violations));
    Ok(second)
}

/// One GCC partner (a direct reseller holding GCC) and one GCC-validated customer per
/// worker, made through HAProxy before any fault.
async fn accounts(cluster: &Cluster, workers: usize) -> anyhow::Result<Vec<Account>> {
    let channel = |s: Service| -> anyhow::Result<tonic::transport::Channel> {
        Ok(tonic::transport::Endpoint::from_shared(cluster.endpoint(s))?.connect_lazy())
    };
    let steps = Steps::new(channel(Service::Partner)?, channel(Service::Relationships)?, channel(Service::Validation)?);
    let mut out = Vec::new();
    for _ in 0..workers {
        let partner = steps.gcc_partner().await;
        let customer = steps.validated_customer(partner).await;
        out.push(Account { partner, customer });
    }
    Ok(out)
}

fn print_table(rows: &[Row], args: &Args) {
    println!(
        "\nLoad: {} workers, each starting a call every {} ms (GCC order, gate check, commercial order, read, in turn); \
         orders carry a request_id; client deadline {} ms per attempt, retries by gcc-client.\n",
        args.workers,
        args.pace.as_millis(),
        load::CALL_DEADLINE.as_millis()
    );
    println!(
        "| scenario | calls | failed after retries | orders acknowledged | orders stored | duplicates | recovery time |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        let orders = |n: usize| if r.scenario.starts_with("6.") { "—".to_owned() } else { n.to_string() };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.calls,
            r.failed,
            orders(r.acknowledged),
            orders(r.stored),
            r.duplicates,
            r.recovery
        );
    }
    println!();
    for r in rows {
        for n in &r.notes {
            println!("- {}: {n}", &r.scenario[..2.min(r.scenario.len())].trim_end_matches('.'));
        }
    }
}
