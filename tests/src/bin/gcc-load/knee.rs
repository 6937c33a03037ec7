//! The capacity knee: a journey's arrival rate stepped up until its p99 passes a bound
//! or an error appears; the highest rate that held, beside the bare health check's knee
//! measured the same way in the same run. The ratio is what to compare between runs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args as ClapArgs;
use gcc_platform::config::parse_duration;
use serde::Serialize;

use crate::engine::{self, Recording, Schedule};
use crate::report::Row;
use crate::scenario::{Journey, Mix};
use crate::{LoadArgs, SeedArgs, TargetArgs, target};

#[derive(Debug, ClapArgs)]
pub struct KneeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub seed: SeedArgs,
    /// The journey to step (`order-gcc`, `gate-validated`, …).
    #[arg(long, default_value = "gate-validated")]
    pub journey: String,
    /// The p99 a rate must hold (with no errors) to count.
    #[arg(long, default_value = "10ms", value_parser = parse_duration)]
    pub p99: Duration,
    /// The bare health check's bound.
    #[arg(long, default_value = "10ms", value_parser = parse_duration)]
    pub bare_p99: Duration,
    /// The first rate, per second.
    #[arg(long, default_value_t = 200.0)]
    pub from: f64,
    /// Each step multiplies the rate by this.
    #[arg(long, default_value_t = 1.25)]
    pub factor: f64,
    #[arg(long, default_value_t = 40)]
    pub max_steps: usize,
    /// A step that does not hold is run again this many times before the search stops,
    /// so that one noisy step on a shared machine does not end it.
    #[arg(long, default_value_t = 1)]
    pub retries: usize,
    /// Measured time per step, after a 1 s warm-up at its rate.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub step: Duration,
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub deadline: Duration,
    /// Skip the bare health check's knee.
    #[arg(long)]
    pub no_bare: bool,
    /// After the knee, one step at this multiple of it: the servers shed what they cannot
    /// take (`RESOURCE_EXHAUSTED` with `RetryInfo`) and the calls they admit keep their
    /// p99. 0 skips it.
    #[arg(long, default_value_t = 2.0)]
    pub overload: f64,
    /// The longest a shed call may take to be answered, in the overload step.
    #[arg(long, default_value = "5ms", value_parser = parse_duration)]
    pub shed_p99: Duration,
    /// Where knee.json goes.
    #[arg(long, default_value = "gcc-load-report")]
    pub out: PathBuf,
}

#[derive(Debug, Serialize)]
struct Step {
    aimed_per_s: f64,
    achieved_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    held: bool,
}

#[derive(Debug, Serialize)]
struct Knee {
    journey: String,
    p99_bound_ms: f64,
    knee_per_s: Option<f64>,
    steps: Vec<Step>,
    overload: Option<Overload>,
}

/// The step past the knee: what was admitted, what was shed, and how fast the shedding was.
#[derive(Debug, Serialize)]
struct Overload {
    aimed_per_s: f64,
    /// Journeys that met their expected outcome.
    admitted_per_s: f64,
    admitted_p50_ms: f64,
    admitted_p99_ms: f64,
    /// Calls a server shed (`RESOURCE_EXHAUSTED`), of every RPC of the journey.
    shed_per_s: f64,
    shed_p50_ms: f64,
    shed_p99_ms: f64,
    shed_max_ms: f64,
    /// The share of shed calls that said when to retry.
    shed_with_retry_info: f64,
    /// Outcomes of the journey, by `CODE REASON`.
    statuses: std::collections::BTreeMap<String, u64>,
    /// Admitted p99 under the journey's bound, shed p99 under `--shed-p99`, every shed
    /// call with `RetryInfo`.
    held: bool,
}

#[derive(Debug, Serialize)]
struct KneeReport {
    date: String,
    target: String,
    data: String,
    knees: Vec<Knee>,
    ratio_to_bare: Option<f64>,
}

pub fn run(args: KneeArgs) -> anyhow::Result<()> {
    let journey = Journey::parse(&args.journey)?;
    anyhow::ensure!(args.factor > 1.0 && args.factor <= 10.0, "--factor: above 1 and at most 10");
    anyhow::ensure!(args.from > 0.0, "--from: above 0");
    let runtimes = target::Runtimes::new(&args.target)?;
    let target = Arc::new(runtimes.start(&args.target)?);
    let fixture = Arc::new(runtimes.client.block_on(crate::seed::obtain(&target, &args.seed))?);
    let mut knees = Vec::new();
    let mut plan = Vec::new();
    if !args.no_bare {
        plan.push((Journey::Health, args.bare_p99));
    }
    plan.push((journey, args.p99));
    for (j, bound) in plan {
        println!("\n{} (p99 < {:?}, no errors), {:?} a step:", j.name(), bound, args.step);
        println!("| aimed/s | achieved/s | p50 ms | p99 ms | errors | held |");
        println!("|---|---|---|---|---|---|");
        let mut rate = args.from;
        let mut knee = Knee {
            journey: j.name().into(),
            p99_bound_ms: bound.as_secs_f64() * 1000.0,
            knee_per_s: None,
            steps: vec![],
            overload: None,
        };
        let mut tries = 0;
        for _ in 0..args.max_steps {
            let (row, _) = runtimes.client.block_on(measure(&target, &fixture, j, rate, &args))?;
            let held = row.errors == 0 && row.p99_ms < knee.p99_bound_ms && row.achieved_per_s >= 0.95 * rate;
            println!(
                "| {rate:.0} | {:.0} | {:.2} | {:.2} | {} | {} |",
                row.achieved_per_s,
                row.p50_ms,
                row.p99_ms,
                row.errors,
                if held { "yes" } else { "no" }
            );
            knee.steps.push(Step {
                aimed_per_s: rate,
                achieved_per_s: row.achieved_per_s,
                p50_ms: row.p50_ms,
                p99_ms: row.p99_ms,
                errors: row.errors,
                held,
            });
            if !held {
                tries += 1;
                if tries > args.retries {
                    break;
                }
                continue;
            }
            tries = 0;
            knee.knee_per_s = Some(rate);
            rate *= args.factor;
        }
        if j != Journey::Health
            && args.overload > 0.0
            && let Some(at) = knee.knee_per_s
        {
            let rate = at * args.overload;
            let (row, rec) = runtimes.client.block_on(measure(&target, &fixture, j, rate, &args))?;
            let o = overload(rate, &row, &rec, knee.p99_bound_ms, &args);
            print_overload(&o, args.overload);
            knee.overload = Some(o);
        }
        knees.push(knee);
    }
    let ratio = match (&knees[..], args.no_bare) {
        ([bare, j], false) => j.knee_per_s.zip(bare.knee_per_s).map(|(j, b)| j / b),
        _ => None,
    };
    println!();
    for k in &knees {
        match k.knee_per_s {
            Some(r) => println!("knee of {}: {r:.0}/s (p99 < {} ms, no errors)", k.journey, k.p99_bound_ms),
            None => println!("knee of {}: below {:.0}/s (the first step did not hold)", k.journey, args.from),
        }
    }
    if let Some(r) = ratio {
        println!("ratio to the bare health check's knee: {r:.3}");
    }
    let report = KneeReport {
        date: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        target: target.description.clone(),
        data: format!(
            "{} partners, {} customers, {} orders",
            fixture.partners.len(),
            fixture.customers,
            fixture.orders
        ),
        knees,
        ratio_to_bare: ratio,
    };
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("knee.json"), serde_json::to_string_pretty(&report)?)?;
    println!("written: {}", args.out.join("knee.json").display());
    drop(fixture);
    runtimes.stop(target);
    Ok(())
}

/// One measured step of `journey` at `rate`.
async fn measure(
    target: &Arc<target::Target>,
    fixture: &Arc<crate::seed::Fixture>,
    journey: Journey,
    rate: f64,
    args: &KneeArgs,
) -> anyhow::Result<(Row, Recording)> {
    let load = LoadArgs {
        mix: journey.name().into(),
        rate,
        stages: None,
        closed: None,
        duration: args.step,
        warmup: Duration::from_secs(1),
        deadline: args.deadline,
        max_in_flight: 20_000,
        mix_seed: 7,
    };
    let schedule = Schedule::constant(rate, load.warmup, load.duration)?;
    let rec = engine::run(target, fixture, &Mix::only(journey), &schedule, &load).await?;
    let row = rec
        .journeys
        .get(journey.name())
        .map(|s| Row::from_stats(journey.name(), s, rec.measured.as_secs_f64()))
        .ok_or_else(|| anyhow::anyhow!("no journey was measured"))?;
    Ok((row, rec))
}

fn overload(rate: f64, row: &Row, rec: &Recording, bound_ms: f64, args: &KneeArgs) -> Overload {
    let mut shed = engine::histogram();
    let mut with_retry = 0;
    for s in rec.rpcs.values() {
        let _ = shed.add(&s.shed);
        with_retry += s.shed_with_retry;
    }
    let secs = rec.measured.as_secs_f64().max(1e-9);
    let ms = |q: f64| if shed.is_empty() { 0.0 } else { shed.value_at_quantile(q) as f64 / 1000.0 };
    let shed_max_ms = if shed.is_empty() { 0.0 } else { shed.max() as f64 / 1000.0 };
    let retry_share = if shed.is_empty() { 1.0 } else { with_retry as f64 / shed.len() as f64 };
    let statuses = rec.journeys.values().flat_map(|s| s.statuses.clone()).collect();
    let shed_bound = args.shed_p99.as_secs_f64() * 1000.0;
    Overload {
        aimed_per_s: rate,
        admitted_per_s: row.achieved_per_s,
        admitted_p50_ms: row.p50_ms,
        admitted_p99_ms: row.p99_ms,
        shed_per_s: shed.len() as f64 / secs,
        shed_p50_ms: ms(0.5),
        shed_p99_ms: ms(0.99),
        shed_max_ms,
        shed_with_retry_info: retry_share,
        statuses,
        held: row.p99_ms < bound_ms && ms(0.99) < shed_bound && retry_share >= 1.0,
    }
}

fn print_overload(o: &Overload, factor: f64) {
    println!("\noverload: {factor}x the knee, {:.0}/s aimed", o.aimed_per_s);
    println!(
        "| admitted/s | admitted p50 ms | admitted p99 ms | shed/s | shed p50 ms | shed p99 ms | shed max ms | shed with RetryInfo | held |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} % | {} |",
        o.admitted_per_s,
        o.admitted_p50_ms,
        o.admitted_p99_ms,
        o.shed_per_s,
        o.shed_p50_ms,
        o.shed_p99_ms,
        o.shed_max_ms,
        o.shed_with_retry_info * 100.0,
        if o.held { "yes" } else { "no" }
    );
    let outcomes: Vec<String> = o.statuses.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    println!("outcomes: {}", outcomes.join(", "));
}
