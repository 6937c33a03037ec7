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
use crate::overload::{self, Overload};
use crate::report::Row;
use crate::scenario::{Journey, Mix};
use crate::search::Search;
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
    /// Step a mix instead (`checkout`, or weights as for `run --mix`): a rate holds when
    /// every journey of the mix keeps its p99 under `--p99` with no errors.
    #[arg(long, conflicts_with = "journey")]
    pub mix: Option<String>,
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
    /// so that one noisy step on a shared machine does not end it. Until a step holds,
    /// the rate is halved instead (down to 1/s), so a slow machine still finds its knee.
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
    /// The slowest journey's p99: the one a mix's bound applies to.
    p99_ms: f64,
    slowest: String,
    errors: u64,
    held: bool,
    /// Each journey's achieved rate, per second.
    by_journey: std::collections::BTreeMap<&'static str, f64>,
}

#[derive(Debug, Serialize)]
struct Knee {
    journey: String,
    p99_bound_ms: f64,
    knee_per_s: Option<f64>,
    steps: Vec<Step>,
    overload: Option<Overload>,
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
    let (name, mix) = match &args.mix {
        Some(spec) => (spec.clone(), Mix::parse(spec)?),
        None => (args.journey.clone(), Mix::only(Journey::parse(&args.journey)?)),
    };
    anyhow::ensure!(args.factor > 1.0 && args.factor <= 10.0, "--factor: above 1 and at most 10");
    anyhow::ensure!(args.from > 0.0, "--from: above 0");
    let runtimes = target::Runtimes::new(&args.target)?;
    let target = Arc::new(runtimes.start(&args.target)?);
    let fixture = Arc::new(runtimes.client.block_on(crate::seed::obtain(&target, &args.seed))?);
    let mut knees = Vec::new();
    let mut plan = Vec::new();
    if !args.no_bare {
        plan.push((Journey::Health.name().to_owned(), Mix::only(Journey::Health), args.bare_p99, true));
    }
    let with_bare = !args.no_bare;
    plan.push((name, mix, args.p99, false));
    for (name, mix, bound, is_bare) in plan {
        println!("\n{name} (p99 < {bound:?}, no errors), {:?} a step:", args.step);
        println!("| aimed/s | achieved/s | p50 ms | p99 ms | slowest | errors | held |");
        println!("|---|---|---|---|---|---|---|");
        let mut knee = Knee {
            journey: name.clone(),
            p99_bound_ms: bound.as_secs_f64() * 1000.0,
            knee_per_s: None,
            steps: vec![],
            overload: None,
        };
        let mut search = Search::new(args.from, args.factor, args.retries);
        for _ in 0..args.max_steps {
            let rate = search.rate();
            let (row, rec) = runtimes.client.block_on(measure(&target, &fixture, &mix, rate, &args))?;
            let (slowest, p99_ms) = slowest(&rec);
            let held = row.errors == 0 && p99_ms < knee.p99_bound_ms && row.achieved_per_s >= 0.95 * rate;
            println!(
                "| {rate:.0} | {:.0} | {:.2} | {p99_ms:.2} | {slowest} | {} | {} |",
                row.achieved_per_s,
                row.p50_ms,
                row.errors,
                if held { "yes" } else { "no" }
            );
            knee.steps.push(Step {
                aimed_per_s: rate,
                achieved_per_s: row.achieved_per_s,
                p50_ms: row.p50_ms,
                p99_ms,
                slowest: slowest.to_owned(),
                errors: row.errors,
                held,
                by_journey: rec.journeys.iter().map(|(j, s)| (*j, s.ok as f64 / measured_secs(&rec))).collect(),
            });
            if !search.record(held) {
                break;
            }
        }
        knee.knee_per_s = search.knee();
        if !is_bare
            && args.overload > 0.0
            && let Some(at) = knee.knee_per_s
        {
            let rate = at * args.overload;
            let (mut row, rec) = runtimes.client.block_on(measure(&target, &fixture, &mix, rate, &args))?;
            // As in the search, a mix's bound applies to its slowest journey.
            row.p99_ms = slowest(&rec).1;
            let o = overload::measure(rate, &row, &rec, knee.p99_bound_ms, &args);
            overload::print(&o, args.overload);
            knee.overload = Some(o);
        }
        knees.push(knee);
    }
    let ratio = match (&knees[..], with_bare) {
        ([bare, j], true) => j.knee_per_s.zip(bare.knee_per_s).map(|(j, b)| j / b),
        _ => None,
    };
    println!();
    for k in &knees {
        match k.knee_per_s {
            Some(r) => println!("knee of {}: {r:.0}/s (p99 < {} ms, no errors)", k.journey, k.p99_bound_ms),
            None => {
                let lowest = k.steps.iter().map(|s| s.aimed_per_s).fold(args.from, f64::min);
                println!("knee of {}: below {lowest:.1}/s (no step held)", k.journey)
            }
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

/// One measured step of `mix` at `rate`: every journey's calls together.
async fn measure(
    target: &Arc<target::Target>,
    fixture: &Arc<crate::seed::Fixture>,
    mix: &Mix,
    rate: f64,
    args: &KneeArgs,
) -> anyhow::Result<(Row, Recording)> {
    let load = LoadArgs {
        mix: String::new(),
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
    let rec = engine::run(target, fixture, mix, &schedule, &load).await?;
    anyhow::ensure!(!rec.journeys.is_empty(), "no journey was measured");
    let row = Row::from_stats("all journeys", &rec.total(), measured_secs(&rec));
    Ok((row, rec))
}

fn measured_secs(rec: &Recording) -> f64 {
    rec.measured.as_secs_f64().max(1e-9)
}

/// The journey with the highest p99, and that p99 in ms (`-` and 0 when none has one).
fn slowest(rec: &Recording) -> (&'static str, f64) {
    slowest_of(rec.journeys.iter().map(|(name, s)| (*name, s)))
}

fn slowest_of<'a>(journeys: impl Iterator<Item = (&'static str, &'a engine::Stats)>) -> (&'static str, f64) {
    journeys
        .map(|(name, s)| (name, crate::report::ms(&s.hist, 0.99)))
        .fold(("-", 0.0), |a, b| if b.1 > a.1 { b } else { a })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Stats;

    fn stats(micros: &[u64]) -> Stats {
        let mut s = Stats::new();
        for m in micros {
            s.hist.record(*m).unwrap();
        }
        s
    }

    #[test]
    fn a_mix_is_as_slow_as_its_slowest_journey() {
        let (fast, slow, none) = (stats(&[900; 100]), stats(&[40_000; 100]), stats(&[]));
        let named = [("gate-validated", &fast), ("order-gcc", &slow), ("list-get", &none)];
        let (name, p99) = slowest_of(named.into_iter());
        assert_eq!(name, "order-gcc");
        assert!((p99 - 40.0).abs() < 0.1, "{p99}");
        assert_eq!(slowest_of([("list-get", &none)].into_iter()), ("-", 0.0));
    }
}
