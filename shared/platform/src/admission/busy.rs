//! Keeps the connection busy (not idle) while a call's response lives; it sits outside
//! the limits so that even a refused call counts as activity until it is answered.

use std::sync::Arc;

use futures::future::BoxFuture;
use tower::Service;

use super::held::Held;
use super::step::{Response, Step};
use crate::runtime::conn::ConnInfo;

#[derive(Debug)]
pub struct Busy;

impl Step for Busy {
    fn run<S, B>(self: Arc<Self>, req: http::Request<B>, mut inner: S) -> BoxFuture<'static, Result<Response, S::Error>>
    where
        S: Service<http::Request<B>, Response = Response> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        B: Send + 'static,
    {
        let call = req.extensions().get::<ConnInfo>().map(|c| c.activity.call());
        Box::pin(async move { inner.call(req).await.map(|r| Held::wrap(r, call)) })
    }
}
