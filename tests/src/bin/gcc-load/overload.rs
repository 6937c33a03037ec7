//! The knee search's last step, at a multiple of the knee: what the servers admitted, what
//! they shed, how fast a shed call was answered and whether it said when to retry.

use serde::Serialize;

use crate::engine::{self, Recording};
use crate::knee::KneeArgs;
use crate::report::Row;

/// The step past the knee: what was admitted, what was shed, and how fast the shedding was.
#[derive(Debug, Serialize)]
pub struct Overload {
    aimed_per_s: f64,
    /// Journeys that met their expected outcome.
    admitted_per_s: f64,
    admitted_p50_ms: f64,
    admitted_p99_ms: f64,
    /// Calls a server shed (`RESOURCE_EXHAUSTED`), of every RPC of the journey.
    shed_per_s: f64,
    /// The shed calls' latencies and the share of them that said when to retry; `None`
    /// (`null`) when nothing was shed.
    shed_p50_ms: Option<f64>,
    shed_p99_ms: Option<f64>,
    shed_max_ms: Option<f64>,
    shed_with_retry_info: Option<f64>,
    /// Outcomes of the journey, by `CODE REASON`.
    statuses: std::collections::BTreeMap<String, u64>,
    /// Admitted p99 under the journey's bound, shed p99 under `--shed-p99`, every shed
    /// call with `RetryInfo`.
    held: bool,
}

pub fn measure(rate: f64, row: &Row, rec: &Recording, bound_ms: f64, args: &KneeArgs) -> Overload {
    let mut shed = engine::histogram();
    let mut with_retry = 0;
    for s in rec.rpcs.values() {
        let _ = shed.add(&s.shed);
        with_retry += s.shed_with_retry;
    }
    let secs = rec.measured.as_secs_f64().max(1e-9);
    // Nothing shed: no latency or share to report (`null`, printed as `-`).
    let some = |v: f64| (!shed.is_empty()).then_some(v);
    let ms = |q: f64| some(shed.value_at_quantile(q) as f64 / 1000.0);
    let shed_p99_ms = ms(0.99);
    let shed_max_ms = some(shed.max() as f64 / 1000.0);
    let retry_share = some(with_retry as f64 / shed.len().max(1) as f64);
    // Summed over the journeys: a mix's journeys share outcomes such as `OK`.
    let statuses = rec.total().statuses;
    let shed_bound = args.shed_p99.as_secs_f64() * 1000.0;
    Overload {
        aimed_per_s: rate,
        admitted_per_s: row.achieved_per_s,
        admitted_p50_ms: row.p50_ms,
        admitted_p99_ms: row.p99_ms,
        shed_per_s: shed.len() as f64 / secs,
        shed_p50_ms: ms(0.5),
        shed_p99_ms,
        shed_max_ms,
        shed_with_retry_info: retry_share,
        statuses,
        held: row.p99_ms < bound_ms
            && shed_p99_ms.is_none_or(|p99| p99 < shed_bound)
            && retry_share.is_none_or(|share| share >= 1.0),
    }
}

pub fn print(o: &Overload, factor: f64) {
    println!("\noverload: {factor}x the knee, {:.0}/s aimed", o.aimed_per_s);
    println!(
        "| admitted/s | admitted p50 ms | admitted p99 ms | shed/s | shed p50 ms | shed p99 ms | shed max ms | shed with RetryInfo | held |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {:.0} | {:.2} | {:.2} | {:.0} | {} | {} | {} | {} | {} |",
        o.admitted_per_s,
        o.admitted_p50_ms,
        o.admitted_p99_ms,
        o.shed_per_s,
        or_dash(o.shed_p50_ms, |v| format!("{v:.2}")),
        or_dash(o.shed_p99_ms, |v| format!("{v:.2}")),
        or_dash(o.shed_max_ms, |v| format!("{v:.2}")),
        or_dash(o.shed_with_retry_info, |v| format!("{:.0} %", v * 100.0)),
        if o.held { "yes" } else { "no" }
    );
    let outcomes: Vec<String> = o.statuses.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    println!("outcomes: {}", outcomes.join(", "));
}

fn or_dash(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "-".into(), show)
}
