//! The server side of a Watch stream: a bounded buffer between the task that produces
//! messages and the client that reads them, which ends the stream when the client goes
//! away, when the stream has lived its maximum lifetime, or when the client stops reading
//! (`RESOURCE_EXHAUSTED SLOW_CONSUMER`). The stream's slot is freed in every case.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::mpsc::error::SendTimeoutError;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Duration, Instant, sleep_until};
use tonic::{Code, Status};

use super::limits::WatchSlot;
use crate::error::Problem;

/// What a Watch RPC returns: the messages of one stream.
pub struct WatchStream<P> {
    rx: mpsc::Receiver<Result<P, Status>>,
    /// Set when the producer cut a slow client off; it then ends the stream at once,
    /// whatever is still buffered.
    cut: Option<oneshot::Receiver<Status>>,
    done: bool,
}

// Both receivers are plain handles; nothing here relies on being pinned.
impl<P> Unpin for WatchStream<P> {}

impl<P> Stream for WatchStream<P> {
    type Item = Result<P, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Some(cut) = self.cut.as_mut() {
            match Pin::new(cut).poll(cx) {
                Poll::Ready(Ok(status)) => {
                    self.done = true;
                    self.rx.close();
                    return Poll::Ready(Some(Err(status)));
                }
                Poll::Ready(Err(_)) => self.cut = None,
                Poll::Pending => {}
            }
        }
        self.rx.poll_recv(cx)
    }
}

/// The producing end of a [`WatchStream`]; it holds the stream's slot.
pub(super) struct Outlet<P> {
    tx: mpsc::Sender<Result<P, Status>>,
    cut: Option<oneshot::Sender<Status>>,
    ends_at: Instant,
    stall_timeout: Duration,
    slot: WatchSlot,
}

impl<P> Outlet<P> {
    pub(super) fn new(slot: WatchSlot) -> (Self, WatchStream<P>) {
        let limits = *slot.limits();
        let (tx, rx) = mpsc::channel(limits.buffer.max(1));
        let (cut_tx, cut_rx) = oneshot::channel();
        let outlet = Self {
            tx,
            cut: Some(cut_tx),
            ends_at: Instant::now() + limits.max_lifetime,
            stall_timeout: limits.stall_timeout,
            slot,
        };
        (outlet, WatchStream { rx, cut: Some(cut_rx), done: false })
    }

    /// Sends one message; `false` once the stream is over (client gone, lifetime over, or
    /// the buffer full for longer than the stall timeout, which cuts the client off).
    pub(super) async fn send(&mut self, item: Result<P, Status>) -> bool {
        let sent = tokio::select! {
            sent = self.tx.send_timeout(item, self.stall_timeout) => sent,
            () = sleep_until(self.ends_at) => return false,
        };
        match sent {
            Ok(()) => true,
            Err(SendTimeoutError::Closed(_)) => false,
            Err(SendTimeoutError::Timeout(_)) => {
                self.cut_off();
                false
            }
        }
    }

    /// Waits for `next`, unless the client goes away or the lifetime ends first (`None`).
    pub(super) async fn until<F: Future>(&self, next: F) -> Option<F::Output> {
        tokio::select! {
            () = self.tx.closed() => None,
            () = sleep_until(self.ends_at) => None,
            v = next => Some(v),
        }
    }

    fn cut_off(&mut self) {
        tracing::info!(stall_timeout = ?self.stall_timeout, "a Watch client stopped reading; ending its stream");
        let status = Problem::new(
            Code::ResourceExhausted,
            "SLOW_CONSUMER",
            "the stream's buffer stayed full: read faster, or watch again",
        )
        .with_meta("stall_timeout_ms", self.stall_timeout.as_millis())
        .into_status(self.slot.domain());
        if let Some(cut) = self.cut.take() {
            let _ = cut.send(status);
        }
    }
}
