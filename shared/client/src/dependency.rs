//! How a service reaches the services it depends on: TLS for `https://` endpoints (the
//! webpki roots, or the CAs of `--dependency-ca-file`), and optionally calls spread over
//! every address of the endpoint's name.
//!
//! Balancing is off by default. Inside a mesh, one connection to the sidecar is right:
//! the sidecar balances each request. Without a mesh, kube-proxy balances connections,
//! not requests, so one long-lived HTTP/2 connection pins a caller to one replica; with
//! `--dependency-balance dns` (and a headless Service, whose name resolves to every
//! ready pod), the name is re-resolved every `--dependency-resolve-interval` and calls
//! are spread over all its addresses by tower's power-of-two-choices balancer.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tonic::transport::channel::Change;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Uri};

mod resolve;
pub use resolve::{Resolve, Resolver, StaticResolver};

/// Calls to other services: TLS trust and balancing. Servers fill it from their flags
/// (`gcc_platform::DependencyArgs`); the defaults are one connection and the webpki roots.
#[derive(Clone, Debug)]
pub struct DependencyConfig {
    /// PEM file of the CAs trusted for https:// endpoints, instead of the webpki roots.
    pub ca_file: Option<PathBuf>,
    /// How calls to a dependency are spread.
    pub balance: BalanceMode,
    /// With [`BalanceMode::Dns`]: how often the names are resolved again.
    pub resolve_interval: Duration,
    /// Where names are resolved (the system resolver unless set).
    pub resolver: Option<Resolver>,
}

impl Default for DependencyConfig {
    fn default() -> Self {
        Self { ca_file: None, balance: BalanceMode::None, resolve_interval: Duration::from_secs(10), resolver: None }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BalanceMode {
    /// One connection per dependency.
    #[default]
    None,
    /// Calls spread over every address of the name, re-resolved periodically.
    Dns,
}

impl DependencyConfig {
    /// What to connect with; reads the CA file.
    pub fn transport(&self) -> anyhow::Result<Transport> {
        let mut transport = Transport::default();
        if let Some(path) = &self.ca_file {
            let pem =
                std::fs::read(path).with_context(|| format!("cannot read --dependency-ca-file {}", path.display()))?;
            transport = transport.with_ca_pem(pem).context("--dependency-ca-file")?;
        }
        transport.balance = (self.balance == BalanceMode::Dns).then(|| Balance {
            interval: self.resolve_interval.max(Duration::from_millis(10)),
            resolver: self.resolver.clone().unwrap_or_else(Resolver::system),
        });
        Ok(transport)
    }
}

/// TLS trust and balancing for outgoing connections.
#[derive(Clone, Debug, Default)]
pub struct Transport {
    ca_pem: Option<Vec<u8>>,
    balance: Option<Balance>,
}

#[derive(Clone, Debug)]
struct Balance {
    interval: Duration,
    resolver: Resolver,
}

/// Connections are opened at the first call; this only checks the endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Addresses one name may spread calls over; more are ignored (with a warning).
const MAX_ADDRESSES: usize = 64;

impl Transport {
    /// Trusts the CAs in `pem` (instead of the webpki roots) for https:// endpoints.
    pub fn with_ca_pem(mut self, pem: Vec<u8>) -> anyhow::Result<Self> {
        anyhow::ensure!(
            String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----"),
            "the CA file holds no PEM certificate"
        );
        self.ca_pem = Some(pem);
        Ok(self)
    }

    /// A lazy channel to `endpoint` (http:// or https://).
    pub fn channel(&self, endpoint: &str) -> anyhow::Result<Channel> {
        let uri: Uri = endpoint.parse().map_err(|e| anyhow::anyhow!("invalid endpoint {endpoint:?}: {e}"))?;
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .with_context(|| format!("endpoint {endpoint:?} has no host"))?
            .to_owned();
        let tls = match uri.scheme_str() {
            Some("http") => None,
            Some("https") => Some(self.tls_config(&host)),
            _ => anyhow::bail!("endpoint {endpoint:?} must start with http:// or https://"),
        };
        let single = configure(Endpoint::from(uri.clone()), tls.as_ref())?;
        let Some(balance) = &self.balance else {
            return Ok(single.connect_lazy());
        };
        // An address needs no resolving.
        if host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok() {
            return Ok(single.connect_lazy());
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| anyhow::anyhow!("balancing calls to {endpoint} needs a running tokio runtime"))?;
        let port = uri.port_u16().unwrap_or(if tls.is_some() { 443 } else { 80 });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let per_address = move |addr: SocketAddr| -> anyhow::Result<Endpoint> {
            // Connect to the address; the name stays the request's authority and the
            // name the server's certificate is checked against.
            let e = Endpoint::from_shared(format!("{scheme}://{addr}"))?.origin(uri.clone());
            configure(e, tls.as_ref())
        };
        let (channel, changes) = Channel::balance_channel::<Target>(MAX_ADDRESSES * 2 + 1);
        runtime.spawn(resolve_loop(host, port, balance.clone(), single, Box::new(per_address), changes));
        Ok(channel)
    }

    fn tls_config(&self, host: &str) -> ClientTlsConfig {
        let config = ClientTlsConfig::new().domain_name(host.trim_matches(['[', ']']));
        match &self.ca_pem {
            Some(pem) => config.ca_certificate(Certificate::from_pem(pem)),
            None => config.with_webpki_roots(),
        }
    }
}

/// Connection settings of every endpoint, and TLS for https://.
fn configure(e: Endpoint, tls: Option<&ClientTlsConfig>) -> anyhow::Result<Endpoint> {
    let e = e.connect_timeout(CONNECT_TIMEOUT).tcp_nodelay(true);
    match tls {
        Some(tls) => {
            let shown = e.uri().to_string();
            e.tls_config(tls.clone()).with_context(|| format!("TLS for {shown}"))
        }
        None => Ok(e),
    }
}

/// One endpoint of a balanced channel: an address, or the name itself until the first
/// answer (so that calls fail as they would unbalanced, rather than wait).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Target {
    Name,
    Addr(SocketAddr),
}

type PerAddress = Box<dyn Fn(SocketAddr) -> anyhow::Result<Endpoint> + Send>;

/// Resolves `host` every interval and moves the balanced channel's endpoints to the
/// answer. A failed or empty answer keeps the last good set (a replica that is gone then
/// fails its calls, which the caller sees as UNAVAILABLE, as without balancing). Ends
/// when the channel is dropped.
async fn resolve_loop(
    host: String,
    port: u16,
    balance: Balance,
    name: Endpoint,
    per_address: PerAddress,
    changes: tokio::sync::mpsc::Sender<Change<Target, Endpoint>>,
) {
    let mut current: HashSet<SocketAddr> = HashSet::new();
    let mut by_name = false;
    loop {
        let answer = tokio::select! {
            answer = balance.resolver.resolve(&host, port) => answer,
            () = changes.closed() => return,
        };
        let mut addrs = match answer {
            Ok(addrs) => addrs,
            Err(e) => {
                tracing::warn!(host, error = %e, "cannot resolve a dependency; keeping its current addresses");
                Vec::new()
            }
        };
        addrs.sort();
        addrs.dedup();
        if addrs.len() > MAX_ADDRESSES {
            tracing::warn!(host, found = addrs.len(), kept = MAX_ADDRESSES, "a dependency has too many addresses");
            addrs.truncate(MAX_ADDRESSES);
        }
        let sent = changes_to(&host, addrs, &mut current, &mut by_name, &name, &per_address);
        for change in sent {
            if changes.send(change).await.is_err() {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(balance.interval) => {}
            () = changes.closed() => return,
        }
    }
}

/// The changes that move the balanced channel from `current` to `addrs` (an empty answer
/// keeps the current set, or falls back to the name itself before any address is known).
fn changes_to(
    host: &str,
    addrs: Vec<SocketAddr>,
    current: &mut HashSet<SocketAddr>,
    by_name: &mut bool,
    name: &Endpoint,
    per_address: &PerAddress,
) -> Vec<Change<Target, Endpoint>> {
    let mut sent = Vec::new();
    if addrs.is_empty() {
        if current.is_empty() && !*by_name {
            *by_name = true;
            sent.push(Change::Insert(Target::Name, name.clone()));
        }
    } else {
        let next: HashSet<SocketAddr> = addrs.into_iter().collect();
        for gone in current.difference(&next) {
            sent.push(Change::Remove(Target::Addr(*gone)));
        }
        for new in next.difference(current) {
            match per_address(*new) {
                Ok(endpoint) => sent.push(Change::Insert(Target::Addr(*new), endpoint)),
                Err(e) => tracing::warn!(host, addr = %new, error = %e, "cannot use a dependency address"),
            }
        }
        if *by_name {
            *by_name = false;
            sent.push(Change::Remove(Target::Name));
        }
        if !sent.is_empty() {
            tracing::info!(host, addresses = ?next, "dependency addresses changed");
        }
        *current = next;
    }
    sent
}
