//! Serving: health (NOT_SERVING until ready, on database loss and during shutdown),
//! reflection v1, the admission layer, HTTP/2 and connection bounds, and a graceful
//! shutdown that first drains (NOT_SERVING while still serving), then stops within a bound.

pub mod conn;
mod process;
mod running;
mod service;
pub mod tls;

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

pub use process::{bind, exit_code, shutdown_signal};
pub use running::Running;
pub use service::GrpcService;
pub use tls::ServerTls;

use crate::admission::AdmissionLayer;
use crate::config::LimitArgs;
use crate::db::Db;
use conn::TrackedIo;

/// How one server runs.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The service's package, used as the `ErrorInfo.domain`.
    pub domain: &'static str,
    pub request_timeout: Duration,
    pub concurrency_limit: usize,
    pub shutdown_grace: Duration,
    /// Streams, connections and the drain delay.
    pub limits: LimitArgs,
    /// The service's name (`ordering`), for its spans; empty: the process's name.
    pub service: &'static str,
    /// Where the RPC durations, load shedding and in-flight calls are recorded.
    pub metrics: crate::metrics::Metrics,
}

/// Collects the services of one server.
pub struct ServerBuilder {
    config: RuntimeConfig,
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    health: HealthReporter,
    tls: Option<ServerTls>,
}

impl ServerBuilder {
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Self> {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service);
        Ok(Self { config, routes, names: Vec::new(), health, tls: None })
    }

    pub fn add_service<S, RB>(mut self, service: S) -> Self
    where
        S: GrpcService<RB>,
        RB: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Serves TLS with this certificate (plaintext without).
    pub fn tls(mut self, tls: Option<ServerTls>) -> Self {
        self.tls = tls;
        self
    }

    /// Reflection that lists exactly what this port serves (its services, health and
    /// reflection), so that tools such as grpcurl, ghz and mesh tooling see no service
    /// here that would answer UNIMPLEMENTED.
    fn reflection(
        names: &[&'static str],
    ) -> anyhow::Result<
        tonic_reflection::server::v1::ServerReflectionServer<impl tonic_reflection::server::v1::ServerReflection>,
    > {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(gcc_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection");
        for name in names {
            builder = builder.with_service_name(*name);
        }
        Ok(builder.build_v1()?)
    }

    /// The HTTP/2 settings of the server: stream, keepalive and connection-age bounds.
    fn transport(&self) -> tonic::transport::Server {
        let limits = &self.config.limits;
        let nonzero = |d: Duration| (!d.is_zero()).then_some(d);
        let mut server = tonic::transport::Server::builder()
            // A client cannot open unbounded streams on one connection; past this, h2
            // refuses the stream (REFUSED_STREAM).
            .max_concurrent_streams(Some(limits.max_concurrent_streams))
            // Find dead peers on idle connections.
            .http2_keepalive_interval(nonzero(limits.http2_keepalive_interval))
            .http2_keepalive_timeout(Some(limits.http2_keepalive_timeout));
        if let Some(age) = limits.max_connection_age {
            // Old connections close gracefully, so that clients re-resolve and spread
            // over replicas; calls still running then get the shutdown grace.
            server = server.max_connection_age(age).max_connection_age_grace(self.config.shutdown_grace);
        }
        server
    }

    /// Starts serving on `listener`; health turns SERVING once the server accepts.
    pub async fn start(mut self, listener: TcpListener, db: Option<Db>) -> anyhow::Result<ServerHandle> {
        let reflection = Self::reflection(&self.names)?;
        self.routes.add_service(reflection);
        let addr = listener.local_addr()?;
        let health = self.health.clone();
        for name in self.names.iter().copied().chain([""]) {
            health.set_service_status(name, ServingStatus::NotServing).await;
        }
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = self.transport();
        let limits = &self.config.limits;
        let router = server
            // Spans, load shedding, stream bounds, deadlines and ErrorInfo for every RPC.
            .layer(
                AdmissionLayer::new(
                    self.config.concurrency_limit,
                    limits.health_streams_limit,
                    self.config.request_timeout,
                    self.config.domain,
                )
                .with_latency_target(limits.latency_target)
                .with_service(self.config.service, self.config.metrics.clone()),
            )
            .add_routes(self.routes.routes());
        // Small RPCs: send at once rather than waiting for the peer's delayed ACK (the
        // builder's own nodelay applies only to listeners it binds itself). Connections
        // without calls close after the idle bound.
        let idle = limits.max_connection_idle;
        let tcp = TcpIncoming::from(listener).with_nodelay(Some(true));
        let incoming: BoxStream<'static, std::io::Result<TrackedIo>> = match self.tls.take() {
            None => tcp.map(move |accepted| accepted.map(|io| TrackedIo::new(io, idle))).boxed(),
            Some(tls) => tls.accept(tcp).map(move |accepted| accepted.map(|io| TrackedIo::new(io, idle))).boxed(),
        };
        let task = tokio::spawn(async move {
            router
                .serve_with_incoming_shutdown(incoming, async {
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
            drain_delay: self.config.limits.drain_delay,
        })
    }
}

/// How often health asks the database, and how long it waits for the answer: health
/// follows a database outage, and its end, within about two of these.
const DATABASE_CHECK: Duration = Duration::from_secs(1);

/// Health follows the database: NOT_SERVING while it does not answer.
async fn watch_database(db: Db, health: HealthReporter, names: Vec<&'static str>) {
    let mut serving = true;
    loop {
        tokio::time::sleep(DATABASE_CHECK).await;
        // A ping that waits for a connection to a database that is away would wait for
        // the pool's acquire timeout; not answering in time is not answering.
        let up = tokio::time::timeout(DATABASE_CHECK, db.ping()).await.unwrap_or(false);
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
    drain_delay: Duration,
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

    /// NOT_SERVING; keep serving for the drain delay (so that load balancers see it and
    /// send no new calls), then stop accepting, let in-flight calls finish within the
    /// grace period, and close whatever is left (long-lived streams).
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        for name in self.names.iter().copied().chain([""]) {
            self.health.set_service_status(name, ServingStatus::NotServing).await;
        }
        if !self.drain_delay.is_zero() {
            tracing::info!(drain_delay = ?self.drain_delay, "draining before shutdown");
            tokio::time::sleep(self.drain_delay).await;
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
