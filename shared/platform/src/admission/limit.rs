//! How many calls a server runs at once: a fixed bound, or one that follows latency.
//!
//! With a latency target the bound adapts, additive increase and multiplicative decrease
//! as TCP's congestion window: after each window of calls (as many as the bound, at
//! least 20), if more than a tenth took longer than the target the bound shrinks by a
//! tenth (never below 4); if none did and the calls in flight reached half the bound, it
//! grows by one, up to `--concurrency-limit`. Past its capacity a server then sheds the
//! excess at once instead of letting every admitted call queue for the CPU or a
//! dependency, so that the calls it admits keep their latency.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bound never shrinks below this: a few calls always run.
const MIN_LIMIT: usize = 4;
/// The fewest calls a window judges.
const MIN_WINDOW: usize = 20;

#[derive(Debug)]
pub struct Limiter {
    max: usize,
    target: Option<Duration>,
    limit: AtomicUsize,
    in_flight: AtomicUsize,
    window: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    calls: usize,
    slow: usize,
    peak: usize,
}

/// A running call's slot, given back (and its latency counted) when dropped.
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<Limiter>,
    started: Instant,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.release(self.started.elapsed());
    }
}

impl Limiter {
    /// At most `max` calls at once; with `target`, fewer while calls take longer than it.
    pub fn new(max: usize, target: Option<Duration>) -> Self {
        let max = max.max(1);
        let start = if target.is_some() { max.min(MIN_LIMIT.max(max / 4)) } else { max };
        Self { max, target, limit: AtomicUsize::new(start), in_flight: AtomicUsize::new(0), window: Mutex::default() }
    }

    /// A slot, or `None` when the bound is reached.
    pub fn try_acquire(self: &Arc<Self>) -> Option<Permit> {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if before >= self.limit.load(Ordering::Acquire) {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Permit { limiter: self.clone(), started: Instant::now() })
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// The bound now.
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Acquire)
    }

    fn release(&self, took: Duration) {
        let running = self.in_flight.fetch_sub(1, Ordering::AcqRel);
        let Some(target) = self.target else { return };
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        w.calls += 1;
        w.slow += usize::from(took > target);
        w.peak = w.peak.max(running);
        let limit = self.limit.load(Ordering::Acquire);
        if w.calls < limit.max(MIN_WINDOW) {
            return;
        }
        let next = if w.slow * 10 > w.calls {
            limit.saturating_sub((limit / 10).max(1)).max(MIN_LIMIT).min(limit)
        } else if w.slow == 0 && w.peak * 2 >= limit {
            (limit + 1).min(self.max)
        } else {
            limit
        };
        if next != limit {
            tracing::debug!(from = limit, to = next, slow = w.slow, calls = w.calls, "concurrency limit adapted");
            self.limit.store(next, Ordering::Release);
        }
        *w = Window::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `n` calls, `at_once` at a time, each taking `took`.
    fn calls(l: &Arc<Limiter>, n: usize, at_once: usize, took: Duration) {
        for _ in 0..n / at_once {
            let held: Vec<Permit> = (0..at_once).filter_map(|_| l.try_acquire()).collect();
            for p in held {
                // As if it had run for `took`: its slot given back with that latency.
                std::mem::forget(p);
                l.release(took);
            }
        }
    }

    #[test]
    fn a_fixed_bound_refuses_past_it_and_gives_slots_back() {
        let l = Arc::new(Limiter::new(2, None));
        let (a, b) = (l.try_acquire().unwrap(), l.try_acquire().unwrap());
        assert!(l.try_acquire().is_none(), "a third call is refused");
        drop(a);
        let c = l.try_acquire().expect("a slot given back is taken again");
        assert_eq!(l.in_flight(), 2);
        drop((b, c));
        assert_eq!((l.in_flight(), l.limit()), (0, 2));
    }

    #[test]
    fn slow_calls_shrink_the_bound_to_its_floor_and_fast_busy_calls_grow_it_to_the_max() {
        let target = Duration::from_millis(10);
        let l = Arc::new(Limiter::new(64, Some(target)));
        let start = l.limit();
        assert_eq!(start, 16, "it starts at a quarter of the max");
        calls(&l, 2000, 8, Duration::from_millis(50));
        assert_eq!(l.limit(), MIN_LIMIT, "slow calls shrink it to the floor");
        calls(&l, 20_000, 4, Duration::from_millis(1));
        assert!(l.limit() > MIN_LIMIT, "fast calls that use the bound grow it: {}", l.limit());
        calls(&l, 200_000, 64, Duration::from_millis(1));
        assert_eq!(l.limit(), 64, "never past the max");
    }

    #[test]
    fn fast_calls_that_leave_the_bound_unused_do_not_grow_it() {
        let l = Arc::new(Limiter::new(64, Some(Duration::from_millis(10))));
        calls(&l, 5000, 1, Duration::from_millis(1));
        assert_eq!(l.limit(), 16);
    }
}
