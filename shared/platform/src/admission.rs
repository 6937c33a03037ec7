//! The layer in front of every RPC: a span with the caller's trace context, load
//! shedding, a bound on the health and reflection streams (which need no token), a
//! deadline, the mark that keeps a connection busy while its calls run, and a guarantee
//! that every error leaving the server carries an `ErrorInfo` (including errors tonic
//! makes itself, such as an oversized message).

mod held;

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::Semaphore;
use tonic::Code;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::error::Problem;
use crate::metrics::{CallOutcome, Metrics, method_label, status_name};
use crate::runtime::conn::ConnInfo;
use crate::telemetry::adopt_remote_parent;
use gcc_core::rpc::call_span;
pub use gcc_core::rpc::{parse_grpc_timeout, percent_decode, server_error};
use held::Held;

/// Shared settings of the layer.
#[derive(Debug)]
pub struct Admission {
    permits: Arc<Semaphore>,
    /// Health and reflection calls, held for the life of their response.
    streams: Arc<Semaphore>,
    timeout: Duration,
    domain: &'static str,
    /// The service's name (`ordering`): its spans' `service.name`.
    service: &'static str,
    metrics: Metrics,
}

#[derive(Clone, Debug)]
pub struct AdmissionLayer(Arc<Admission>);

impl AdmissionLayer {
    pub fn new(concurrency_limit: usize, stream_limit: usize, timeout: Duration, domain: &'static str) -> Self {
        Self(Arc::new(Admission {
            permits: Arc::new(Semaphore::new(concurrency_limit.max(1))),
            streams: Arc::new(Semaphore::new(stream_limit.max(1))),
            timeout,
            domain,
            service: "",
            metrics: Metrics::disabled(),
        }))
    }

    /// Names the service in its spans, records RPC durations and load shedding into
    /// `metrics`, and reads the calls in flight (permits taken) at each scrape.
    pub fn with_service(self, service: &'static str, metrics: Metrics) -> Self {
        let a = &self.0;
        let (permits, limit) = (a.permits.clone(), a.permits.available_permits());
        let gauge = metrics.clone();
        metrics.on_scrape(move || {
            gauge.set_in_flight(limit.saturating_sub(permits.available_permits()) as i64);
            std::future::ready(())
        });
        Self(Arc::new(Admission {
            permits: a.permits.clone(),
            streams: a.streams.clone(),
            timeout: a.timeout,
            domain: a.domain,
            service,
            metrics,
        }))
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = AdmissionService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AdmissionService { inner, cfg: self.0.clone() }
    }
}

#[derive(Clone, Debug)]
pub struct AdmissionService<S> {
    inner: S,
    cfg: Arc<Admission>,
}

type Response = http::Response<tonic::body::Body>;

impl<S, B> Service<http::Request<B>> for AdmissionService<S>
where
    S: Service<http::Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // The ready clone is the one to call; keep a fresh clone for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let cfg = self.cfg.clone();
        let path = req.uri().path().to_owned();
        // Probes and tooling must answer under overload, so they skip shedding.
        let exempt = path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.");
        let method = method_label(&path);
        let span = call_span("server", method);
        if !cfg.service.is_empty() {
            span.record("service.name", cfg.service);
        }
        adopt_remote_parent(&span, req.headers());
        // Stop just before the client's own deadline so that the client gets our answer.
        let deadline = grpc_timeout(req.headers())
            .map(|t| t.saturating_sub(Duration::from_millis(5)).min(cfg.timeout))
            .unwrap_or(cfg.timeout);

        // The connection stays busy (not idle) while this call's response lives.
        let call = req.extensions().get::<ConnInfo>().map(|c| c.activity.call());

        let fut = async move {
            let started = Instant::now();
            if exempt {
                // Probes skip shedding, but a client cannot hold unbounded health Watch
                // or reflection streams open without a token.
                let Ok(permit) = cfg.streams.clone().try_acquire_owned() else {
                    let p = Problem::new(
                        Code::ResourceExhausted,
                        "STREAM_LIMIT_REACHED",
                        "too many health and reflection calls are open; retry with backoff",
                    )
                    .with_retry(Duration::from_millis(500));
                    return Ok(finish(p.into_status(cfg.domain).into_http(), &path, started, &cfg, method));
                };
                let result = inner.call(req).await;
                return result.map(|r| Held::wrap(finish(r, &path, started, &cfg, method), Some(permit), call));
            }
            let Ok(permit) = cfg.permits.clone().try_acquire_owned() else {
                let p = Problem::new(
                    Code::ResourceExhausted,
                    "OVERLOADED",
                    "the server is at its concurrency limit; retry with backoff",
                )
                .with_retry(Duration::from_millis(50));
                cfg.metrics.load_shed();
                return Ok(finish(p.into_status(cfg.domain).into_http(), &path, started, &cfg, method));
            };
            let result = match tokio::time::timeout(deadline, inner.call(req)).await {
                Ok(r) => r,
                Err(_) => {
                    let p = Problem::new(
                        Code::DeadlineExceeded,
                        "DEADLINE_EXCEEDED",
                        format!("no answer within {deadline:?}"),
                    );
                    return Ok(finish(p.into_status(cfg.domain).into_http(), &path, started, &cfg, method));
                }
            };
            // Watch streams outlive their handler; they are bounded by their own limits.
            drop(permit);
            result.map(|r| Held::wrap(finish(r, &path, started, &cfg, method), None, call))
        };
        Box::pin(fut.instrument(span))
    }
}

/// Adds `ErrorInfo` to a trailers-only error that lacks it, logs the outcome at a level
/// chosen by who is at fault, and records it on the span and in the metrics.
fn finish(response: Response, path: &str, started: Instant, cfg: &Admission, method: &'static str) -> Response {
    let code = grpc_status(&response);
    let elapsed = started.elapsed();
    let elapsed_ms = elapsed.as_secs_f64() * 1e3;
    match code {
        Code::Ok => tracing::debug!(path, elapsed_ms, "ok"),
        Code::Internal | Code::Unknown | Code::DataLoss | Code::Unavailable => {
            tracing::error!(path, elapsed_ms, code = ?code, "failed")
        }
        _ => tracing::info!(path, elapsed_ms, code = ?code, "refused"),
    }
    let response = if code == Code::Ok || response.headers().contains_key("grpc-status-details-bin") {
        response
    } else {
        let message =
            percent_decode(response.headers().get("grpc-message").and_then(|v| v.to_str().ok()).unwrap_or_default());
        framework_problem(code, &message).into_status(cfg.domain).into_http()
    };
    // The code the caller sees (a framework error may have been reclassified above).
    let code = grpc_status(&response);
    let error_type = server_error(code).then(|| status_name(code));
    let span = tracing::Span::current();
    span.record("rpc.response.status_code", status_name(code));
    if let Some(e) = error_type {
        span.record("error.type", e);
        span.record("otel.status_code", "error");
    }
    cfg.metrics.server_call(CallOutcome { method, code, error_type }, elapsed);
    response
}

/// The status of a trailers-only answer (OK when the status follows in trailers).
fn grpc_status(response: &Response) -> Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from)
        .unwrap_or(Code::Ok)
}

/// The reason for an error that tonic produced before our handler ran.
fn framework_problem(code: Code, message: &str) -> Problem {
    let lower = message.to_ascii_lowercase();
    match code {
        Code::OutOfRange | Code::ResourceExhausted
            if lower.contains("message length too large") || lower.contains("too large") =>
        {
            Problem::new(Code::ResourceExhausted, "MESSAGE_TOO_LARGE", "the message is larger than this server accepts")
        }
        Code::Internal if lower.contains("decode") => {
            Problem::new(Code::InvalidArgument, "MESSAGE_MALFORMED", "the request is not a valid protobuf message")
        }
        Code::Unimplemented => Problem::new(Code::Unimplemented, "METHOD_NOT_FOUND", "no such method on this server"),
        Code::Cancelled | Code::DeadlineExceeded => {
            Problem::new(Code::DeadlineExceeded, "DEADLINE_EXCEEDED", "the deadline passed")
        }
        other => Problem::new(other, "UNCLASSIFIED", message.to_owned()),
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
}
