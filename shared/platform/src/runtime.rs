//! Serving: health (NOT_SERVING until ready, on database loss and during shutdown),
//! reflection v1, the admission layer, HTTP/2 settings, and a bounded graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::admission::AdmissionLayer;
use crate::db::Db;

/// How one server runs.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The service's package, used as the `ErrorInfo.domain`.
    pub domain: &'static str,
    pub request_timeout: Duration,
    pub concurrency_limit: usize,
    pub shutdown_grace: Duration,
}

/// Collects the services of one server.
pub struct ServerBuilder {
    config: RuntimeConfig,
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    health: HealthReporter,
}

impl ServerBuilder {
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Self> {
        let (health, health_service) = tonic_health::server::health_reporter();
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(gcc_proto::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service).add_service(reflection);
        Ok(Self { config, routes, names: Vec::new(), health })
    }

    pub fn add_service<S, RB>(mut self, service: S) -> Self
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
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Starts serving on `listener`; health turns SERVING once the server accepts.
    pub async fn start(self, listener: TcpListener, db: Option<Db>) -> anyhow::Result<ServerHandle> {
        let addr = listener.local_addr()?;
        let health = self.health.clone();
        for name in self.names.iter().copied().chain([""]) {
            health.set_service_status(name, ServingStatus::NotServing).await;
        }
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let router = tonic::transport::Server::builder()
            // Find dead peers on idle connections.
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            // Spans, load shedding, deadlines and ErrorInfo for every RPC.
            .layer(AdmissionLayer::new(self.config.concurrency_limit, self.config.request_timeout, self.config.domain))
            .add_routes(self.routes.routes());
        let task = tokio::spawn(async move {
            router
                // Small RPCs: send at once rather than waiting for the peer's delayed ACK
                // (the builder's own nodelay applies only to listeners it binds itself).
                .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), async {
                    let _ = stop_rx.await;
                })
                .await
        });
        for name in self.names.iter().copied().chain([""]) {
            health.set_service_status(name, ServingStatus::Serving).await;
        }
        let monitor = db.map(|db| tokio::spawn(watch_database(db, health.clone(), self.names.clone())));
        Ok(ServerHandle {
            addr,
            stop: Some(stop_tx),
            task,
            monitor,
            health,
            names: self.names,
            grace: self.config.shutdown_grace,
        })
    }
}

/// Health follows the database: NOT_SERVING while it does not answer.
async fn watch_database(db: Db, health: HealthReporter, names: Vec<&'static str>) {
    let mut serving = true;
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let up = db.ping().await;
        if up != serving {
            serving = up;
            let status = if up { ServingStatus::Serving } else { ServingStatus::NotServing };
            tracing::warn!(database_up = up, "database health changed");
            for name in names.iter().copied().chain([""]) {
                health.set_service_status(name, status).await;
            }
        }
    }
}

/// A running server.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
    monitor: Option<JoinHandle<()>>,
    health: HealthReporter,
    names: Vec<&'static str>,
    grace: Duration,
}

impl ServerHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(mut self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        tokio::select! {
            () = signal => {}
            result = &mut self.task => {
                result??;
                anyhow::bail!("the server stopped unexpectedly");
            }
        }
        self.shutdown().await
    }

    /// NOT_SERVING, stop accepting, let in-flight calls finish within the grace period,
    /// then close whatever is left (long-lived streams).
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        for name in self.names.iter().copied().chain([""]) {
            self.health.set_service_status(name, ServingStatus::NotServing).await;
        }
        if let Some(m) = self.monitor.take() {
            m.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(self.grace, &mut self.task).await {
            Ok(result) => result??,
            Err(_) => {
                tracing::warn!(grace = ?self.grace, "in-flight calls did not finish in time; closing them");
                self.task.abort();
            }
        }
        Ok(())
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(m) = self.monitor.take() {
            m.abort();
        }
        if self.stop.is_some() {
            self.task.abort();
        }
    }
}

/// Completes on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}

/// Binds `addr`, or 127.0.0.1 on the service's default port.
pub async fn bind(addr: Option<SocketAddr>, default_port: u16) -> anyhow::Result<TcpListener> {
    let addr = addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], default_port)));
    TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// Prints a failure with its causes and turns it into a non-zero exit.
pub fn exit_code(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

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
        })?
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

/// The allocator every server binary uses: it keeps allocation off the profile of a busy
/// multi-threaded server, where the system allocator costs about a tenth of the CPU.
pub use mimalloc::MiMalloc as ServerAllocator;

/// Makes [`ServerAllocator`] the global allocator of the binary it is written in.
#[macro_export]
macro_rules! server_allocator {
    () => {
        #[global_allocator]
        static ALLOCATOR: $crate::runtime::ServerAllocator = $crate::runtime::ServerAllocator;
    };
}
