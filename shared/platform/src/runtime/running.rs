//! A running service: its server and its database, stopped together.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use super::{GrpcService, RuntimeConfig, ServerBuilder, ServerHandle};
use crate::db::Db;

/// A running service: its server and its database, stopped together.
pub struct Running {
    handle: ServerHandle,
    db: Db,
    /// The server's own `/metrics` endpoint, when it has one.
    metrics: Option<crate::metrics::MetricsEndpoint>,
}

impl Running {
    /// Serves one authenticated gRPC service (already wrapped in the token check) with
    /// the shared runtime settings of `args`, beside health and reflection, as the service
    /// `name` (`ordering`): its spans carry that `service.name`, its metrics record into
    /// `args.metrics` and, when the server has an endpoint of its own (`--metrics-listen`),
    /// it opens it. An empty `name` records no metrics.
    pub async fn serve_named<S, RB>(
        args: &crate::config::ServerArgs,
        name: &'static str,
        domain: &'static str,
        service: S,
        listener: TcpListener,
        db: Db,
    ) -> anyhow::Result<Self>
    where
        S: GrpcService<RB>,
        RB: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let metrics = if name.is_empty() { crate::metrics::Metrics::disabled() } else { args.metrics.service(name) };
        db.observe(&metrics);
        let endpoint = args.metrics.open_endpoint().await?;
        let handle = ServerBuilder::new(RuntimeConfig {
            domain,
            request_timeout: args.request_timeout,
            concurrency_limit: args.concurrency_limit,
            shutdown_grace: args.shutdown_grace,
            limits: args.limits.clone(),
            service: name,
            metrics,
        })?
        .tls(super::ServerTls::from_args(&args.tls)?)
        .add_service(service)
        .start(listener, Some(db.clone()))
        .await?;
        Ok(Self { handle, db, metrics: endpoint })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Where this server's own `/metrics` endpoint listens, if it has one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|m| m.local_addr())
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
