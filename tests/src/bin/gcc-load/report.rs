//! The report: per journey and per RPC, over time, as JSON, CSV and an HTML page.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::engine::{Recording, Stats};
use crate::scenario::Journey;
use crate::seed::{Fixture, Phase};
use crate::slo::SloResult;
use crate::target::Target;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub tool: String,
    /// UTC, when the report was written.
    pub date: String,
    pub target: String,
    pub backend: String,
    pub mode: String,
    pub mix: Vec<MixEntry>,
    pub deadline_ms: f64,
    pub warmup_s: f64,
    pub measured_s: f64,
    pub data: DataSize,
    /// Every journey together.
    pub total: Row,
    pub journeys: Vec<Row>,
    pub rpcs: Vec<Row>,
    /// One row per second from the start (warm-up included).
    pub timeline: Vec<SecondRow>,
    pub slo: Vec<SloResult>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MixEntry {
    pub journey: String,
    pub weight: u32,
    pub rpcs: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataSize {
    pub partners: usize,
    pub customers: usize,
    pub orders: usize,
    pub seed: u64,
    pub phases: Vec<Phase>,
}

/// A journey's or an RPC's figures over the measured time. Latencies are of the calls
/// with the outcome expected, timed from the intended send time (open loop).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    pub attempted: u64,
    pub ok: u64,
    pub errors: u64,
    pub error_ratio: f64,
    pub attempted_per_s: f64,
    pub achieved_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    /// Counts by `CODE REASON` (`OK`, `FAILED_PRECONDITION CUSTOMER_NOT_ELIGIBLE`, …).
    pub statuses: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecondRow {
    pub second: usize,
    pub measured: bool,
    pub aimed_per_s: f64,
    pub started: u64,
    pub ok: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub by_journey: BTreeMap<String, u64>,
}

/// The `q` quantile of `h` in ms; 0 when it is empty.
pub fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() { 0.0 } else { h.value_at_quantile(q) as f64 / 1000.0 }
}

impl Row {
    pub fn from_stats(name: &str, s: &Stats, secs: f64) -> Self {
        let errors = s.attempted - s.ok;
        Row {
            name: name.to_owned(),
            attempted: s.attempted,
            ok: s.ok,
            errors,
            error_ratio: if s.attempted == 0 { 0.0 } else { errors as f64 / s.attempted as f64 },
            attempted_per_s: s.attempted as f64 / secs,
            achieved_per_s: s.ok as f64 / secs,
            p50_ms: ms(&s.hist, 0.50),
            p90_ms: ms(&s.hist, 0.90),
            p99_ms: ms(&s.hist, 0.99),
            p999_ms: ms(&s.hist, 0.999),
            max_ms: if s.hist.is_empty() { 0.0 } else { s.hist.max() as f64 / 1000.0 },
            mean_ms: if s.hist.is_empty() { 0.0 } else { s.hist.mean() / 1000.0 },
            statuses: s.statuses.clone(),
        }
    }
}

impl Report {
    pub fn build(rec: Recording, target: &Target, fixture: &Fixture, deadline: std::time::Duration) -> Self {
        let secs = rec.measured.as_secs_f64().max(1e-9);
        let total = rec.total();
        let warm = rec.warmup.as_secs() as usize;
        let timeline = rec
            .seconds
            .iter()
            .enumerate()
            .map(|(i, s)| SecondRow {
                second: i,
                measured: i >= warm,
                aimed_per_s: rec.schedule.rate_at(std::time::Duration::from_secs(i as u64)),
                started: s.started,
                ok: s.ok,
                errors: s.errors,
                p50_ms: ms(&s.hist, 0.5),
                p99_ms: ms(&s.hist, 0.99),
                by_journey: s.by_journey.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            })
            .collect();
        let mut notes = vec![
            "Latencies are of the calls with the outcome expected; a journey's first call (and the journey) \
             is timed from its intended send time, so queueing in the client counts."
                .to_owned(),
        ];
        if rec.saturated > 0 {
            notes.push(format!(
                "{} journeys were due while --max-in-flight were open and were not sent (CLIENT_SATURATED): \
                 the client could not keep the rate",
                rec.saturated
            ));
        }
        if cfg!(debug_assertions) {
            notes.push(
                "A debug build of gcc-load (and of the in-process servers): the figures are not their speed.".into(),
            );
        }
        if target.in_process() {
            notes.push(
                "Client and servers share this machine's cores: compare rates as ratios to the bare health \
                 check (`--mix health` or `gcc-load knee`) measured in the same way."
                    .into(),
            );
        }
        let data = &fixture.data;
        Report {
            tool: "gcc-load".into(),
            date: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            target: target.description.clone(),
            backend: target.backend.into(),
            mode: rec.schedule.describe(),
            mix: rec
                .mix
                .weights
                .iter()
                .map(|(j, w)| MixEntry { journey: j.name().into(), weight: *w, rpcs: j.describe().into() })
                .collect(),
            deadline_ms: deadline.as_secs_f64() * 1000.0,
            warmup_s: rec.warmup.as_secs_f64(),
            measured_s: secs,
            data: DataSize {
                partners: fixture.partners.len(),
                customers: fixture.customers,
                orders: fixture.orders,
                seed: data.seed,
                phases: data.phases.clone(),
            },
            total: Row::from_stats("all journeys", &total, secs),
            journeys: Journey::ALL
                .iter()
                .filter_map(|j| rec.journeys.get(j.name()).map(|s| Row::from_stats(j.name(), s, secs)))
                .collect(),
            rpcs: rec.rpcs.iter().map(|(n, s)| Row::from_stats(n, s, secs)).collect(),
            timeline,
            slo: Vec::new(),
            notes,
        }
    }

    /// The row of an RPC or a journey (or every journey together for `None`).
    pub fn row(&self, name: Option<&str>) -> Option<&Row> {
        match name {
            None => Some(&self.total),
            Some(n) => self.rpcs.iter().chain(&self.journeys).find(|r| r.name == n),
        }
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(self)?)?;
        std::fs::write(dir.join("summary.csv"), self.summary_csv())?;
        std::fs::write(dir.join("timeline.csv"), self.timeline_csv())?;
        std::fs::write(dir.join("report.html"), crate::html::page(self))?;
        Ok(())
    }

    pub fn summary_csv(&self) -> String {
        let mut out = String::from(
            "kind,name,attempted,ok,errors,error_ratio,attempted_per_s,achieved_per_s,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mean_ms,statuses\n",
        );
        let rows = std::iter::once(("total", &self.total))
            .chain(self.journeys.iter().map(|r| ("journey", r)))
            .chain(self.rpcs.iter().map(|r| ("rpc", r)));
        for (kind, r) in rows {
            let statuses: Vec<String> = r.statuses.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(
                out,
                "{kind},{},{},{},{},{:.6},{:.2},{:.2},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},\"{}\"",
                r.name,
                r.attempted,
                r.ok,
                r.errors,
                r.error_ratio,
                r.attempted_per_s,
                r.achieved_per_s,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.p999_ms,
                r.max_ms,
                r.mean_ms,
                statuses.join(";").replace('"', "'")
            );
        }
        out
    }

    pub fn timeline_csv(&self) -> String {
        let mut out = String::from("second,measured,aimed_per_s,started,ok,errors,p50_ms,p99_ms\n");
        for s in &self.timeline {
            let _ = writeln!(
                out,
                "{},{},{:.1},{},{},{},{:.3},{:.3}",
                s.second, s.measured, s.aimed_per_s, s.started, s.ok, s.errors, s.p50_ms, s.p99_ms
            );
        }
        out
    }

    pub fn print_summary(&self) {
        println!("gcc-load: {}; {}", self.target, self.mode);
        println!(
            "data: {} partners, {} customers, {} orders seeded (seed {}); deadline {:.0} ms",
            self.data.partners, self.data.customers, self.data.orders, self.data.seed, self.deadline_ms
        );
        println!(
            "| {:<26} | {:>9} | {:>9} | {:>8} | {:>8} | {:>8} | {:>8} | {:>8} | {:>7} |",
            "journey / RPC", "aimed/s", "ok/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors"
        );
        let rows = std::iter::once(&self.total).chain(&self.journeys).chain(&self.rpcs);
        for r in rows {
            println!(
                "| {:<26} | {:>9.1} | {:>9.1} | {:>8.2} | {:>8.2} | {:>8.2} | {:>8.2} | {:>8.2} | {:>7} |",
                r.name,
                r.attempted_per_s,
                r.achieved_per_s,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.p999_ms,
                r.max_ms,
                r.errors
            );
        }
        for r in self.journeys.iter().chain(&self.rpcs) {
            let other: Vec<String> =
                r.statuses.iter().filter(|(k, _)| k.as_str() != "OK").map(|(k, v)| format!("{k}: {v}")).collect();
            if !other.is_empty() {
                println!("{}: {}", r.name, other.join(", "));
            }
        }
        for s in &self.slo {
            println!("objective {}: {} (measured {})", s.objective, if s.met { "met" } else { "BREACHED" }, s.measured);
        }
    }
}
