//! Accepted connections that close themselves after a while without calls. tonic has
//! no idle bound of its own, and HTTP/2 pings keep an idle connection's socket busy, so
//! activity is counted in calls: the admission layer marks each call on its
//! connection's [`Activity`] for as long as its response lives. The same for TLS
//! connections, whose TCP side gives the peer's address.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Calls in flight on one connection, and when the last one ended.
#[derive(Debug)]
pub struct Activity {
    born: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `born` at which the connection was last busy.
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self { born: Instant::now(), in_flight: AtomicUsize::new(0), last_ms: AtomicU64::new(0) }
    }

    /// Marks a call as running until the returned guard is dropped.
    pub fn call(self: &Arc<Self>) -> CallGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        CallGuard(self.clone())
    }

    fn touch(&self) {
        let ms = u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Release);
    }

    /// When the connection becomes idle for `idle`, if no call runs now.
    fn idle_deadline(&self, idle: Duration) -> Option<Instant> {
        (self.in_flight.load(Ordering::Acquire) == 0)
            .then(|| self.born + Duration::from_millis(self.last_ms.load(Ordering::Acquire)) + idle)
    }
}

/// One call on a connection; the connection is busy while it lives.
#[derive(Debug)]
pub struct CallGuard(Arc<Activity>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What tonic puts in each request's extensions for a [`TrackedIo`] connection.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub tcp: TcpConnectInfo,
    pub activity: Arc<Activity>,
}

/// What a server reads and writes: plain TCP, or TLS over it.
pub enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl From<TcpStream> for Io {
    fn from(io: TcpStream) -> Self {
        Self::Plain(io)
    }
}

impl From<tokio_rustls::server::TlsStream<TcpStream>> for Io {
    fn from(io: tokio_rustls::server::TlsStream<TcpStream>) -> Self {
        Self::Tls(Box::new(io))
    }
}

impl Io {
    fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(io) => io,
            Self::Tls(io) => io.get_ref().0,
        }
    }
}

/// Forwards to the plain or the TLS stream.
macro_rules! each {
    ($self:ident, $io:ident => $e:expr) => {
        match &mut $self.io {
            Io::Plain($io) => {
                let $io = Pin::new($io);
                $e
            }
            Io::Tls($io) => {
                let $io = Pin::new(&mut **$io);
                $e
            }
        }
    };
}

/// A TCP (or TLS) connection that reads end-of-file once it has had no call for `idle`,
/// which makes the server close it.
pub struct TrackedIo {
    io: Io,
    activity: Arc<Activity>,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
}

impl TrackedIo {
    /// `idle` zero: never closed for idleness.
    pub fn new(io: impl Into<Io>, idle: Duration) -> Self {
        let io = io.into();
        let activity = Arc::new(Activity::new());
        let timer = Box::pin(tokio::time::sleep(if idle.is_zero() { Duration::from_secs(86_400 * 365) } else { idle }));
        Self { io, activity, idle, timer }
    }

    /// Whether the connection has been idle for its bound; re-arms the timer otherwise.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.idle.is_zero() {
            return false;
        }
        while self.timer.as_mut().poll(cx).is_ready() {
            match self.activity.idle_deadline(self.idle) {
                Some(at) if at <= Instant::now() => return true,
                Some(at) => self.timer.as_mut().reset(at),
                None => self.timer.as_mut().reset(Instant::now() + self.idle),
            }
        }
        false
    }
}

impl Connected for TrackedIo {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> ConnInfo {
        ConnInfo { tcp: self.io.tcp().connect_info(), activity: self.activity.clone() }
    }
}

impl AsyncRead for TrackedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.expired(cx) {
            tracing::debug!(idle = ?self.idle, "closing an idle connection");
            return Poll::Ready(Ok(()));
        }
        each!(self, io => io.poll_read(cx, buf))
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        each!(self, io => io.poll_write(cx, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => io.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => io.poll_shutdown(cx))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, io => io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(io) => io.is_write_vectored(),
            Io::Tls(io) => io.is_write_vectored(),
        }
    }
}
