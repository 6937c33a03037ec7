//! A TCP proxy on loopback that adds latency, for tests of slow dependencies: every chunk
//! of bytes, either way, is held for the current delay before it is passed on, in order.
//! The delay can be changed while connections are open; a chunk keeps the delay it
//! arrived with. Bounded: at most [`MAX_CONNECTIONS`] at once and [`QUEUED_CHUNKS`]
//! chunks held per direction (a full queue stops reading from that side).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub const MAX_CONNECTIONS: usize = 256;
pub const QUEUED_CHUNKS: usize = 256;
const CHUNK: usize = 16 * 1024;

/// A running proxy; it stops (and drops its connections) when dropped.
pub struct LatencyProxy {
    addr: SocketAddr,
    delay_ms: Arc<AtomicU64>,
    accept: JoinHandle<()>,
}

impl LatencyProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards each connection to `target`.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let delay_ms = Arc::new(AtomicU64::new(0));
        let delay = delay_ms.clone();
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let accept = tokio::spawn(async move {
            loop {
                let Ok(permit) = slots.clone().acquire_owned().await else { return };
                let Ok((client, _)) = listener.accept().await else { continue };
                let delay = delay.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    let Ok(server) = TcpStream::connect(target).await else { return };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    // Either direction ending ends the connection.
                    tokio::select! {
                        () = pipe(cr, sw, delay.clone()) => {}
                        () = pipe(sr, cw, delay) => {}
                    }
                });
            }
        });
        Ok(Self { addr, delay_ms, accept })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The delay added to bytes that arrive from now on.
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms.store(delay.as_millis().try_into().unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms.load(Ordering::SeqCst))
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Copies `from` to `to`, each chunk released `delay` after it arrived.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Arc<AtomicU64>) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(QUEUED_CHUNKS);
    let reader = async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let due = Instant::now() + Duration::from_millis(delay.load(Ordering::SeqCst));
                    if tx.send((due, buf[..n].to_vec())).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    let writer = async move {
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    // The writer finishes what the reader queued before it ends.
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_arrive_in_order_after_the_delay_set_when_they_were_sent() {
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = echo.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = echo.accept().await.unwrap();
            let mut buf = [0u8; 64];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
        });
        let proxy = LatencyProxy::start(target).await.unwrap();
        let mut c = TcpStream::connect(proxy.local_addr()).await.unwrap();
        let mut buf = [0u8; 5];

        let t = Instant::now();
        c.write_all(b"fast!").await.unwrap();
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"fast!");
        let fast = t.elapsed();

        proxy.set_delay(Duration::from_millis(300));
        let t = Instant::now();
        c.write_all(b"slow!").await.unwrap();
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"slow!");
        // Held both ways: at least twice the delay.
        assert!(t.elapsed() >= Duration::from_millis(600), "took {:?}", t.elapsed());
        println!("round trip without delay {fast:?}, with 300 ms each way {:?}", t.elapsed());
    }
}
