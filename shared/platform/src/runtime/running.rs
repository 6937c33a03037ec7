//! A running service: its server and its database, stopped together.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tonic::server::NamedService;

use super::{RuntimeConfig, ServerBuilder, ServerHandle};
use crate::db::Db;

/// A running service: its server and its database, stopped together.
pub struct Running {
    handle: ServerHandle,
    db: Db,
}

impl Running {
    /// Serves one authenticated gRPC service (already wrapped in the token check) with
    /// the shared runtime settings of `args`, beside health and reflection.
    pub async fn serve<S, RB>(
        args: &crate::config::ServerArgs,
        domain: &'static str,
        service: S,
        listener: TcpListener,
        db: Db,
    ) -> anyhow::Result<Self>
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<RB>,
                Error = std::convert::Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        RB: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let handle = ServerBuilder::new(RuntimeConfig {
            domain,
            request_timeout: args.request_timeout,
            concurrency_limit: args.concurrency_limit,
            shutdown_grace: args.shutdown_grace,
            limits: args.limits.clone(),
        })?
        .tls(super::ServerTls::from_args(&args.tls)?)
        .add_service(service)
        .start(listener, Some(db.clone()))
        .await?;
        Ok(Self { handle, db })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Serves until `signal`, then shuts down gracefully and closes the database.
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        let result = self.handle.run_until(signal).await;
        self.db.close().await;
        result
    }

    pub async fn shutdown(self) -> anyhow::Result<()> {
        let result = self.handle.shutdown().await;
        self.db.close().await;
        result
    }
}
