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

mod http;
mod labels;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

pub use http::MetricsEndpoint;
pub use labels::{Labels, intern, method_label, status_name};

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

type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;
type IntGauge = Gauge<i64, AtomicI64>;
type FloatGauge = Gauge<f64, AtomicU64>;

#[derive(Clone)]
struct Families {
    server_duration: HistogramFamily,
    client_duration: HistogramFamily,
    gate_verdicts: Family<Labels, Counter>,
    orders: Family<Labels, Counter>,
    queue_depth: Family<Labels, IntGauge>,
    overdue: Family<Labels, IntGauge>,
    load_shed: Family<Labels, Counter>,
    in_flight: Family<Labels, IntGauge>,
    pool: Family<Labels, IntGauge>,
    write_batch: HistogramFamily,
    dependency_errors: Family<Labels, Counter>,
    relay_lag: Family<Labels, FloatGauge>,
    relay_delay: HistogramFamily,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

fn batch_histogram() -> Histogram {
    Histogram::new(BATCH_BUCKETS)
}

impl MetricsRegistry {
    pub fn new() -> Self {
        let mut r = Registry::default();
        let f = Families {
            server_duration: Family::new_with_constructor(duration_histogram),
            client_duration: Family::new_with_constructor(duration_histogram),
            gate_verdicts: Family::default(),
            orders: Family::default(),
            queue_depth: Family::default(),
            overdue: Family::default(),
            load_shed: Family::default(),
            in_flight: Family::default(),
            pool: Family::default(),
            write_batch: Family::new_with_constructor(batch_histogram),
            dependency_errors: Family::default(),
            relay_lag: Family::default(),
            relay_delay: Family::new_with_constructor(duration_histogram),
        };
        r.register_with_unit(
            "rpc_server_call_duration",
            "Duration of RPCs served (OpenTelemetry rpc.server.call.duration)",
            Unit::Seconds,
            f.server_duration.clone(),
        );
        r.register_with_unit(
            "rpc_client_call_duration",
            "Duration of RPCs made to other services (OpenTelemetry rpc.client.call.duration)",
            Unit::Seconds,
            f.client_duration.clone(),
        );
        r.register(
            "gcc_gate_verdicts",
            "Eligibility gate verdicts, by whether eligible and by reason",
            f.gate_verdicts.clone(),
        );
        r.register("gcc_orders", "Orders placed and refused, by outcome and reason", f.orders.clone());
        r.register("gcc_validation_queue_depth", "Validation requests waiting for a reviewer", f.queue_depth.clone());
        r.register(
            "gcc_validation_overdue",
            "Validation requests past their due time of two business days (R4)",
            f.overdue.clone(),
        );
        r.register("gcc_load_shed", "Calls refused at the concurrency limit (OVERLOADED)", f.load_shed.clone());
        r.register("gcc_rpc_in_flight", "RPCs being served (holding a concurrency permit)", f.in_flight.clone());
        r.register("gcc_db_pool_connections", "Database connections, by state", f.pool.clone());
        r.register("gcc_db_write_batch_size", "Write batches per SQLite group commit", f.write_batch.clone());
        r.register(
            "gcc_dependency_errors",
            "Failed calls to other services, by target and code",
            f.dependency_errors.clone(),
        );
        r.register_with_unit(
            "gcc_outbox_relay_lag",
            "Age of the oldest event not yet relayed from the outbox (0 when none waits)",
            Unit::Seconds,
            f.relay_lag.clone(),
        );
        r.register_with_unit(
            "gcc_outbox_delivery_delay",
            "Time from an event's commit to its delivery by the relay",
            Unit::Seconds,
            f.relay_delay.clone(),
        );
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

/// Reads a review queue at each scrape: requests waiting for a reviewer
/// (`PENDING_REVIEW`) in `table`, and those of them past their due time (R4: two business
/// days, stored as `due_at`), as of the service's clock.
pub fn watch_queue(
    metrics: &Metrics,
    db: &crate::db::Db,
    queue: &'static str,
    table: &'static str,
    clock: crate::time::SharedClock,
) {
    if !metrics.is_enabled() {
        return;
    }
    let (m, db) = (metrics.clone(), db.clone());
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), 0) FROM {table} \
         WHERE state = 'PENDING_REVIEW'"
    );
    metrics.on_scrape(move || {
        let (m, db, sql, clock) = (m.clone(), db.clone(), sql.clone(), clock.clone());
        async move {
            let now = crate::time::to_micros(clock.now());
            let row = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql)).bind(now).fetch_one(db.reader()).await;
            match row {
                Ok((depth, overdue)) => m.set_queue(queue, depth, overdue),
                Err(e) => tracing::debug!(error = %e, queue, "cannot read the review queue"),
            }
        }
    });
}
