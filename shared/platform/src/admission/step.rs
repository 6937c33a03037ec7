//! One small layer of the admission stack: a `Step` says what it does around the call,
//! `Staged` is the tower service that runs it, so each layer is only its own job.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::Code;
use tower::{Layer, Service};

/// What every layer of the stack answers with.
pub type Response = http::Response<tonic::body::Body>;

/// The work one layer does around the call to the layers inside it.
pub trait Step: Send + Sync + 'static {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static;
}

/// `step` in front of `inner`.
#[derive(Debug)]
pub struct Staged<T, S> {
    step: Arc<T>,
    inner: S,
}

impl<T, S: Clone> Clone for Staged<T, S> {
    fn clone(&self) -> Self {
        Self { step: self.step.clone(), inner: self.inner.clone() }
    }
}

/// A layer that puts `T` in front of the service it wraps.
#[derive(Debug)]
pub struct StepLayer<T>(pub Arc<T>);

impl<T, S> Layer<S> for StepLayer<T> {
    type Service = Staged<T, S>;
    fn layer(&self, inner: S) -> Self::Service {
        Staged { step: self.0.clone(), inner }
    }
}

impl<T, S, B> Service<http::Request<B>> for Staged<T, S>
where
    T: Step,
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
        let inner = std::mem::replace(&mut self.inner, clone);
        self.step.clone().run(req, inner)
    }
}

/// The status of a trailers-only answer (OK when the status follows in trailers).
pub fn grpc_status(response: &Response) -> Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from)
        .unwrap_or(Code::Ok)
}

/// Probes and tooling must answer under overload, so they skip shedding and deadlines.
pub fn exempt(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_health_and_reflection_are_exempt() {
        assert!(exempt("/grpc.health.v1.Health/Watch"));
        assert!(exempt("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"));
        assert!(!exempt("/gcc.ordering.v1.OrderingService/PlaceOrder"));
    }

    #[test]
    fn a_status_in_headers_is_read_and_none_means_ok() {
        let refused: Response = tonic::Status::not_found("x").into_http();
        assert_eq!(grpc_status(&refused), Code::NotFound);
        assert_eq!(grpc_status(&http::Response::new(tonic::body::Body::empty())), Code::Ok);
    }
}
