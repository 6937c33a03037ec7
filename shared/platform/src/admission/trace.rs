//! Outermost: the `rpc` span, a child of the caller's trace context, so that everything
//! below (logs, metrics, the handler) happens inside it.

use std::sync::Arc;

use futures::future::BoxFuture;
use tower::Service;
use tracing::{Instrument, field};

use super::step::{Response, Step};
use crate::metrics::method_label;
use crate::telemetry::adopt_remote_parent;

#[derive(Debug)]
pub struct Trace {
    /// The service's name (`ordering`): its spans' `service.name`; empty for none.
    pub service: &'static str,
}

impl Step for Trace {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        let method = method_label(req.uri().path());
        // Named and described by the OpenTelemetry RPC conventions.
        let span = tracing::info_span!(
            "rpc",
            otel.name = method,
            otel.kind = "server",
            otel.status_code = field::Empty,
            rpc.system.name = "grpc",
            rpc.method = method,
            rpc.response.status_code = field::Empty,
            error.type = field::Empty,
            service.name = field::Empty,
        );
        if !self.service.is_empty() {
            span.record("service.name", self.service);
        }
        adopt_remote_parent(&span, req.headers());
        Box::pin(async move { inner.call(req).await }.instrument(span))
    }
}
