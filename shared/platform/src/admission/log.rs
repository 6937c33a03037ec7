//! Logs each call at a level chosen by who is at fault; it sits inside the ErrorInfo
//! repair so that the log shows what the framework or handler itself answered.

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use tonic::Code;
use tower::Service;

use super::step::{Response, Step, grpc_status};

#[derive(Debug)]
pub struct Log;

impl Step for Log {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        let path = req.uri().path().to_owned();
        Box::pin(async move {
            let started = Instant::now();
            let response = inner.call(req).await?;
            let code = grpc_status(&response);
            let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
            match code {
                Code::Ok => tracing::debug!(path, elapsed_ms, "ok"),
                Code::Internal | Code::Unknown | Code::DataLoss | Code::Unavailable => {
                    tracing::error!(path, elapsed_ms, code = ?code, "failed")
                }
                _ => tracing::info!(path, elapsed_ms, code = ?code, "refused"),
            }
            Ok(response)
        })
    }
}
