//! The `/metrics` endpoint: a small HTTP/1.1 server (one request per connection) that
//! answers `GET /metrics`, and nothing else. Bounded: a few connections at a time, a
//! request head of at most 8 KiB, read within 5 seconds.
//!
//! A scraper that accepts OpenMetrics (Prometheus does, first) gets it; any other gets the
//! classic Prometheus text format (0.0.4), which tools such as `promtool check metrics`
//! and older agents read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::MetricsRegistry;

const MAX_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_CONNECTIONS: usize = 16;
/// What Prometheus asks for first and parses natively.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A running `/metrics` endpoint; it stops when dropped.
#[derive(Debug)]
pub struct MetricsEndpoint {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsEndpoint {
    pub async fn bind(addr: SocketAddr, registry: MetricsRegistry) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen for metrics on {addr}"))?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(serve(listener, registry));
        tracing::info!(%addr, "metrics at http://{addr}/metrics");
        Ok(Self { addr, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, registry: MetricsRegistry) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // Past the bound, the connection is closed at once.
        let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
        let registry = registry.clone();
        tokio::spawn(async move {
            let _ = answer(stream, &registry).await;
            drop(permit);
        });
    }
}

async fn answer(mut stream: TcpStream, registry: &MetricsRegistry) -> std::io::Result<()> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(Some(head))) => head,
        Ok(Ok(None)) => return respond(&mut stream, "431 Request Header Fields Too Large", "text/plain", "").await,
        _ => return Ok(()),
    };
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let path = target.split('?').next().unwrap_or_default();
    match (method, path) {
        ("GET", "/metrics") => {
            let body = registry.render().await;
            let openmetrics = head.lines().any(|l| {
                let l = l.to_ascii_lowercase();
                l.starts_with("accept:") && l.contains("application/openmetrics-text")
            });
            if openmetrics {
                respond(&mut stream, "200 OK", OPENMETRICS, &body).await
            } else {
                respond(&mut stream, "200 OK", PROMETHEUS_TEXT, &prometheus_text(&body)).await
            }
        }
        ("HEAD" | "POST" | "PUT" | "DELETE" | "PATCH", "/metrics") => {
            respond(&mut stream, "405 Method Not Allowed", "text/plain", "only GET\n").await
        }
        _ => respond(&mut stream, "404 Not Found", "text/plain", "metrics are at /metrics\n").await,
    }
}

/// The request head up to the blank line; `None` when it is too large.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
        if buf.len() > MAX_HEAD {
            return Ok(None);
        }
    }
}

async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// OpenMetrics text as Prometheus text 0.0.4: a counter family is named after its
/// samples (`x_total`), and there are no `# UNIT` or `# EOF` lines. Gauges and histograms
/// read the same in both.
pub fn prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 64);
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn counters_are_named_after_their_samples_in_prometheus_text() {
        let om = "# HELP c Things.\n# TYPE c counter\nc_total{a=\"b\"} 1\n# HELP d_seconds D.\n# TYPE d_seconds gauge\n# UNIT d_seconds seconds\nd_seconds 2\n# EOF\n";
        assert_eq!(
            super::prometheus_text(om),
            "# HELP c_total Things.\n# TYPE c_total counter\nc_total{a=\"b\"} 1\n# HELP d_seconds D.\n# TYPE d_seconds gauge\nd_seconds 2\n"
        );
    }
}
