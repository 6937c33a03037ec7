//! Answers DEADLINE_EXCEEDED just before the client's own deadline (or the server's
//! bound); innermost, so that it times the handler alone.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tonic::Code;
use tower::Service;

use super::grpc_timeout;
use super::step::{Response, Step, exempt};
use crate::error::Problem;

#[derive(Debug)]
pub struct Deadline {
    pub timeout: Duration,
    pub domain: &'static str,
}

impl Deadline {
    /// Stop just before the client's own deadline so that the client gets our answer.
    fn for_request(&self, headers: &http::HeaderMap) -> Duration {
        grpc_timeout(headers)
            .map(|t| t.saturating_sub(Duration::from_millis(5)).min(self.timeout))
            .unwrap_or(self.timeout)
    }
}

impl Step for Deadline {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        if exempt(req.uri().path()) {
            return Box::pin(inner.call(req));
        }
        let deadline = self.for_request(req.headers());
        Box::pin(async move {
            match tokio::time::timeout(deadline, inner.call(req)).await {
                Ok(r) => r,
                Err(_) => {
                    let p = Problem::new(
                        Code::DeadlineExceeded,
                        "DEADLINE_EXCEEDED",
                        format!("no answer within {deadline:?}"),
                    );
                    Ok(p.into_status(self.domain).into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_the_clients_less_a_margin_within_the_servers_bound() {
        let d = Deadline { timeout: Duration::from_secs(10), domain: "test.example" };
        let mut h = http::HeaderMap::new();
        assert_eq!(d.for_request(&h), Duration::from_secs(10), "no grpc-timeout: the server's bound");
        h.insert("grpc-timeout", "200m".parse().unwrap());
        assert_eq!(d.for_request(&h), Duration::from_millis(195));
        h.insert("grpc-timeout", "1M".parse().unwrap());
        assert_eq!(d.for_request(&h), Duration::from_secs(10), "never past the server's bound");
    }
}
