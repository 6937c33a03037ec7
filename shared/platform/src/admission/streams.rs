//! Bounds the health and reflection calls, which skip shedding and need no token, so
//! that a client cannot hold unbounded Watch streams open; it sits beside shedding, on
//! the exempt paths only, and holds its permit for as long as the response streams.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::Semaphore;
use tonic::Code;
use tower::Service;

use super::held::Held;
use super::step::{Response, Step, exempt};
use crate::error::Problem;

#[derive(Debug)]
pub struct StreamBound {
    pub streams: Arc<Semaphore>,
    pub domain: &'static str,
}

impl Step for StreamBound {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        if !exempt(req.uri().path()) {
            return Box::pin(inner.call(req));
        }
        Box::pin(async move {
            let Ok(permit) = self.streams.clone().try_acquire_owned() else {
                let p = Problem::new(
                    Code::ResourceExhausted,
                    "STREAM_LIMIT_REACHED",
                    "too many health and reflection calls are open; retry with backoff",
                )
                .with_retry(Duration::from_millis(500));
                return Ok(p.into_status(self.domain).into_http());
            };
            inner.call(req).await.map(|r| Held::wrap(r, Some(permit)))
        })
    }
}
