//! Gives every error leaving the server an `ErrorInfo`, including those tonic makes
//! itself (an oversized message, an unknown method); it sits outside everything that
//! answers, so that no error can pass it without one.

use std::error::Error;
use std::sync::Arc;

use futures::future::BoxFuture;
use tonic::{Code, Status};
use tower::Service;

use super::percent_decode;
use super::step::{Response, Step, grpc_status};
use crate::error::Problem;

#[derive(Debug)]
pub struct Repair {
    pub domain: &'static str,
}

impl Step for Repair {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        Box::pin(async move { inner.call(req).await.map(|r| self.repair(r)) })
    }
}

impl Repair {
    /// `response`, or an answer with a classified `ErrorInfo` for a trailers-only error
    /// that lacks one.
    fn repair(&self, response: Response) -> Response {
        let code = grpc_status(&response);
        if code == Code::Ok || response.headers().contains_key("grpc-status-details-bin") {
            return response;
        }
        // `Status::into_http` leaves the status itself in the extensions, with its cause.
        let status = response.extensions().get::<Status>();
        let message = match status {
            Some(s) => s.message().to_owned(),
            None => percent_decode(response.headers().get("grpc-message").and_then(|v| v.to_str().ok()).unwrap_or("")),
        };
        framework_problem(code, status, message).into_status(self.domain).into_http()
    }
}

/// What broke underneath the call, found in a status's cause chain by type.
#[derive(Debug, PartialEq, Eq)]
enum Cause {
    /// The connection or its HTTP/2 stream (h2, hyper, the transport, I/O).
    Transport,
    /// A timer ran out below the handler.
    Elapsed,
}

fn cause(status: &Status) -> Option<Cause> {
    let mut next: Option<&(dyn Error + 'static)> = status.source();
    while let Some(e) = next {
        if e.is::<tokio::time::error::Elapsed>() {
            return Some(Cause::Elapsed);
        }
        if e.is::<h2::Error>() || e.is::<tonic::transport::Error>() || e.is::<std::io::Error>() {
            return Some(Cause::Transport);
        }
        next = e.source();
    }
    None
}

/// The reason for an error that tonic produced before or around our handler, told by
/// its code and the type of its cause (every handler error already has `ErrorInfo`).
fn framework_problem(code: Code, status: Option<&Status>, message: String) -> Problem {
    match (code, status.and_then(cause)) {
        (_, Some(Cause::Elapsed)) | (Code::Cancelled | Code::DeadlineExceeded, _) => {
            Problem::new(Code::DeadlineExceeded, "DEADLINE_EXCEEDED", "the deadline passed")
        }
        (_, Some(Cause::Transport)) => Problem::new(code, "UNCLASSIFIED", message),
        // The codec's limits on decoding, decompressing and encoding a message.
        (Code::OutOfRange | Code::ResourceExhausted, None) => {
            Problem::new(Code::ResourceExhausted, "MESSAGE_TOO_LARGE", "the message is larger than this server accepts")
        }
        // The codec's own INTERNAL: a body that is not a valid framed protobuf message.
        (Code::Internal, None) => {
            Problem::new(Code::InvalidArgument, "MESSAGE_MALFORMED", "the request is not a valid protobuf message")
        }
        (Code::Unimplemented, _) => {
            Problem::new(Code::Unimplemented, "METHOD_NOT_FOUND", "no such method on this server")
        }
        (other, _) => Problem::new(other, "UNCLASSIFIED", message),
    }
}

#[cfg(test)]
mod tests;
