//! A response body that holds something for as long as the response lives: a stream
//! permit, or the mark that keeps its connection busy. A streaming response lives until
//! its last message is sent or the client goes away, long after the handler returned.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::OwnedSemaphorePermit;

use crate::runtime::conn::CallGuard;

pub(super) struct Held {
    inner: tonic::body::Body,
    _permit: Option<OwnedSemaphorePermit>,
    _call: Option<CallGuard>,
}

impl Held {
    /// `response` with `permit` and `call` released when its body is done or dropped.
    pub(super) fn wrap(
        response: http::Response<tonic::body::Body>,
        permit: Option<OwnedSemaphorePermit>,
        call: Option<CallGuard>,
    ) -> http::Response<tonic::body::Body> {
        if permit.is_none() && call.is_none() {
            return response;
        }
        response.map(|inner| tonic::body::Body::new(Held { inner, _permit: permit, _call: call }))
    }
}

impl http_body::Body for Held {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, tonic::Status>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::Body::size_hint(&self.inner)
    }
}
