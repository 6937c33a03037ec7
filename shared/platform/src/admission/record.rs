//! Records the outcome on the span and in the metrics; it sits outside the ErrorInfo
//! repair so that it counts the code the caller sees.

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use tower::Service;

use super::server_error;
use super::step::{Response, Step, grpc_status};
use crate::metrics::{CallOutcome, Metrics, method_label, status_name};

#[derive(Debug)]
pub struct Record {
    pub metrics: Metrics,
}

impl Step for Record {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        let method = method_label(req.uri().path());
        Box::pin(async move {
            let started = Instant::now();
            let response = inner.call(req).await?;
            let code = grpc_status(&response);
            let error_type = server_error(code).then(|| status_name(code));
            let span = tracing::Span::current();
            span.record("rpc.response.status_code", status_name(code));
            if let Some(e) = error_type {
                span.record("error.type", e);
                span.record("otel.status_code", "error");
            }
            self.metrics.server_call(CallOutcome { method, code, error_type }, started.elapsed());
            Ok(response)
        })
    }
}
