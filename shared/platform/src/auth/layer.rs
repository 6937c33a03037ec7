//! The token check in front of a service: verifies the bearer token of every call and
//! puts the `Caller` in the request's extensions. It is a service of its own rather than
//! a tonic interceptor because verifying may wait for a refresh of the key set.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::server::NamedService;
use tower::Service;

use super::{Verifier, unauthenticated};

/// A service whose calls carry a verified caller.
#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    verifier: Arc<Verifier>,
    domain: &'static str,
}

impl<S> Authenticated<S> {
    /// Wraps `inner` so that every call needs a valid bearer token; refusals carry
    /// `domain` (the service's package) in their `ErrorInfo`.
    pub fn new(inner: S, verifier: Arc<Verifier>, domain: &'static str) -> Self {
        Self { inner, verifier, domain }
    }
}

impl<S: NamedService> NamedService for Authenticated<S> {
    const NAME: &'static str = S::NAME;
}

type Response = http::Response<tonic::body::Body>;

impl<S, B> Service<http::Request<B>> for Authenticated<S>
where
    S: Service<http::Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        // The ready clone is the one to call; keep a fresh clone for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let domain = self.domain;
        Box::pin(async move {
            let token = match bearer(req.headers()) {
                Ok(t) => t,
                Err(p) => return Ok(p.into_status(domain).into_http()),
            };
            match verifier.verify_async(&token).await {
                Ok(caller) => {
                    req.extensions_mut().insert(caller);
                    inner.call(req).await
                }
                Err(p) => Ok(p.into_status(domain).into_http()),
            }
        })
    }
}

fn bearer(headers: &http::HeaderMap) -> Result<String, crate::Problem> {
    let header =
        headers.get("authorization").ok_or_else(|| unauthenticated("TOKEN_MISSING", "a bearer token is required"))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| unauthenticated("TOKEN_MALFORMED", "expected `authorization: Bearer <token>`"))
}
