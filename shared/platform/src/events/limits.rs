//! How many Watch streams a tenant, and the server, may hold open, and the slot that a
//! stream holds for its whole life.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tonic::Code;

use crate::error::Problem;
use crate::ids::TenantId;

/// The bounds of this server's Watch streams.
#[derive(Debug, Clone, Copy)]
pub struct WatchLimits {
    /// Streams one tenant may hold open at once.
    pub per_tenant: usize,
    /// Streams the server holds open at once.
    pub total: usize,
    /// A stream then ends cleanly; the client subscribes again.
    pub max_lifetime: Duration,
    /// Messages buffered for a client that reads slower than changes arrive.
    pub buffer: usize,
    /// How long the buffer may stay full before the stream ends with SLOW_CONSUMER.
    pub stall_timeout: Duration,
}

impl Default for WatchLimits {
    fn default() -> Self {
        Self {
            per_tenant: 16,
            total: 1024,
            max_lifetime: Duration::from_secs(30 * 60),
            buffer: 16,
            stall_timeout: Duration::from_secs(5),
        }
    }
}

/// The Watch streams of one server (shared by all its Watch RPCs).
#[derive(Debug, Clone)]
pub struct Watchers(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    limits: WatchLimits,
    domain: &'static str,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_tenant: HashMap<TenantId, usize>,
}

impl Watchers {
    /// `domain` is the service's package, for the `ErrorInfo` of streams that end in error.
    pub fn new(limits: WatchLimits, domain: &'static str) -> Self {
        Self(Arc::new(Inner { limits, domain, open: Mutex::new(Open::default()) }))
    }

    pub fn limits(&self) -> &WatchLimits {
        &self.0.limits
    }

    pub fn domain(&self) -> &'static str {
        self.0.domain
    }

    /// A slot for one more stream of `tenant`, or RESOURCE_EXHAUSTED WATCH_LIMIT_REACHED
    /// (with `RetryInfo`, and metadata naming the limit) past either bound.
    pub fn admit(&self, tenant: TenantId) -> Result<WatchSlot, Problem> {
        let limits = &self.0.limits;
        let mut open = self.0.open.lock().unwrap_or_else(|e| e.into_inner());
        let of_tenant = open.by_tenant.get(&tenant).copied().unwrap_or(0);
        let refused = if open.total >= limits.total {
            Some(("total", limits.total))
        } else if of_tenant >= limits.per_tenant {
            Some(("per_tenant", limits.per_tenant))
        } else {
            None
        };
        if let Some((limit, max)) = refused {
            return Err(Problem::new(
                Code::ResourceExhausted,
                "WATCH_LIMIT_REACHED",
                format!("too many open Watch streams ({limit} limit {max}); close one or retry later"),
            )
            .with_meta("limit", limit)
            .with_meta("max_streams", max)
            .with_retry(Duration::from_secs(1)));
        }
        open.total += 1;
        *open.by_tenant.entry(tenant).or_default() += 1;
        Ok(WatchSlot { owner: self.clone(), tenant })
    }

    /// Streams open now: in total, and of `tenant`.
    pub fn open(&self, tenant: TenantId) -> (usize, usize) {
        let open = self.0.open.lock().unwrap_or_else(|e| e.into_inner());
        (open.total, open.by_tenant.get(&tenant).copied().unwrap_or(0))
    }

    fn release(&self, tenant: TenantId) {
        let mut open = self.0.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_tenant.get_mut(&tenant) {
            *n -= 1;
            if *n == 0 {
                open.by_tenant.remove(&tenant);
            }
        }
    }
}

/// One open Watch stream; dropping it (however the stream ends) frees the slot.
#[derive(Debug)]
pub struct WatchSlot {
    owner: Watchers,
    tenant: TenantId,
}

impl WatchSlot {
    pub fn limits(&self) -> &WatchLimits {
        self.owner.limits()
    }

    pub fn domain(&self) -> &'static str {
        self.owner.domain()
    }
}

impl Drop for WatchSlot {
    fn drop(&mut self) {
        self.owner.release(self.tenant);
    }
}
