//! The metric families of one process, and their names and help in the exposition.

use std::sync::atomic::{AtomicI64, AtomicU64};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry, Unit};

use super::{BATCH_BUCKETS, DURATION_BUCKETS, Labels};

type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;
type IntGauge = Gauge<i64, AtomicI64>;
type FloatGauge = Gauge<f64, AtomicU64>;

#[derive(Clone)]
pub(super) struct Families {
    pub(super) server_duration: HistogramFamily,
    pub(super) client_duration: HistogramFamily,
    pub(super) gate_verdicts: Family<Labels, Counter>,
    pub(super) orders: Family<Labels, Counter>,
    pub(super) queue_depth: Family<Labels, IntGauge>,
    pub(super) overdue: Family<Labels, IntGauge>,
    pub(super) load_shed: Family<Labels, Counter>,
    pub(super) in_flight: Family<Labels, IntGauge>,
    pub(super) pool: Family<Labels, IntGauge>,
    pub(super) write_batch: HistogramFamily,
    pub(super) dependency_errors: Family<Labels, Counter>,
    pub(super) relay_lag: Family<Labels, FloatGauge>,
    pub(super) relay_delay: HistogramFamily,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

fn batch_histogram() -> Histogram {
    Histogram::new(BATCH_BUCKETS)
}

/// Registers `metric` under `name`, in seconds when it measures time.
fn add(r: &mut Registry, name: &str, help: &str, seconds: bool, metric: impl Metric) {
    if seconds {
        r.register_with_unit(name, help, Unit::Seconds, metric);
    } else {
        r.register(name, help, metric);
    }
}

impl Families {
    /// New families, each registered in `r`.
    pub(super) fn register(r: &mut Registry) -> Self {
        let f = Self::new();
        f.describe(r);
        f
    }

    fn new() -> Self {
        Families {
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
        }
    }

    /// Names and explains every family in the exposition: one table, longer than a
    /// function should be, because it reads best whole, next to the metrics contract.
    fn describe(&self, r: &mut Registry) {
        let f = self;
        add(
            r,
            "rpc_server_call_duration",
            "Duration of RPCs served (OpenTelemetry rpc.server.call.duration)",
            true,
            f.server_duration.clone(),
        );
        add(
            r,
            "rpc_client_call_duration",
            "Duration of RPCs made to other services (OpenTelemetry rpc.client.call.duration)",
            true,
            f.client_duration.clone(),
        );
        add(
            r,
            "gcc_gate_verdicts",
            "Eligibility gate verdicts, by whether eligible and by reason",
            false,
            f.gate_verdicts.clone(),
        );
        add(r, "gcc_orders", "Orders placed and refused, by outcome and reason", false, f.orders.clone());
        add(
            r,
            "gcc_validation_queue_depth",
            "Validation requests waiting for a reviewer",
            false,
            f.queue_depth.clone(),
        );
        add(
            r,
            "gcc_validation_overdue",
            "Validation requests past their due time of two business days (R4)",
            false,
            f.overdue.clone(),
        );
        add(r, "gcc_load_shed", "Calls refused at the concurrency limit (OVERLOADED)", false, f.load_shed.clone());
        add(r, "gcc_rpc_in_flight", "RPCs being served (holding a concurrency permit)", false, f.in_flight.clone());
        add(r, "gcc_db_pool_connections", "Database connections, by state", false, f.pool.clone());
        add(r, "gcc_db_write_batch_size", "Write batches per SQLite group commit", false, f.write_batch.clone());
        add(
            r,
            "gcc_dependency_errors",
            "Failed calls to other services, by target and code",
            false,
            f.dependency_errors.clone(),
        );
        add(
            r,
            "gcc_outbox_relay_lag",
            "Age of the oldest event not yet relayed from the outbox (0 when none waits)",
            true,
            f.relay_lag.clone(),
        );
        add(
            r,
            "gcc_outbox_delivery_delay",
            "Time from an event's commit to its delivery by the relay",
            true,
            f.relay_delay.clone(),
        );
    }
}
