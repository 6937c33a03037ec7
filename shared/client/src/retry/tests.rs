use std::sync::atomic::{AtomicU32, Ordering};

use gcc_core::Problem;

use super::*;

fn quick() -> RetryPolicy {
    RetryPolicy { base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(5), ..Default::default() }
}

fn overloaded(after: Option<Duration>) -> Status {
    let p = Problem::new(Code::ResourceExhausted, "OVERLOADED", "busy");
    after.map_or(p.clone(), |d| p.with_retry(d)).into_status("gcc.test.v1")
}

/// Fails with `status` `failures` times, then answers; counts the attempts.
async fn run(replay: Replay, failures: u32, status: Status, budget: &RetryBudget) -> (Result<u32, Status>, u32) {
    let attempts = AtomicU32::new(0);
    let result = retry_with(&quick(), budget, replay, || {
        let n = attempts.fetch_add(1, Ordering::SeqCst);
        let status = status.clone();
        async move { if n < failures { Err(status) } else { Ok(n) } }
    })
    .await;
    (result, attempts.load(Ordering::SeqCst))
}

#[tokio::test]
async fn reads_are_retried_on_unavailable_and_overload() {
    let budget = RetryBudget::new(0.2, 100.0);
    let (r, n) = run(Replay::Read, 2, Status::unavailable("down"), &budget).await;
    assert_eq!((r.map_err(|s| s.code()), n), (Ok(2), 3));
    let (r, n) = run(Replay::Read, 1, overloaded(None), &budget).await;
    assert_eq!((r.map_err(|s| s.code()), n), (Ok(1), 2));
}

#[tokio::test]
async fn mutations_are_retried_only_with_a_request_id() {
    let budget = RetryBudget::new(0.2, 100.0);
    let (r, n) = run(Replay::Mutation { has_request_id: false }, 1, Status::unavailable("down"), &budget).await;
    assert_eq!((r.map_err(|s| s.code()), n), (Err(Code::Unavailable), 1));
    let (r, n) = run(Replay::Mutation { has_request_id: true }, 1, Status::unavailable("down"), &budget).await;
    assert_eq!((r.map_err(|s| s.code()), n), (Ok(1), 2));
}

#[tokio::test]
async fn other_failures_and_oversized_messages_are_final() {
    let budget = RetryBudget::new(0.2, 100.0);
    let too_large = Problem::new(Code::ResourceExhausted, "MESSAGE_TOO_LARGE", "big").into_status("gcc.test.v1");
    for status in [too_large, Status::invalid_argument("bad"), Status::failed_precondition("no")] {
        let code = status.code();
        let (r, n) = run(Replay::Read, 1, status, &budget).await;
        assert_eq!((r.map_err(|s| s.code()), n), (Err(code), 1));
    }
}

#[tokio::test]
async fn attempts_stop_at_the_policy_limit() {
    let budget = RetryBudget::new(0.2, 100.0);
    let (r, n) = run(Replay::Read, 10, Status::unavailable("down"), &budget).await;
    assert_eq!((r.map_err(|s| s.code()), n), (Err(Code::Unavailable), quick().max_attempts));
}

#[tokio::test]
async fn the_servers_retry_info_is_honoured() {
    let budget = RetryBudget::new(0.2, 100.0);
    let asked = Duration::from_millis(120);
    let started = Instant::now();
    let (r, n) = run(Replay::Read, 1, overloaded(Some(asked)), &budget).await;
    assert_eq!((r.map_err(|s| s.code()), n), (Ok(1), 2));
    assert!(started.elapsed() >= asked, "waited {:?}, asked {asked:?}", started.elapsed());
}

#[tokio::test]
async fn an_empty_budget_stops_retries() {
    let empty = RetryBudget::new(0.0, 0.0);
    let (r, n) = run(Replay::Read, 1, Status::unavailable("down"), &empty).await;
    assert_eq!((r.map_err(|s| s.code()), n), (Err(Code::Unavailable), 1));
    // A small budget allows a share of the calls only.
    let small = RetryBudget::new(0.2, 0.0);
    let mut retried = 0;
    for _ in 0..50 {
        let (_, n) = run(Replay::Read, 1, Status::unavailable("down"), &small).await;
        retried += n - 1;
    }
    assert!((8..=11).contains(&retried), "{retried} retries for 50 calls at 20 %");
}

#[tokio::test]
async fn no_retry_starts_past_the_deadline() {
    let budget = RetryBudget::new(0.2, 100.0);
    let policy = RetryPolicy { deadline: Duration::from_millis(50), ..quick() };
    let attempts = AtomicU32::new(0);
    let r: Result<(), Status> = retry_with(&policy, &budget, Replay::Read, || {
        attempts.fetch_add(1, Ordering::SeqCst);
        async { Err(overloaded(Some(Duration::from_millis(100)))) }
    })
    .await;
    assert_eq!((r.map_err(|s| s.code()), attempts.load(Ordering::SeqCst)), (Err(Code::ResourceExhausted), 1));
}

#[test]
fn request_ids_are_made_only_when_missing() {
    assert_eq!(request_id_or_new("given".into()), "given");
    let made = request_id_or_new(String::new());
    assert!(uuid::Uuid::parse_str(&made).is_ok());
    assert_ne!(made, request_id_or_new(String::new()));
}
