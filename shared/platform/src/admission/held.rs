//! A response body that holds something for as long as the response lives: a stream
//! permit, or the mark that keeps its connection busy. A streaming response lives until
//! its last message is sent or the client goes away, long after the handler returned.

use std::pin::Pin;
use std::task::{Context, Poll};

pub(super) struct Held<T> {
    inner: tonic::body::Body,
    _held: T,
}

impl<T: Send + Unpin + 'static> Held<T> {
    /// `response` with `held` released when its body is done or dropped.
    pub(super) fn wrap(
        response: http::Response<tonic::body::Body>,
        held: Option<T>,
    ) -> http::Response<tonic::body::Body> {
        match held {
            None => response,
            Some(held) => response.map(|inner| tonic::body::Body::new(Held { inner, _held: held })),
        }
    }
}

impl<T: Send + Unpin + 'static> http_body::Body for Held<T> {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, tonic::Status>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::Body::size_hint(&self.inner)
    }
}
