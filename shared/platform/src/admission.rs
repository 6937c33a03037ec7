//! The layers in front of every RPC, outermost first: a span with the caller's trace
//! context, the outcome on the span and in the metrics, a guarantee that every error
//! leaving the server carries an `ErrorInfo` (including errors tonic makes itself, such
//! as an oversized message), a log line, the mark that keeps a connection busy while its
//! calls run, a bound on the health and reflection streams (which need no token), load
//! shedding, and a deadline. Each layer's file says why it sits where it sits.

mod busy;
mod deadline;
mod held;
mod limit;
mod log;
mod record;
mod repair;
mod shed;
mod step;
mod streams;
mod trace;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tower::Layer;

use crate::metrics::Metrics;
pub use gcc_core::rpc::{parse_grpc_timeout, percent_decode, server_error};
pub use step::Staged;
use step::StepLayer;

/// Shared settings of the stack.
#[derive(Clone, Debug)]
pub struct AdmissionLayer {
    limiter: Arc<limit::Limiter>,
    /// Health and reflection calls, held for the life of their response.
    streams: Arc<Semaphore>,
    timeout: Duration,
    domain: &'static str,
    /// The service's name (`ordering`): its spans' `service.name`.
    service: &'static str,
    metrics: Metrics,
}

impl AdmissionLayer {
    pub fn new(concurrency_limit: usize, stream_limit: usize, timeout: Duration, domain: &'static str) -> Self {
        Self {
            limiter: Arc::new(limit::Limiter::new(concurrency_limit, None)),
            streams: Arc::new(Semaphore::new(stream_limit.max(1))),
            timeout,
            domain,
            service: "",
            metrics: Metrics::disabled(),
        }
    }

    /// Lets the concurrency limit follow latency: it shrinks while more than a tenth of
    /// the calls take longer than `target` (see `limit.rs`). `None` keeps it fixed.
    pub fn with_latency_target(self, target: Option<Duration>) -> Self {
        let max = self.limiter.limit();
        Self { limiter: Arc::new(limit::Limiter::new(max, target)), ..self }
    }

    /// Names the service in its spans, records RPC durations and load shedding into
    /// `metrics`, and reads the calls in flight (permits taken) at each scrape.
    pub fn with_service(self, service: &'static str, metrics: Metrics) -> Self {
        let (limiter, gauge) = (self.limiter.clone(), metrics.clone());
        metrics.on_scrape(move || {
            gauge.set_in_flight(limiter.in_flight() as i64);
            std::future::ready(())
        });
        Self { service, metrics, ..self }
    }
}

/// The whole stack around `S`, outermost first.
pub type AdmissionService<S> = Staged<
    trace::Trace,
    Staged<
        record::Record,
        Staged<
            repair::Repair,
            Staged<
                log::Log,
                Staged<busy::Busy, Staged<streams::StreamBound, Staged<shed::Shed, Staged<deadline::Deadline, S>>>>,
            >,
        >,
    >,
>;

impl<S> Layer<S> for AdmissionLayer {
    type Service = AdmissionService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        let (domain, metrics) = (self.domain, self.metrics.clone());
        let inner = StepLayer(Arc::new(deadline::Deadline { timeout: self.timeout, domain })).layer(inner);
        let inner = StepLayer(Arc::new(shed::Shed { limiter: self.limiter.clone(), domain, metrics: metrics.clone() }))
            .layer(inner);
        let inner = StepLayer(Arc::new(streams::StreamBound { streams: self.streams.clone(), domain })).layer(inner);
        let inner = StepLayer(Arc::new(busy::Busy)).layer(inner);
        let inner = StepLayer(Arc::new(log::Log::default())).layer(inner);
        let inner = StepLayer(Arc::new(repair::Repair { domain })).layer(inner);
        let inner = StepLayer(Arc::new(record::Record { metrics })).layer(inner);
        StepLayer(Arc::new(trace::Trace { service: self.service })).layer(inner)
    }
}

fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    parse_grpc_timeout(headers.get("grpc-timeout")?.to_str().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        let mut h = http::HeaderMap::new();
        for (v, d) in
            [("2S", Duration::from_secs(2)), ("150m", Duration::from_millis(150)), ("1M", Duration::from_secs(60))]
        {
            h.insert("grpc-timeout", v.parse().unwrap());
            assert_eq!(grpc_timeout(&h), Some(d));
        }
        h.insert("grpc-timeout", "xS".parse().unwrap());
        assert_eq!(grpc_timeout(&h), None);
    }

    #[test]
    fn grpc_messages_are_percent_decoded() {
        assert_eq!(percent_decode("too%20large:%2070%25"), "too large: 70%");
        assert_eq!(percent_decode("bad%2"), "bad%2");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Every unit means what it says, and anything else is no timeout.
        #[test]
        fn grpc_timeouts_parse_any_amount(n in 0u64..100_000_000, unit in 0usize..6, junk in "[a-zA-Z]") {
            let (u, d) = [
                ("H", Duration::from_secs(n * 3600)),
                ("M", Duration::from_secs(n * 60)),
                ("S", Duration::from_secs(n)),
                ("m", Duration::from_millis(n)),
                ("u", Duration::from_micros(n)),
                ("n", Duration::from_nanos(n)),
            ][unit];
            proptest::prop_assert_eq!(parse_grpc_timeout(&format!("{n}{u}")), Some(d));
            if !"HMSmun".contains(junk.as_str()) {
                proptest::prop_assert_eq!(parse_grpc_timeout(&format!("{n}{junk}")), None);
            }
        }

        /// Percent-encoding any text and decoding it gives the text back; text without
        /// `%` is left as it is.
        #[test]
        fn percent_decoding_undoes_encoding(s in "\\PC{0,24}") {
            let encoded: String = s.bytes().map(|b| format!("%{b:02X}")).collect();
            proptest::prop_assert_eq!(percent_decode(&encoded), s.clone());
            let plain = s.replace('%', "");
            proptest::prop_assert_eq!(percent_decode(&plain), plain.clone());
        }
    }
}
