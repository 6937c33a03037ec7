//! A model-based test of the eligibility gate (R18): random sequences of steps (enrollment,
//! reseller links, partner and customer validations, codes, customers, invitations,
//! relationships, orders) run against the four services over TCP, each checked against a
//! small reference model of DOMAIN.md. The invariant: a GCC order is placed if and only if
//! the model says its caller may place it at that moment; and every other step succeeds
//! or is refused (code and `ErrorInfo.reason`) as the model says.
//!
//! Environment: `GCC_MODEL_STEPS` (all cases together, default 10,000),
//! `GCC_MODEL_CASE_STEPS` (default 500), `GCC_MODEL_SEED` (default random; printed at
//! the start, and each failing case prints the seed that replays it alone), and
//! `GCC_TEST_POSTGRES_URL` to run on PostgreSQL.

#[path = "gate_model/case.rs"]
mod case;
#[path = "gate_model/generate.rs"]
mod generate;
#[path = "gate_model/model.rs"]
mod model;
#[path = "gate_model/rules.rs"]
mod rules;
#[path = "gate_model/rules_customers.rs"]
mod rules_customers;
#[path = "gate_model/runner.rs"]
mod runner;
#[path = "gate_model/runner_customers.rs"]
mod runner_customers;
#[path = "gate_model/steps.rs"]
mod steps;
#[path = "gate_model/world.rs"]
mod world;

use std::time::Instant;

use gcc_e2e::{Options, Stack};

const DEFAULT_STEPS: u64 = 10_000;
const DEFAULT_CASE_STEPS: u64 = 500;

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok().filter(|v| !v.is_empty())?;
    Some(value.parse().unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r18_a_gcc_order_is_placed_exactly_when_the_model_allows_it() {
    let seed = env_u64("GCC_MODEL_SEED").unwrap_or_else(rand::random);
    let total = env_u64("GCC_MODEL_STEPS").unwrap_or(DEFAULT_STEPS);
    let per_case = env_u64("GCC_MODEL_CASE_STEPS").unwrap_or(DEFAULT_CASE_STEPS).max(1);
    let backend = gcc_testkit::backend();
    println!("gate model: GCC_MODEL_SEED={seed} GCC_MODEL_STEPS={total} GCC_MODEL_CASE_STEPS={per_case} on {backend}");

    // One stack for the whole run: four servers and four databases are too dear to start
    // per case, and each case's fresh tenants and domains keep the cases apart.
    // The gate reuses no fact (`--fact-cache-ttl 0s`), so that its verdict is exact at
    // every step; the cache and its bound are tested in gcc-platform (`TtlCache`) and in
    // customer-validation's gate tests.
    let postgres = std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    let options =
        Options { postgres, validation_args: vec!["--fact-cache-ttl".into(), "0s".into()], ..Default::default() };
    let stack = Stack::start(options).await.expect("the service set starts");
    let sut = runner::Sut::connect(&stack).await;
    sut.check_catalog().await;

    let started = Instant::now();
    let mut stats = case::Stats::default();
    let (mut done, mut cases) = (0, 0);
    while done < total {
        let steps = per_case.min(total - done);
        let case_seed = seed.wrapping_add(cases);
        if let Err(failure) = case::run(&sut, case_seed, steps, &mut stats).await {
            panic!(
                "the services and the model disagree after {done} earlier steps (run seed {seed}):\n{failure}\n\
                 replay this case alone: GCC_MODEL_SEED={case_seed} GCC_MODEL_STEPS={steps} GCC_MODEL_CASE_STEPS={steps}"
            );
        }
        done += steps;
        cases += 1;
    }
    let elapsed = started.elapsed();
    for (outcome, n) in &stats.0 {
        println!("  {n:>6}  {outcome}");
    }
    let (placed, refused) = stats.gcc_orders();
    println!(
        "gate model: {done} steps in {cases} cases on {backend} in {elapsed:.1?}; GCC orders placed {placed}, refused {refused}"
    );
    // A run long enough to mean something must have reached both sides of the invariant.
    if done >= 2_000 {
        assert!(
            placed > 0 && refused > 0,
            "the run never reached both sides of the gate: {placed} placed, {refused} refused"
        );
    }
}
