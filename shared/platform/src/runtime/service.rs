//! What the runtime serves: any generated gRPC server.

use tonic::server::NamedService;

/// A generated gRPC server the runtime can route to, answering with bodies of `RB`.
pub trait GrpcService<RB>:
    tower::Service<
        http::Request<tonic::body::Body>,
        Response = http::Response<RB>,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + NamedService
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S, RB> GrpcService<RB> for S where
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<RB>,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + NamedService
        + Clone
        + Send
        + Sync
        + 'static
{
}
