//! Metrics: `/metrics` in the Prometheus text exposition (OpenMetrics 1.0, which
//! Prometheus negotiates) on a port of its own, off unless `--metrics-listen` is given.
//!
//! Names and attributes follow the OpenTelemetry RPC semantic conventions
//! (`rpc.server.call.duration`, `rpc.client.call.duration`, in seconds, with the advised
//! buckets; `rpc.system.name`, `rpc.method`, `rpc.status_code`, and `error.type` on
//! failure), written the Prometheus way: dots become underscores and the unit is a suffix.
//! Every series carries a `service` label, so that one port can serve several services
//! (`gcc-stack`) and each binary's series look the same as the set's. The contract with
//! the rules and the dashboard is `deploy/observability/metrics.txt`.
//!
//! A disabled [`Metrics`] (metrics off) records nothing and costs a branch.

mod families;
mod http;
mod labels;
mod queue;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use prometheus_client::registry::Registry;

use families::Families;
pub use http::MetricsEndpoint;
pub use labels::{Labels, intern, method_label, status_name};
pub use queue::watch_queue;

/// The advised buckets of the RPC duration histograms, in seconds.
pub const DURATION_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
/// Statements per SQLite group commit.
const BATCH_BUCKETS: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// The `/metrics` flag every server takes.
#[derive(Clone, Default, clap::Args)]
pub struct MetricsArgs {
    /// Address of the Prometheus `/metrics` endpoint, such as 0.0.0.0:9464. Off when unset.
    #[arg(long, env = "GCC_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Where this server records. Copies of these settings share it, so the services of
    /// one process (gcc-stack) can be served on one port.
    #[arg(skip)]
    pub registry: MetricsRegistry,
    /// Set by a process that serves the shared registry itself (gcc-stack): the service
    /// records, but opens no endpoint of its own.
    #[arg(skip)]
    pub served_by_process: bool,
}

impl std::fmt::Debug for MetricsArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsArgs")
            .field("metrics_listen", &self.metrics_listen)
            .field("served_by_process", &self.served_by_process)
            .finish()
    }
}

impl MetricsArgs {
    /// The recorder of `service`: enabled when metrics are served, disabled otherwise.
    pub fn service(&self, service: &str) -> Metrics {
        if self.metrics_listen.is_some() || self.served_by_process {
            self.registry.service(service)
        } else {
            Metrics::disabled()
        }
    }

    /// Opens this server's endpoint, unless metrics are off or the process serves them.
    pub async fn open_endpoint(&self) -> anyhow::Result<Option<MetricsEndpoint>> {
        match self.metrics_listen {
            Some(addr) if !self.served_by_process => {
                Ok(Some(MetricsEndpoint::bind(addr, self.registry.clone()).await?))
            }
            _ => Ok(None),
        }
    }
}

/// Something to read just before a scrape (a queue depth, the pool's connections).
pub type Refresh = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// The metric families of one process and what refreshes them at scrape time.
#[derive(Clone)]
pub struct MetricsRegistry(Arc<RegistryInner>);

struct RegistryInner {
    registry: Registry,
    families: Families,
    services: Mutex<HashMap<String, Metrics>>,
    refreshers: Mutex<Vec<Refresh>>,
}

impl Default for MetricsRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MetricsRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsRegistry")
    }
}

impl MetricsRegistry {
    pub fn new() -> Self {
        let mut r = Registry::default();
        let f = Families::register(&mut r);
        Self(Arc::new(RegistryInner {
            registry: r,
            families: f,
            services: Mutex::new(HashMap::new()),
            refreshers: Mutex::new(Vec::new()),
        }))
    }

    /// The recorder of `service` (one per name).
    pub fn service(&self, service: &str) -> Metrics {
        let mut services = self.0.services.lock().unwrap_or_else(|e| e.into_inner());
        services
            .entry(service.to_owned())
            .or_insert_with(|| {
                Metrics(Some(Arc::new(ServiceMetrics {
                    service: intern(service),
                    families: self.0.families.clone(),
                    registry: Arc::downgrade(&self.0),
                })))
            })
            .clone()
    }

    /// Runs the scrape-time reads, then renders the exposition.
    pub async fn render(&self) -> String {
        let refreshers: Vec<Refresh> = self.0.refreshers.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for refresh in refreshers {
            // A read that hangs (a database away) must not hang the scrape.
            let _ = tokio::time::timeout(Duration::from_secs(2), refresh()).await;
        }
        let mut out = String::with_capacity(16 * 1024);
        if prometheus_client::encoding::text::encode(&mut out, &self.0.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Records one service's metrics; cheap to clone. Disabled: every call returns at once.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<ServiceMetrics>>);

struct ServiceMetrics {
    service: &'static str,
    families: Families,
    registry: std::sync::Weak<RegistryInner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(m) => write!(f, "Metrics({})", m.service),
            None => f.write_str("Metrics(off)"),
        }
    }
}

pub use gcc_core::rpc::CallOutcome;

impl Metrics {
    pub fn disabled() -> Self {
        Self(None)
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    fn labels(&self, pairs: &[(&'static str, &'static str)]) -> Option<(&Families, Labels)> {
        let m = self.0.as_deref()?;
        Some((&m.families, Labels::new(m.service, pairs)))
    }

    /// A call this service served.
    pub fn server_call(&self, outcome: CallOutcome, elapsed: Duration) {
        if let Some(m) = self.0.as_deref() {
            let l = Labels::rpc(m.service, outcome, None);
            m.families.server_duration.get_or_create(&l).observe(elapsed.as_secs_f64());
        }
    }

    /// A call this service made to `server_address`.
    pub fn client_call(&self, outcome: CallOutcome, server_address: &'static str, elapsed: Duration) {
        if let Some(m) = self.0.as_deref() {
            let l = Labels::rpc(m.service, outcome, Some(server_address));
            m.families.client_duration.get_or_create(&l).observe(elapsed.as_secs_f64());
        }
    }

    /// A failed call to the dependency `target`.
    pub fn dependency_error(&self, target: &'static str, code: tonic::Code) {
        if let Some((f, l)) = self.labels(&[("target", target), ("code", status_name(code))]) {
            f.dependency_errors.get_or_create(&l).inc();
        }
    }

    /// A verdict of the eligibility gate: one count per reason, or `reason="none"` when
    /// the customer is eligible.
    pub fn gate_verdict(&self, eligible: bool, reasons: &[&str]) {
        let Some(m) = self.0.as_deref() else { return };
        let eligible = if eligible { "true" } else { "false" };
        if reasons.is_empty() {
            let l = Labels::new(m.service, &[("eligible", eligible), ("reason", "none")]);
            m.families.gate_verdicts.get_or_create(&l).inc();
        }
        for reason in reasons {
            let l = Labels::new(m.service, &[("eligible", eligible), ("reason", intern(reason))]);
            m.families.gate_verdicts.get_or_create(&l).inc();
        }
    }

    /// An order placed (`reason` "none") or refused for `reason` (the ErrorInfo reason).
    pub fn order(&self, placed: bool, reason: &str) {
        let outcome = if placed { "placed" } else { "refused" };
        if let Some((f, l)) = self.labels(&[("outcome", outcome), ("reason", intern(reason))]) {
            f.orders.get_or_create(&l).inc();
        }
    }

    /// A call refused at the concurrency limit.
    pub fn load_shed(&self) {
        if let Some((f, l)) = self.labels(&[]) {
            f.load_shed.get_or_create(&l).inc();
        }
    }

    pub fn set_in_flight(&self, n: i64) {
        if let Some((f, l)) = self.labels(&[]) {
            f.in_flight.get_or_create(&l).set(n);
        }
    }

    pub fn set_pool(&self, in_use: i64, idle: i64) {
        if let Some((f, l)) = self.labels(&[("state", "in_use")]) {
            f.pool.get_or_create(&l).set(in_use);
        }
        if let Some((f, l)) = self.labels(&[("state", "idle")]) {
            f.pool.get_or_create(&l).set(idle);
        }
    }

    /// The depth and the overdue count of a validation queue (`partner` or `customer`).
    pub fn set_queue(&self, queue: &'static str, depth: i64, overdue: i64) {
        if let Some((f, l)) = self.labels(&[("queue", queue)]) {
            f.queue_depth.get_or_create(&l).set(depth);
            f.overdue.get_or_create(&l).set(overdue);
        }
    }

    /// Write batches committed together in one SQLite transaction.
    pub fn write_batch(&self, size: usize) {
        if let Some((f, l)) = self.labels(&[]) {
            f.write_batch.get_or_create(&l).observe(size as f64);
        }
    }

    pub fn set_relay_lag(&self, seconds: f64) {
        if let Some((f, l)) = self.labels(&[]) {
            f.relay_lag.get_or_create(&l).set(seconds.max(0.0));
        }
    }

    /// An event delivered `delay` after it was committed.
    pub fn relay_delivered(&self, delay: Duration) {
        if let Some((f, l)) = self.labels(&[]) {
            f.relay_delay.get_or_create(&l).observe(delay.as_secs_f64());
        }
    }

    /// Runs `refresh` before every scrape of the registry this recorder belongs to.
    pub fn on_scrape<F, Fut>(&self, refresh: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let Some(registry) = self.0.as_deref().and_then(|m| m.registry.upgrade()) else { return };
        let refresh: Refresh = Arc::new(move || Box::pin(refresh()));
        registry.refreshers.lock().unwrap_or_else(|e| e.into_inner()).push(refresh);
    }
}
