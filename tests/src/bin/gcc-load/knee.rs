//! The capacity knee: a journey's arrival rate stepped up until its p99 passes a bound
//! or an error appears; the highest rate that held, beside the bare health check's knee
//! measured the same way in the same run. The ratio is what to compare between runs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args as ClapArgs;
use gcc_platform::config::parse_duration;
use serde::Serialize;

use crate::engine::{self, Schedule};
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
    /// Measured time per step, after a 1 s warm-up at its rate.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub step: Duration,
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub deadline: Duration,
    /// Skip the bare health check's knee.
    #[arg(long)]
    pub no_bare: bool,
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
        };
        for _ in 0..args.max_steps {
            let load = LoadArgs {
                mix: j.name().into(),
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
            let rec = runtimes.client.block_on(engine::run(&target, &fixture, &Mix::only(j), &schedule, &load))?;
            let row = rec
                .journeys
                .get(j.name())
                .map(|s| Row::from_stats(j.name(), s, rec.measured.as_secs_f64()))
                .ok_or_else(|| anyhow::anyhow!("no journey was measured"))?;
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
                break;
            }
            knee.knee_per_s = Some(rate);
            rate *= args.factor;
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
