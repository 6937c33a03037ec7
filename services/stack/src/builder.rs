//! The one way to start several services: each after the services it calls, on its own
//! port and database, with its dependencies' endpoints filled in. `gcc-stack`, the
//! end-to-end tests and the load harness all start the set through [`StackBuilder`].

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use gcc_platform::auth::Verifier;
use gcc_platform::config::ServerArgs;
use gcc_platform::time::{SharedClock, SystemClock};
use tokio::net::TcpListener;

/// One of the four services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Partner,
    Relationships,
    Validation,
    Ordering,
}

impl Service {
    /// In the order they start: each after the services it calls.
    pub const ALL: [Service; 4] = [Service::Partner, Service::Relationships, Service::Validation, Service::Ordering];

    pub fn name(self) -> &'static str {
        match self {
            Service::Partner => partner_eligibility::SERVICE,
            Service::Relationships => relationships::SERVICE,
            Service::Validation => customer_validation::SERVICE,
            Service::Ordering => ordering::SERVICE,
        }
    }

    /// The gRPC package it serves.
    pub fn package(self) -> &'static str {
        match self {
            Service::Partner => "gcc.partner.v1",
            Service::Relationships => "gcc.relationships.v1",
            Service::Validation => "gcc.validation.v1",
            Service::Ordering => "gcc.ordering.v1",
        }
    }

    /// Its port after the first (50051 partner-eligibility, then customer-validation,
    /// relationships, ordering), as the README numbers them.
    fn port_offset(self) -> u16 {
        match self {
            Service::Partner => 0,
            Service::Validation => 1,
            Service::Relationships => 2,
            Service::Ordering => 3,
        }
    }

    /// The flags that name the endpoints of the services it calls.
    fn dependencies(self) -> &'static [(&'static str, Service)] {
        match self {
            Service::Partner => &[],
            Service::Relationships => &[("--partner-endpoint", Service::Partner)],
            Service::Validation => {
                &[("--partner-endpoint", Service::Partner), ("--relationships-endpoint", Service::Relationships)]
            }
            Service::Ordering => {
                &[("--validation-endpoint", Service::Validation), ("--relationships-endpoint", Service::Relationships)]
            }
        }
    }
}

/// How to start the set. Each service's configuration is parsed from its own command
/// line (so its defaults and checks apply): the builder's defaults (database, dependency
/// endpoints), then the flags given with [`StackBuilder::flags`], which replace a default
/// of the same name.
pub struct StackBuilder {
    verifier: Arc<Verifier>,
    clock: SharedClock,
    server: Option<ServerArgs>,
    first_port: Option<SocketAddr>,
    databases: [Option<String>; 4],
    flags: [Vec<String>; 4],
    metrics: bool,
    wanted: [bool; 4],
}

impl StackBuilder {
    /// Every service verifies tokens with `verifier`.
    pub fn new(verifier: Arc<Verifier>) -> Self {
        Self {
            verifier,
            clock: Arc::new(SystemClock),
            server: None,
            first_port: None,
            databases: Default::default(),
            flags: Default::default(),
            metrics: false,
            wanted: [true; 4],
        }
    }

    /// One clock for the four services (the system clock otherwise).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Shared server settings (`gcc-stack`'s command line) in place of each service's own;
    /// its listen address and database stay its own.
    pub fn server(mut self, args: ServerArgs) -> Self {
        self.server = Some(args);
        self
    }

    /// The services listen on the port of `addr` and the three after it; each on a free
    /// 127.0.0.1 port otherwise.
    pub fn ports_from(mut self, addr: SocketAddr) -> Self {
        self.first_port = Some(addr);
        self
    }

    pub fn database(mut self, service: Service, url: impl Into<String>) -> Self {
        self.databases[service as usize] = Some(url.into());
        self
    }

    /// Flags for one service's command line (added to those given before).
    pub fn flags<S: Into<String>>(mut self, service: Service, flags: impl IntoIterator<Item = S>) -> Self {
        self.flags[service as usize].extend(flags.into_iter().map(Into::into));
        self
    }

    /// Starts only `services` (with their dependencies' endpoints given by flag when one
    /// of those is left out).
    pub fn only(mut self, services: &[Service]) -> Self {
        self.wanted = Service::ALL.map(|s| services.contains(&s));
        self
    }

    /// Every service serves `/metrics` on a free port of its own.
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }

    fn addr(&self, service: Service) -> SocketAddr {
        match self.first_port {
            Some(mut addr) => {
                addr.set_port(addr.port() + service.port_offset());
                addr
            }
            None => SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }

    /// The service's command line: the defaults, without those the given flags replace.
    fn argv(&self, service: Service, started: &Addrs) -> Vec<String> {
        let tls = self.server.as_ref().is_some_and(|s| s.tls.tls_cert.is_some());
        let scheme = if tls { "https" } else { "http" };
        let mut defaults: Vec<(String, String)> = service
            .dependencies()
            .iter()
            .map(|(flag, dep)| ((*flag).to_owned(), format!("{scheme}://{}", started.get(*dep))))
            .collect();
        if let Some(url) = &self.databases[service as usize] {
            defaults.push(("--database-url".into(), url.clone()));
        }
        if self.metrics {
            defaults.push(("--metrics-listen".into(), "127.0.0.1:0".into()));
        }
        let given = &self.flags[service as usize];
        let mut argv = vec![service.name().to_owned()];
        for (flag, value) in defaults {
            if !given.contains(&flag) {
                argv.extend([flag, value]);
            }
        }
        argv.extend(given.iter().cloned());
        argv
    }

    fn config<C: Parser + HasServer>(&self, service: Service, started: &Addrs) -> anyhow::Result<C> {
        let mut config = C::try_parse_from(self.argv(service, started))
            .with_context(|| format!("{} configuration", service.name()))?;
        if let Some(shared) = &self.server {
            let own = config.server_mut();
            let database_url = own.database_url.take();
            *own = shared.clone();
            own.database_url = database_url;
            own.listen = Some(self.addr(service));
        }
        Ok(config)
    }

    async fn listen(&self, service: Service) -> anyhow::Result<TcpListener> {
        let addr = self.addr(service);
        TcpListener::bind(addr)
            .await
            .with_context(|| format!("{}: cannot listen on {addr} (is another stack running?)", service.name()))
    }

    /// Starts the services (all four, or those [`StackBuilder::only`] names), each after
    /// those it calls.
    pub async fn start(self) -> anyhow::Result<Stack> {
        let mut addrs = Addrs([SocketAddr::from(([127, 0, 0, 1], 0)); 4]);
        let partner = start_one!(self, Service::Partner, partner_eligibility, addrs);
        let relationships = start_one!(self, Service::Relationships, relationships, addrs);
        let validation = start_one!(self, Service::Validation, customer_validation, addrs);
        let ordering = start_one!(self, Service::Ordering, ordering, addrs);
        Ok(Stack { partner, relationships, validation, ordering, addrs })
    }
}

/// Starts one service of the builder when it is wanted, and notes its address for those
/// that call it.
macro_rules! start_one {
    ($builder:ident, $service:expr, $krate:ident, $addrs:ident) => {
        if $builder.wanted[$service as usize] {
            let cfg = $builder.config::<$krate::Config>($service, &$addrs)?;
            let listener = $builder.listen($service).await?;
            let app = $krate::build(&cfg, listener, $builder.clock.clone(), $builder.verifier.clone())
                .await
                .with_context(|| format!("{} did not start", $service.name()))?;
            $addrs.0[$service as usize] = app.local_addr();
            Some(app)
        } else {
            None
        }
    };
}
use start_one;

/// Where each service listens.
#[derive(Debug, Clone, Copy)]
pub struct Addrs([SocketAddr; 4]);

impl Addrs {
    pub fn get(&self, service: Service) -> SocketAddr {
        self.0[service as usize]
    }
}

/// The four services, running; a test may `take()` one and shut it down.
pub struct Stack {
    pub partner: Option<partner_eligibility::Application>,
    pub relationships: Option<relationships::Application>,
    pub validation: Option<customer_validation::Application>,
    pub ordering: Option<ordering::Application>,
    addrs: Addrs,
}

impl Stack {
    pub fn addr(&self, service: Service) -> SocketAddr {
        self.addrs.get(service)
    }

    pub fn addrs(&self) -> Addrs {
        self.addrs
    }

    /// Stops what still runs, from the top of the call graph down, so that nothing calls
    /// a stopped service.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.ordering.take() {
            s.shutdown().await?;
        }
        if let Some(s) = self.validation.take() {
            s.shutdown().await?;
        }
        if let Some(s) = self.relationships.take() {
            s.shutdown().await?;
        }
        if let Some(s) = self.partner.take() {
            s.shutdown().await?;
        }
        Ok(())
    }
}

/// Configurations that carry the shared server settings.
trait HasServer {
    fn server_mut(&mut self) -> &mut ServerArgs;
}

macro_rules! has_server {
    ($($config:ty),*) => {$(
        impl HasServer for $config {
            fn server_mut(&mut self) -> &mut ServerArgs {
                &mut self.server
            }
        }
    )*};
}

has_server!(partner_eligibility::Config, customer_validation::Config, relationships::Config, ordering::Config);
