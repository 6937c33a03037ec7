//! The load: journeys started at intended times (open loop) or by N workers (closed
//! loop), recorded into HDR histograms per journey, per RPC and per second.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::task::JoinSet;

use crate::LoadArgs;
use crate::scenario::{self, Journey, Mix, Trace};
use crate::seed::Fixture;
use crate::target::Target;

/// Latencies up to a minute, three significant digits, in microseconds.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

/// When journeys start.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Arrival-rate stages `(duration, from, to)`, the first `warmup` long of them not
    /// measured.
    Open {
        stages: Vec<(Duration, f64, f64)>,
        warmup: Duration,
    },
    Closed {
        workers: usize,
        warmup: Duration,
        duration: Duration,
    },
}

impl Schedule {
    pub fn from_args(args: &LoadArgs) -> anyhow::Result<Self> {
        if let Some(n) = args.closed {
            anyhow::ensure!((1..=10_000).contains(&n), "--closed: 1 to 10000 in flight");
            return Ok(Schedule::Closed { workers: n, warmup: args.warmup, duration: args.duration });
        }
        if let Some(spec) = &args.stages {
            return Ok(Schedule::Open { stages: parse_stages(spec)?, warmup: Duration::ZERO });
        }
        Self::constant(args.rate, args.warmup, args.duration)
    }

    pub fn constant(rate: f64, warmup: Duration, duration: Duration) -> anyhow::Result<Self> {
        anyhow::ensure!(rate > 0.0 && rate <= 1_000_000.0, "--rate: above 0 and at most 1000000 per second");
        let mut stages = Vec::new();
        if !warmup.is_zero() {
            stages.push((warmup, rate, rate));
        }
        stages.push((duration, rate, rate));
        Ok(Schedule::Open { stages, warmup })
    }

    fn total(&self) -> Duration {
        match self {
            Schedule::Open { stages, .. } => stages.iter().map(|s| s.0).sum(),
            Schedule::Closed { warmup, duration, .. } => *warmup + *duration,
        }
    }

    fn warmup(&self) -> Duration {
        match self {
            Schedule::Open { warmup, .. } | Schedule::Closed { warmup, .. } => *warmup,
        }
    }

    /// The arrival rate `t` into the run (open loop).
    pub fn rate_at(&self, t: Duration) -> f64 {
        let Schedule::Open { stages, .. } = self else { return 0.0 };
        let mut begin = Duration::ZERO;
        for (d, from, to) in stages {
            if t < begin + *d {
                let f = (t - begin).as_secs_f64() / d.as_secs_f64();
                return from + (to - from) * f;
            }
            begin += *d;
        }
        0.0
    }

    /// Whether the rate is constant in the stage `t` falls in.
    pub fn flat_at(&self, t: Duration) -> bool {
        let Schedule::Open { stages, .. } = self else { return false };
        let mut begin = Duration::ZERO;
        for (d, from, to) in stages {
            if t < begin + *d {
                return from == to;
            }
            begin += *d;
        }
        false
    }

    pub fn describe(&self) -> String {
        match self {
            Schedule::Open { stages, warmup } => {
                let s: Vec<String> = stages
                    .iter()
                    .map(|(d, from, to)| {
                        if from == to {
                            format!("{:.0}/s for {:?}", to, d)
                        } else {
                            format!("{:.0}→{:.0}/s over {:?}", from, to, d)
                        }
                    })
                    .collect();
                if warmup.is_zero() {
                    format!("open loop: {}", s.join(", "))
                } else {
                    format!("open loop: {} (the first {:?} a warm-up, not measured)", s.join(", "), warmup)
                }
            }
            Schedule::Closed { workers, warmup, duration } => {
                format!("closed loop: {workers} in flight for {duration:?} after a warm-up of {warmup:?}")
            }
        }
    }
}

/// `30s:500,60s:2000,30s:0`.
pub fn parse_stages(spec: &str) -> anyhow::Result<Vec<(Duration, f64, f64)>> {
    let mut stages = Vec::new();
    let mut last = 0.0;
    for item in spec.split(',') {
        let (d, r) = item.split_once(':').ok_or_else(|| anyhow::anyhow!("--stages: DURATION:RATE, got {item:?}"))?;
        let d = gcc_platform::config::parse_duration(d.trim()).map_err(|e| anyhow::anyhow!("--stages: {e}"))?;
        let r: f64 = r.trim().parse().map_err(|_| anyhow::anyhow!("--stages: a rate, got {r:?}"))?;
        anyhow::ensure!(!d.is_zero(), "--stages: a stage lasts more than 0 s");
        anyhow::ensure!((0.0..=1_000_000.0).contains(&r), "--stages: rates from 0 to 1000000 per second");
        stages.push((d, last, r));
        last = r;
    }
    anyhow::ensure!(stages.len() <= 100, "--stages: at most 100 stages");
    anyhow::ensure!(
        stages.iter().map(|s| s.0).sum::<Duration>() <= Duration::from_secs(24 * 3600),
        "--stages: at most 24 h"
    );
    Ok(stages)
}

/// The resolution of Tokio's timer.
const TIMER_TICK: Duration = Duration::from_millis(1);

/// The intended send times of an open-loop schedule, from its start. On a flat stage
/// (or at 1,000/s and more) one gap is 1 / rate; on a ramp slower than that, arrivals
/// come where the rate integrated over 1 ms steps reaches the next whole journey.
pub struct Arrivals<'a> {
    schedule: &'a Schedule,
    t: Duration,
    total: Duration,
    credit: f64,
}

impl<'a> Arrivals<'a> {
    pub fn new(schedule: &'a Schedule) -> Self {
        Self { schedule, t: Duration::ZERO, total: schedule.total(), credit: 0.0 }
    }
}

impl Iterator for Arrivals<'_> {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let tick = Duration::from_millis(1);
        while self.t < self.total {
            let rate = self.schedule.rate_at(self.t);
            if rate > 0.0 && (self.schedule.flat_at(self.t) || rate >= 1000.0) {
                let at = self.t;
                self.t += Duration::from_secs_f64(1.0 / rate);
                return Some(at);
            }
            self.credit += rate * tick.as_secs_f64();
            self.t += tick;
            if self.credit >= 1.0 {
                self.credit -= 1.0;
                return Some(self.t);
            }
        }
        None
    }
}

/// Latency, count and statuses of a journey or an RPC.
pub struct Stats {
    /// Latencies of the calls with the outcome expected, in µs.
    pub hist: Histogram<u64>,
    pub attempted: u64,
    pub ok: u64,
    /// Counts by `CODE REASON` (and `OK`).
    pub statuses: BTreeMap<String, u64>,
    /// Latencies of the calls a server shed (`RESOURCE_EXHAUSTED`), in µs.
    pub shed: Histogram<u64>,
    /// Of those, the ones that carried `RetryInfo`.
    pub shed_with_retry: u64,
}

impl Stats {
    pub fn new() -> Self {
        Self {
            hist: histogram(),
            attempted: 0,
            ok: 0,
            statuses: BTreeMap::new(),
            shed: histogram(),
            shed_with_retry: 0,
        }
    }
}

impl Recording {
    /// Every journey's calls together: counts, statuses and latencies.
    pub fn total(&self) -> Stats {
        let mut total = Stats::new();
        for s in self.journeys.values() {
            total.attempted += s.attempted;
            total.ok += s.ok;
            let _ = total.hist.add(&s.hist);
            for (k, v) in &s.statuses {
                *total.statuses.entry(k.clone()).or_default() += v;
            }
        }
        total
    }
}

/// One second of the run, by completion time (started: by intended time).
pub struct Second {
    pub started: u64,
    pub ok: u64,
    pub errors: u64,
    pub hist: Histogram<u64>,
    pub by_journey: BTreeMap<&'static str, u64>,
}

impl Second {
    fn new() -> Self {
        Self {
            started: 0,
            ok: 0,
            errors: 0,
            hist: Histogram::new_with_bounds(1, 60_000_000, 2).expect("histogram bounds"),
            by_journey: BTreeMap::new(),
        }
    }
}

/// Everything measured.
pub struct Recording {
    pub journeys: BTreeMap<&'static str, Stats>,
    pub rpcs: BTreeMap<&'static str, Stats>,
    pub seconds: Vec<Second>,
    pub warmup: Duration,
    pub measured: Duration,
    pub schedule: Schedule,
    pub mix: Mix,
    /// Journeys due while `--max-in-flight` were open: not sent.
    pub saturated: u64,
}

struct Recorder {
    start: Instant,
    measure_from: Instant,
    journeys: BTreeMap<&'static str, Stats>,
    rpcs: BTreeMap<&'static str, Stats>,
    seconds: Vec<Second>,
    saturated: u64,
}

/// At most a day of seconds.
const MAX_SECONDS: usize = 24 * 3600 + 600;

impl Recorder {
    fn second(&mut self, at: Instant) -> &mut Second {
        let i = (at.saturating_duration_since(self.start).as_secs() as usize).min(MAX_SECONDS);
        while self.seconds.len() <= i {
            self.seconds.push(Second::new());
        }
        &mut self.seconds[i]
    }

    fn started(&mut self, intended: Instant) {
        self.second(intended).started += 1;
    }

    fn finished(&mut self, journey: Journey, intended: Instant, trace: &Trace) {
        let end = Instant::now();
        let micros = end.saturating_duration_since(intended).as_micros() as u64;
        let ok = trace.ok();
        let s = self.second(end);
        if ok {
            s.ok += 1;
            let _ = s.hist.record(micros.max(1));
        } else {
            s.errors += 1;
        }
        *s.by_journey.entry(journey.name()).or_default() += 1;
        if intended < self.measure_from {
            return;
        }
        let j = self.journeys.entry(journey.name()).or_insert_with(Stats::new);
        j.attempted += 1;
        let status = if ok { "OK".to_owned() } else { trace.failure().unwrap_or_else(|| "NO CALL".into()) };
        *j.statuses.entry(status).or_default() += 1;
        if ok {
            j.ok += 1;
            let _ = j.hist.record(micros.max(1));
        }
        for c in &trace.calls {
            let r = self.rpcs.entry(c.rpc).or_insert_with(Stats::new);
            r.attempted += 1;
            *r.statuses.entry(c.status.clone()).or_default() += 1;
            if c.expected {
                r.ok += 1;
                let _ = r.hist.record(c.micros.max(1));
            }
            if let Some(retry) = c.shed {
                let _ = r.shed.record(c.micros.max(1));
                r.shed_with_retry += u64::from(retry);
            }
        }
    }

    fn saturated(&mut self, journey: Journey, intended: Instant) {
        self.second(intended).errors += 1;
        if intended >= self.measure_from {
            let j = self.journeys.entry(journey.name()).or_insert_with(Stats::new);
            j.attempted += 1;
            *j.statuses.entry("CLIENT_SATURATED".into()).or_default() += 1;
            self.saturated += 1;
        }
    }
}

/// Runs `mix` on `schedule` and returns what was measured.
pub async fn run(
    target: &Arc<Target>,
    fixture: &Arc<Fixture>,
    mix: &Mix,
    schedule: &Schedule,
    args: &LoadArgs,
) -> anyhow::Result<Recording> {
    let start = Instant::now();
    let recorder = Arc::new(Mutex::new(Recorder {
        start,
        measure_from: start + schedule.warmup(),
        journeys: BTreeMap::new(),
        rpcs: BTreeMap::new(),
        seconds: Vec::new(),
        saturated: 0,
    }));
    let end = start + schedule.total();
    let progress = progress_line(recorder.clone(), schedule.clone(), start);
    let mut tasks = JoinSet::new();
    let deadline = args.deadline;
    match schedule {
        Schedule::Open { .. } => {
            let mut rng = StdRng::seed_from_u64(args.mix_seed);
            let mut n: u64 = 0;
            for offset in Arrivals::new(schedule) {
                // Tokio's timer fires on the first 1 ms tick at or after its deadline, so
                // a journey woken at its intended time would go out up to 1 ms late and
                // charge the servers for the client's clock. Wake a tick early instead, and
                // time the journey from the earlier of its intended time and the wake-up
                // (just before it is sent): late sends still count against the servers
                // (coordinated omission), early ones from when the client took them up.
                let due = start + offset;
                tokio::time::sleep_until(due.checked_sub(TIMER_TICK).unwrap_or(due).max(start).into()).await;
                let intended = due.min(Instant::now());
                while tasks.try_join_next().is_some() {}
                let journey = mix.pick(&mut rng);
                n += 1;
                if tasks.len() >= args.max_in_flight {
                    recorder.lock().expect("recorder").saturated(journey, intended);
                    continue;
                }
                recorder.lock().expect("recorder").started(intended);
                let (target, fixture, recorder) = (target.clone(), fixture.clone(), recorder.clone());
                let mut rng = StdRng::seed_from_u64(args.mix_seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                tasks.spawn(async move {
                    let mut trace = Trace::new(intended, deadline);
                    scenario::run(journey, &target, &fixture, &mut rng, &mut trace).await;
                    recorder.lock().expect("recorder").finished(journey, intended, &trace);
                });
            }
        }
        Schedule::Closed { workers, .. } => {
            for w in 0..*workers {
                let (target, fixture, recorder, mix) = (target.clone(), fixture.clone(), recorder.clone(), mix.clone());
                let mut rng = StdRng::seed_from_u64(args.mix_seed ^ (w as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                tasks.spawn(async move {
                    loop {
                        let intended = Instant::now();
                        if intended >= end {
                            break;
                        }
                        let journey = mix.pick(&mut rng);
                        recorder.lock().expect("recorder").started(intended);
                        let mut trace = Trace::new(intended, deadline);
                        scenario::run(journey, &target, &fixture, &mut rng, &mut trace).await;
                        recorder.lock().expect("recorder").finished(journey, intended, &trace);
                    }
                });
            }
        }
    }
    // Journeys still in flight end by their deadlines (a journey has at most 8 calls).
    let drain = tokio::time::timeout(deadline * 9 + Duration::from_secs(1), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drain.is_err() {
        eprintln!("gcc-load: {} journeys did not end within their deadlines; not counted", tasks.len());
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    progress.abort();
    let _ = progress.await;
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let recorder = Arc::into_inner(recorder)
        .ok_or_else(|| anyhow::anyhow!("a journey still holds the recorder"))?
        .into_inner()
        .map_err(|_| anyhow::anyhow!("the recorder was poisoned"))?;
    let mut seconds = recorder.seconds;
    seconds.truncate(schedule.total().as_secs_f64().ceil() as usize + 1);
    Ok(Recording {
        journeys: recorder.journeys,
        rpcs: recorder.rpcs,
        seconds,
        warmup: schedule.warmup(),
        measured: schedule.total() - schedule.warmup(),
        schedule: schedule.clone(),
        mix: mix.clone(),
        saturated: recorder.saturated,
    })
}

/// Once a second: the rate aimed at, journeys started and ended in the last second,
/// its p99 and the errors so far.
fn progress_line(recorder: Arc<Mutex<Recorder>>, schedule: Schedule, start: Instant) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tty = std::io::stderr().is_terminal();
        let total = schedule.total().as_secs();
        let mut tick = tokio::time::interval_at((start + Duration::from_secs(1)).into(), Duration::from_secs(1));
        loop {
            tick.tick().await;
            let elapsed = start.elapsed();
            let sec = elapsed.as_secs().saturating_sub(1) as usize;
            let line = {
                let r = recorder.lock().expect("recorder");
                let errors: u64 = r.seconds.iter().map(|s| s.errors).sum();
                match r.seconds.get(sec) {
                    Some(s) => format!(
                        "[{:>4}s/{total}s] aim {:>7.0}/s  started {:>6}/s  ok {:>6}/s  p99 {:>8.2} ms  errors {errors}",
                        sec + 1,
                        schedule.rate_at(Duration::from_secs(sec as u64)),
                        s.started,
                        s.ok,
                        s.hist.value_at_quantile(0.99) as f64 / 1000.0,
                    ),
                    None => format!("[{:>4}s/{total}s] waiting", sec + 1),
                }
            };
            if tty {
                eprint!("\r{line}   ");
            } else if (sec + 1).is_multiple_of(5) {
                eprintln!("{line}");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_follow_the_rate_on_flat_stages_and_ramps() {
        let flat = Schedule::constant(60.0, Duration::ZERO, Duration::from_secs(3)).unwrap();
        assert_eq!(Arrivals::new(&flat).count(), 180);
        // 0→10 over 3 s, 10→40 over 8 s, 40→10 over 3 s: 15 + 200 + 75 journeys.
        let ramps = Schedule::Open { stages: parse_stages("3s:10,8s:40,3s:10").unwrap(), warmup: Duration::ZERO };
        let n = Arrivals::new(&ramps).count();
        assert!((288..=291).contains(&n), "{n}");
        let times: Vec<Duration> = Arrivals::new(&ramps).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "in order");
        assert!(times.last().unwrap() < &Duration::from_secs(14));
        // Past 1,000/s a ramp steps by 1 / rate too.
        let fast = Schedule::Open { stages: parse_stages("1s:5000").unwrap(), warmup: Duration::ZERO };
        let n = Arrivals::new(&fast).count();
        assert!((2400..=2600).contains(&n), "{n}");
        let idle = Schedule::Open { stages: parse_stages("2s:0").unwrap(), warmup: Duration::ZERO };
        assert_eq!(Arrivals::new(&idle).count(), 0);
    }
}
