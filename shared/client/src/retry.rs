//! Retries that a busy or restarting service can live with: only UNAVAILABLE and
//! RESOURCE_EXHAUSTED (never a message that was too large), reads always, mutations only
//! when they carry a `request_id` (the server answers a replay from its record), with
//! exponential backoff and full jitter, the server's `RetryInfo` honoured, never past the
//! call's deadline, and a budget so that retries cannot multiply an outage.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Whether a call may be sent twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// A read: always safe.
    Read,
    /// A mutation: safe only with a `request_id`, which makes the server answer a
    /// replay with the first response.
    Mutation { has_request_id: bool },
}

impl Replay {
    fn safe(self) -> bool {
        match self {
            Self::Read => true,
            Self::Mutation { has_request_id } => has_request_id,
        }
    }
}

/// How many times, and how far apart.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts after this much time from the first attempt.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(1),
            deadline: Duration::from_secs(10),
        }
    }
}

/// Retries allowed at most as a share of recent calls, plus a small floor, so that a
/// failing dependency sees at most `1 + ratio` times its normal load from us.
#[derive(Debug)]
pub struct RetryBudget {
    state: Mutex<BudgetState>,
    ratio: f64,
    floor_per_second: f64,
}

#[derive(Debug)]
struct BudgetState {
    tokens: f64,
    refilled: Instant,
}

impl RetryBudget {
    pub fn new(ratio: f64, floor_per_second: f64) -> Self {
        Self {
            state: Mutex::new(BudgetState { tokens: floor_per_second, refilled: Instant::now() }),
            ratio,
            floor_per_second,
        }
    }

    /// Every first attempt earns a share of a retry.
    fn deposit(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.tokens = (s.tokens + self.ratio).min(self.cap());
    }

    /// Whether a retry may be sent now; takes one retry's worth if so.
    fn withdraw(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let refill = now.duration_since(s.refilled).as_secs_f64() * self.floor_per_second;
        s.tokens = (s.tokens + refill).min(self.cap());
        s.refilled = now;
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn cap(&self) -> f64 {
        (self.floor_per_second * 10.0).max(10.0)
    }
}

/// The budget shared by every call of this process: 20 % of calls, and 10 retries a
/// second whatever the traffic.
pub fn process_budget() -> &'static RetryBudget {
    static BUDGET: std::sync::OnceLock<RetryBudget> = std::sync::OnceLock::new();
    BUDGET.get_or_init(|| RetryBudget::new(0.2, 10.0))
}

/// Whether `status` is worth another attempt, and how long the server asked us to wait.
fn retryable(status: &Status) -> Option<Option<Duration>> {
    let details = status.get_error_details();
    let reason = details.error_info().map(|i| i.reason.as_str()).unwrap_or_default();
    let asked = details.retry_info().and_then(|r| r.retry_delay);
    match status.code() {
        Code::Unavailable => Some(asked),
        // Overload is worth a later attempt; a message too large or a limit on streams
        // without a retry hint is not.
        Code::ResourceExhausted if reason == "OVERLOADED" || asked.is_some() => Some(asked),
        _ => None,
    }
}

/// The delay before retry `n` (1-based): full jitter over an exponential window, or the
/// server's own `RetryInfo` when it gave one (jittered up to half again, so that
/// clients told the same do not return together).
fn delay(policy: &RetryPolicy, n: u32, asked: Option<Duration>) -> Duration {
    let window = policy.base_delay.saturating_mul(1 << n.min(16)).min(policy.max_delay);
    let jitter = |d: Duration| d.mul_f64(rand::random::<f64>());
    match asked {
        Some(d) => d + jitter(d / 2),
        None => jitter(window),
    }
}

/// Runs `call`, retrying it as `policy`, `replay` and `budget` allow.
pub async fn retry_with<T, F, Fut>(
    policy: &RetryPolicy,
    budget: &RetryBudget,
    replay: Replay,
    mut call: F,
) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let started = Instant::now();
    budget.deposit();
    let mut attempt = 1;
    loop {
        let status = match call().await {
            Ok(v) => return Ok(v),
            Err(s) => s,
        };
        let Some(asked) = retryable(&status).filter(|_| replay.safe() && attempt < policy.max_attempts) else {
            return Err(status);
        };
        let wait = delay(policy, attempt, asked);
        if started.elapsed() + wait >= policy.deadline || !budget.withdraw() {
            return Err(status);
        }
        tracing::debug!(attempt, code = ?status.code(), wait_ms = wait.as_millis() as u64, "retrying");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// [`retry_with`] with the default policy and the process's budget.
pub async fn retry<T, F, Fut>(replay: Replay, call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    retry_with(&RetryPolicy::default(), process_budget(), replay, call).await
}

/// A new `request_id`, for a mutation whose caller gave none: with it the mutation can
/// be retried safely.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `given`, or a new request id when it is empty.
pub fn request_id_or_new(given: String) -> String {
    if given.is_empty() { new_request_id() } else { given }
}

#[cfg(test)]
mod tests;
