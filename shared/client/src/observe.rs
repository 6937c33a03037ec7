//! What every outgoing call records: a client span (OpenTelemetry RPC conventions) whose
//! context travels in the call's `traceparent`, and, when the caller is a server with
//! metrics, `rpc.client.call.duration` and the dependency errors by target.
//!
//! The status of a call arrives either in the response headers (trailers-only answers,
//! most errors) or in the trailers after the body, so the response body is watched: the
//! call ends at its trailers, at the end of the body, or when the caller drops it
//! (CANCELLED).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use gcc_core::rpc::{CallOutcome, call_span, intern, method_label, server_error, status_name};
use gcc_core::trace::inject_span_context;
use http_body::{Body, Frame};
use tonic::Code;
use tracing::Instrument;

/// Where a server records its outgoing calls (its metrics); the client knows nothing
/// of how they are kept.
pub trait CallObserver: Send + Sync + std::fmt::Debug + 'static {
    /// A finished call to `server_address`.
    fn client_call(&self, outcome: CallOutcome, server_address: &'static str, elapsed: std::time::Duration);
    /// A failed call to the dependency `target`.
    fn dependency_error(&self, target: &'static str, code: Code);
}

/// Who calls whom, for the metrics and the spans.
#[derive(Debug)]
pub struct Observer {
    /// The calling service (`ordering`): its spans' `service.name`.
    pub service: &'static str,
    /// The service called (`customer-validation`): the `target` of dependency errors.
    pub target: &'static str,
    /// The endpoint's host: `server.address`.
    pub server_address: &'static str,
    pub metrics: Box<dyn CallObserver>,
}

impl Observer {
    pub fn new(service: &'static str, target: &'static str, endpoint: &str, metrics: impl CallObserver) -> Self {
        let host = endpoint
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.host().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned()))
            .unwrap_or_default();
        Self { service, target, server_address: intern(&host), metrics: Box::new(metrics) }
    }
}

/// A channel whose calls are observed.
#[derive(Clone, Debug)]
pub struct Observed<S> {
    inner: S,
    observer: Option<Arc<Observer>>,
}

impl<S> Observed<S> {
    pub fn new(inner: S, observer: Option<Arc<Observer>>) -> Self {
        Self { inner, observer }
    }
}

type Response = http::Response<tonic::body::Body>;

impl<S> tower::Service<http::Request<tonic::body::Body>> for Observed<S>
where
    S: tower::Service<http::Request<tonic::body::Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<tonic::body::Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let method = method_label(req.uri().path());
        let observer = self.observer.clone();
        let span = call_span("client", method);
        if let Some(o) = &observer {
            span.record("server.address", o.server_address);
            span.record("service.name", o.service);
        }
        // The called server's span is a child of this one.
        inject_span_context(&span, req.headers_mut());
        let call = Call { started: Instant::now(), method, observer, span: span.clone() };
        Box::pin(
            async move {
                match inner.call(req).await {
                    Ok(response) => {
                        let status = response.headers().get("grpc-status").map(|v| code_of(v.as_bytes()));
                        match status {
                            Some(code) => {
                                call.finish(code);
                                Ok(response)
                            }
                            None => {
                                let (parts, body) = response.into_parts();
                                let body = tonic::body::Body::new(ObservedBody { inner: body, call: Some(call) });
                                Ok(http::Response::from_parts(parts, body))
                            }
                        }
                    }
                    Err(e) => {
                        // The transport failed before any answer: tonic reports UNAVAILABLE.
                        call.finish(Code::Unavailable);
                        Err(e)
                    }
                }
            }
            .instrument(span),
        )
    }
}

fn code_of(v: &[u8]) -> Code {
    std::str::from_utf8(v).ok().and_then(|s| s.trim().parse::<i32>().ok()).map_or(Code::Unknown, Code::from)
}

/// One call, until its status is known.
struct Call {
    started: Instant,
    method: &'static str,
    observer: Option<Arc<Observer>>,
    span: tracing::Span,
}

impl Call {
    fn finish(self, code: Code) {
        let error_type = (code != Code::Ok).then(|| status_name(code));
        self.span.record("rpc.response.status_code", status_name(code));
        if let Some(e) = error_type {
            self.span.record("error.type", e);
            self.span.record("otel.status_code", "error");
        }
        if let Some(o) = &self.observer {
            o.metrics.client_call(
                CallOutcome { method: self.method, code, error_type },
                o.server_address,
                self.started.elapsed(),
            );
            if dependency_failed(code) {
                o.metrics.dependency_error(o.target, code);
            }
        }
    }
}

/// The codes that mean the dependency could not answer (rather than answering no).
fn dependency_failed(code: Code) -> bool {
    server_error(code) || matches!(code, Code::ResourceExhausted | Code::Cancelled)
}

struct ObservedBody {
    inner: tonic::body::Body,
    call: Option<Call>,
}

impl Body for ObservedBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let code = trailers.get("grpc-status").map_or(Code::Unknown, |v| code_of(v.as_bytes()));
                    if let Some(call) = self.call.take() {
                        call.finish(code);
                    }
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(call) = self.call.take() {
                    call.finish(Code::Unavailable);
                }
            }
            Poll::Ready(None) => {
                // A body that ends without trailers carries no status.
                if let Some(call) = self.call.take() {
                    call.finish(Code::Unknown);
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ObservedBody {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.finish(Code::Cancelled);
        }
    }
}
