//! The bounds on what a client can hold open: streams, Watch subscriptions, connections,
//! and how a stopping server lets its clients move elsewhere.

use std::time::Duration;

use super::parse_duration;
use crate::events::WatchLimits;

/// Streams and connections.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// HTTP/2 streams one connection may have open at once (more are refused with REFUSED_STREAM).
    #[arg(long, env = "GCC_MAX_CONCURRENT_STREAMS", default_value_t = 200)]
    pub max_concurrent_streams: u32,
    /// Watch streams one tenant may have open at once on this server.
    #[arg(long, env = "GCC_WATCH_STREAMS_PER_TENANT", default_value_t = 16)]
    pub watch_streams_per_tenant: usize,
    /// Watch streams this server holds open at once, for all tenants.
    #[arg(long, env = "GCC_WATCH_STREAMS_TOTAL", default_value_t = 1024)]
    pub watch_streams_total: usize,
    /// Longest life of a Watch stream; it then ends cleanly and the client subscribes again.
    #[arg(long, env = "GCC_WATCH_MAX_LIFETIME", default_value = "30m", value_parser = parse_duration)]
    pub watch_max_lifetime: Duration,
    /// Messages a Watch stream buffers for a client that reads slower than changes arrive.
    #[arg(long, env = "GCC_WATCH_BUFFER", default_value_t = 16)]
    pub watch_buffer: usize,
    /// How long a Watch stream's buffer may stay full before the stream ends with SLOW_CONSUMER.
    #[arg(long, env = "GCC_WATCH_STALL_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub watch_stall_timeout: Duration,
    /// Health and reflection calls (which need no token) open at once, streams included.
    #[arg(long, env = "GCC_HEALTH_STREAMS_LIMIT", default_value_t = 128)]
    pub health_streams_limit: usize,
    /// Interval of HTTP/2 pings that find dead peers (0s: none).
    #[arg(long, env = "GCC_HTTP2_KEEPALIVE_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub http2_keepalive_interval: Duration,
    /// How long a ping may go unanswered before the connection is closed.
    #[arg(long, env = "GCC_HTTP2_KEEPALIVE_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub http2_keepalive_timeout: Duration,
    /// A connection without a call in flight for this long is closed (0s: never).
    #[arg(long, env = "GCC_MAX_CONNECTION_IDLE", default_value = "5m", value_parser = parse_duration)]
    pub max_connection_idle: Duration,
    /// Connections are closed gracefully after this age, so that clients re-resolve and
    /// spread over replicas (default: never).
    #[arg(long, env = "GCC_MAX_CONNECTION_AGE", value_parser = parse_duration)]
    pub max_connection_age: Option<Duration>,
    /// On SIGTERM, how long health reports NOT_SERVING while calls are still served, so
    /// that load balancers stop sending new ones before the server stops accepting.
    #[arg(long, env = "GCC_DRAIN_DELAY", default_value = "0s", value_parser = parse_duration)]
    pub drain_delay: Duration,
    /// Lets the concurrency limit follow latency: while more than a tenth of the calls take
    /// longer than this, it shrinks (to 4 at the least), and it grows back, up to
    /// `--concurrency-limit`, while they are fast. Past its capacity the server then sheds
    /// the excess at once and the calls it admits keep their latency. Unset: fixed.
    #[arg(long, env = "GCC_LATENCY_TARGET", value_parser = parse_duration)]
    pub latency_target: Option<Duration>,
}

impl LimitArgs {
    pub fn watch_limits(&self) -> WatchLimits {
        WatchLimits {
            per_tenant: self.watch_streams_per_tenant,
            total: self.watch_streams_total,
            max_lifetime: self.watch_max_lifetime,
            buffer: self.watch_buffer.max(1),
            stall_timeout: self.watch_stall_timeout,
        }
    }
}
