//! One case: a fresh model and fresh tenants, `steps` steps drawn from one seed, each
//! run against the services and compared with the model.
//!
//! Not proptest-state-machine: its `StateMachineTest::apply` is synchronous, while every
//! step here is an async call over TCP into one stack shared by all cases, and the names a
//! step needs (links, codes, invitation tokens) exist only once earlier steps ran.
//! Shrinking would replay long sequences against the live services. A seeded generator
//! and a shrink-free runner replay a failure exactly from its seed instead, and report
//! the step index and the steps before it.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tonic::Status;
use tonic_types::StatusExt;

use super::generate;
use super::model::Model;
use super::rules::Expect;
use super::runner::Sut;
use super::steps::Step;
use super::world::World;

/// Steps shown before a failing one.
const HISTORY: usize = 20;
/// A step is a few calls on 127.0.0.1; one that takes this long is stuck.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// How often each step ended each way, over all cases.
#[derive(Default)]
pub struct Stats(pub BTreeMap<String, u64>);

impl Stats {
    /// Placed and refused GCC orders.
    pub fn gcc_orders(&self) -> (u64, u64) {
        let count = |placed: bool| {
            self.0
                .iter()
                .filter(|(k, _)| k.starts_with("Order GCC") && k.ends_with(": ok") == placed)
                .map(|(_, n)| n)
                .sum()
        };
        (count(true), count(false))
    }
}

/// Runs one case; on a disagreement, everything needed to replay and read it.
pub async fn run(sut: &Sut, seed: u64, steps: u64, stats: &mut Stats) -> Result<(), String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Model::new();
    let mut world = World::new(&model);
    let mut history = VecDeque::with_capacity(HISTORY);
    for i in 0..steps {
        let step = generate::next(&model, &mut rng);
        let observed = match tokio::time::timeout(STEP_TIMEOUT, sut.run(&mut world, &model, &step)).await {
            Ok(observed) => observed,
            Err(_) => Err(Status::deadline_exceeded(format!("no answer within {STEP_TIMEOUT:?}"))),
        };
        let label = label(&model, &step);
        let expected = model.apply(&step);
        let verdict = compare(&expected, &observed).and_then(|()| world.check_aligned(&model));
        if let Err(why) = verdict {
            let before: Vec<String> = history.into_iter().collect();
            return Err(format!(
                "case seed {seed}, step {i}: {step:?}\n  {why}\n  the {} steps before it:\n    {}",
                before.len(),
                before.join("\n    ")
            ));
        }
        let outcome = outcome(&expected);
        *stats.0.entry(format!("{label}: {outcome}")).or_default() += 1;
        if history.len() == HISTORY {
            history.pop_front();
        }
        history.push_back(format!("#{i} {step:?} -> {outcome}"));
    }
    Ok(())
}

/// The step's name; for an order, also who placed it and how it manages the customer.
fn label(m: &Model, step: &Step) -> String {
    match *step {
        Step::Order { partner, customer, .. } => {
            let how = match m.relationships.get(&(partner, customer)) {
                Some(_) => "own relationship",
                None if m.manages(partner, customer) => "reseller's relationship",
                None => "unmanaged",
            };
            format!("{} by {:?}, {how}", step.name(), m.partners[partner].kind)
        }
        _ => step.name().to_owned(),
    }
}

/// The model's outcome in one line: `ok`, or the code, reason and gate reasons.
fn outcome(expected: &Expect) -> String {
    match expected {
        Ok(()) => "ok".to_owned(),
        Err(r) if r.gate.is_empty() => format!("{:?} {}", r.code, r.reason),
        Err(r) => format!("{:?} {} [{}]", r.code, r.reason, r.gate.join(",")),
    }
}

/// A step the model allows must succeed; a refusal must carry the code and reason the
/// model expects, and for a GCC order the gate's reasons too.
fn compare(expected: &Expect, observed: &Result<(), Status>) -> Result<(), String> {
    match (expected, observed) {
        (Ok(()), Ok(())) => Ok(()),
        (Ok(()), Err(s)) => Err(format!("the model allows it; the services answered {}", describe(s))),
        (Err(_), Ok(())) => Err(format!("the model expects {}; the services did it", outcome(expected))),
        (Err(r), Err(s)) => {
            let gate = gate_reasons(s);
            let same = s.code() == r.code && gcc_testkit::reason(s) == r.reason && gate == r.gate;
            if same {
                Ok(())
            } else {
                Err(format!("the model expects {}; the services answered {}", outcome(expected), describe(s)))
            }
        }
    }
}

/// The gate's reasons that a refused order lists in `ErrorInfo.metadata["reasons"]`.
fn gate_reasons(s: &Status) -> Vec<String> {
    let info = s.get_error_details().error_info().map(|i| i.metadata.get("reasons").cloned().unwrap_or_default());
    info.unwrap_or_default().split(',').filter(|r| !r.is_empty()).map(str::to_owned).collect()
}

fn describe(s: &Status) -> String {
    let gate = gate_reasons(s);
    let gate = if gate.is_empty() { String::new() } else { format!(" [{}]", gate.join(",")) };
    format!("{:?} {}{gate} ({})", s.code(), gcc_testkit::reason(s), s.message())
}
