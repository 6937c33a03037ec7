//! Where the names of balanced dependencies are resolved: the system resolver, or
//! addresses set in code.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Answers which addresses a name has.
pub trait Resolve: Send + Sync + 'static {
    fn resolve(&self, host: &str, port: u16) -> futures::future::BoxFuture<'static, std::io::Result<Vec<SocketAddr>>>;
}

/// A shared [`Resolve`].
#[derive(Clone)]
pub struct Resolver(Arc<dyn Resolve>);

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

impl Resolver {
    pub fn new(resolve: impl Resolve) -> Self {
        Self(Arc::new(resolve))
    }

    /// The system's resolver (getaddrinfo through tokio): every A and AAAA record.
    pub fn system() -> Self {
        Self::new(SystemResolver)
    }

    pub async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        self.0.resolve(host, port).await
    }
}

struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> futures::future::BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> {
        let target = format!("{host}:{port}");
        Box::pin(async move { Ok(tokio::net::lookup_host(target).await?.collect()) })
    }
}

/// Names with the addresses given in code, changed at will: for tests, which cannot
/// make one name resolve to several local servers through the system resolver.
#[derive(Clone, Default)]
pub struct StaticResolver(Arc<Mutex<HashMap<String, Vec<SocketAddr>>>>);

impl StaticResolver {
    /// `host` now resolves to `addrs` (whatever port is asked for).
    pub fn set(&self, host: &str, addrs: Vec<SocketAddr>) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(host.to_owned(), addrs);
    }
}

impl Resolve for StaticResolver {
    fn resolve(&self, host: &str, _port: u16) -> futures::future::BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> {
        let found = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(host).cloned();
        let host = host.to_owned();
        Box::pin(async move {
            found.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("{host} is not known")))
        })
    }
}
