//! Service-level objectives a pipeline can gate on: `PlaceOrder:p99<50ms,errors<0.1%`.

use serde::{Deserialize, Serialize};

use crate::report::{Report, Row};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    P50,
    P90,
    P99,
    P999,
    Max,
    Errors,
    Rate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// An RPC or journey name; `None` for every journey together.
    pub scope: Option<String>,
    pub metric: Metric,
    /// `<` (latencies, errors) or `>` (rate).
    pub below: bool,
    /// Milliseconds, a percentage, or calls per second.
    pub bound: f64,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SloResult {
    pub objective: String,
    pub met: bool,
    pub measured: String,
}

/// `[SCOPE:]METRIC<VALUE,…`: a scope applies to the items after it until the next one.
pub fn parse(spec: &str) -> anyhow::Result<Vec<Objective>> {
    let mut scope: Option<String> = None;
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let cond = match item.split_once(':') {
            Some((s, cond)) => {
                anyhow::ensure!(!s.trim().is_empty(), "--slo: an empty name before ':' in {item:?}");
                scope = Some(s.trim().to_owned());
                cond.trim()
            }
            None => item,
        };
        let (below, (metric, value)) = if let Some(p) = cond.split_once('<') {
            (true, p)
        } else if let Some(p) = cond.split_once('>') {
            (false, p)
        } else {
            anyhow::bail!("--slo: METRIC<VALUE or rate>VALUE, got {item:?}");
        };
        let metric = match metric.trim() {
            "p50" => Metric::P50,
            "p90" => Metric::P90,
            "p99" => Metric::P99,
            "p99.9" => Metric::P999,
            "max" => Metric::Max,
            "errors" => Metric::Errors,
            "rate" => Metric::Rate,
            m => anyhow::bail!("--slo: unknown metric {m:?} (p50, p90, p99, p99.9, max, errors, rate)"),
        };
        let value = value.trim();
        let bound = match metric {
            Metric::P50 | Metric::P90 | Metric::P99 | Metric::P999 | Metric::Max => {
                anyhow::ensure!(below, "--slo: latencies are bounded from above: {item:?}");
                let d =
                    gcc_platform::config::parse_duration(value).map_err(|e| anyhow::anyhow!("--slo {item:?}: {e}"))?;
                d.as_secs_f64() * 1000.0
            }
            Metric::Errors => {
                anyhow::ensure!(below, "--slo: errors are bounded from above: {item:?}");
                let v = value
                    .strip_suffix('%')
                    .ok_or_else(|| anyhow::anyhow!("--slo: errors as a percentage: {item:?}"))?;
                v.trim().parse::<f64>().map_err(|_| anyhow::anyhow!("--slo: a percentage, got {value:?}"))?
            }
            Metric::Rate => {
                anyhow::ensure!(!below, "--slo: a rate is bounded from below (rate>N): {item:?}");
                value
                    .trim_end_matches("/s")
                    .parse::<f64>()
                    .map_err(|_| anyhow::anyhow!("--slo: a rate, got {value:?}"))?
            }
        };
        anyhow::ensure!(bound.is_finite() && bound >= 0.0, "--slo: a bound of 0 or more: {item:?}");
        let text = match &scope {
            Some(s) => format!("{s}:{cond}"),
            None => cond.to_owned(),
        };
        out.push(Objective { scope: scope.clone(), metric, below, bound, text });
    }
    anyhow::ensure!(!out.is_empty(), "--slo: no objective");
    anyhow::ensure!(out.len() <= 100, "--slo: at most 100 objectives");
    Ok(out)
}

fn measure(o: &Objective, r: &Row) -> f64 {
    match o.metric {
        Metric::P50 => r.p50_ms,
        Metric::P90 => r.p90_ms,
        Metric::P99 => r.p99_ms,
        Metric::P999 => r.p999_ms,
        Metric::Max => r.max_ms,
        Metric::Errors => r.error_ratio * 100.0,
        Metric::Rate => r.achieved_per_s,
    }
}

/// Judges each objective against the report; a name that was never called breaches.
pub fn evaluate(objectives: &[Objective], report: &Report) -> Vec<SloResult> {
    objectives
        .iter()
        .map(|o| match report.row(o.scope.as_deref()) {
            Some(r) if r.attempted > 0 => {
                let m = measure(o, r);
                let met = if o.below { m < o.bound } else { m > o.bound };
                let unit = match o.metric {
                    Metric::Errors => "%",
                    Metric::Rate => "/s",
                    _ => " ms",
                };
                SloResult { objective: o.text.clone(), met, measured: format!("{m:.3}{unit}") }
            }
            _ => SloResult { objective: o.text.clone(), met: false, measured: "no calls".into() },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_applies_to_the_items_after_it() {
        let o = parse("PlaceOrder:p99<50ms,errors<0.1%,gate-validated:p99.9<20ms").unwrap();
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].scope.as_deref(), Some("PlaceOrder"));
        assert_eq!((o[0].metric, o[0].bound), (Metric::P99, 50.0));
        assert_eq!((o[1].scope.as_deref(), o[1].metric, o[1].bound), (Some("PlaceOrder"), Metric::Errors, 0.1));
        assert_eq!((o[2].scope.as_deref(), o[2].bound), (Some("gate-validated"), 20.0));
        let unscoped = parse("p99<1s,rate>10").unwrap();
        assert_eq!((unscoped[0].scope.clone(), unscoped[0].bound), (None, 1000.0));
        assert_eq!((unscoped[1].metric, unscoped[1].below), (Metric::Rate, false));
    }

    #[test]
    fn nonsense_is_refused_with_the_item() {
        for bad in ["p99", "p95<5ms", "errors<5", "p99>5ms", "rate<5", ":p99<5ms", ""] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
