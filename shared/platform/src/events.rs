//! In-process fan-out of committed changes to `Watch…` streams, within the bounds of
//! [`Watchers`]. Changes are published after their transaction commits; a watcher
//! subscribes before it reads the current state, so it cannot miss a change in between.

mod limits;
mod stream;

use tokio::sync::broadcast;

pub use limits::{WatchLimits, WatchSlot, Watchers};
use stream::Outlet;
pub use stream::WatchStream;

/// A hub of change notifications of type `T`.
#[derive(Debug, Clone)]
pub struct Hub<T: Clone> {
    tx: broadcast::Sender<T>,
}

impl<T: Clone + Send + 'static> Hub<T> {
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        Self { tx }
    }

    /// Publishes a committed change; nobody listening is fine.
    pub fn publish(&self, change: T) {
        let _ = self.tx.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<T> {
        self.tx.subscribe()
    }
}

/// A resource that can be watched: how to recognise it, when it stops changing, and
/// which of two versions is newer.
pub trait Watched: Clone + PartialEq + Send + Sync + 'static {
    fn key(&self) -> &str;
    fn is_final(&self) -> bool;
    fn version(&self) -> chrono::DateTime<chrono::Utc>;
}

/// A `Watch…` stream of one resource: `current`, then every committed change of it,
/// until it is final, the client goes away, or the stream ends by one of the slot's
/// limits (see [`WatchStream`]). A watcher that falls behind the hub re-reads the
/// resource with `reload` instead of missing a change.
///
/// A Watch RPC takes its slot first (`state.watchers.admit(caller.tenant)?`, which
/// refuses `RESOURCE_EXHAUSTED WATCH_LIMIT_REACHED` past the limits), subscribes to its
/// hub, reads the current state, and returns `watch(slot, current, changes, reload,
/// convert::x)` as its stream (type [`WatchStream<P>`]).
pub fn watch<T, P, R, Fut>(
    slot: WatchSlot,
    current: T,
    mut changes: broadcast::Receiver<T>,
    reload: R,
    to_wire: fn(&T) -> P,
) -> WatchStream<P>
where
    T: Watched,
    P: Send + 'static,
    R: Fn(String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Option<T>, tonic::Status>> + Send,
{
    let (mut out, stream) = Outlet::new(slot);
    tokio::spawn(async move {
        let mut last = current;
        if !out.send(Ok(to_wire(&last))).await {
            return;
        }
        while !last.is_final() {
            let Some(next) = out.until(changes.recv()).await else { return };
            let next = match next {
                Ok(v) if v.key() == last.key() => v,
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => match reload(last.key().to_owned()).await {
                    Ok(Some(v)) => v,
                    Ok(None) => return,
                    Err(status) => {
                        out.send(Err(status)).await;
                        return;
                    }
                },
                Err(broadcast::error::RecvError::Closed) => return,
            };
            // An older version, or the same one again (a replayed publication), is not news.
            if next.version() < last.version() || next == last {
                continue;
            }
            last = next;
            if !out.send(Ok(to_wire(&last))).await {
                return;
            }
        }
    });
    stream
}

/// A stream of every committed change that `select` turns into a message, for as long as
/// the client listens (within the slot's limits). A watcher that falls behind the hub
/// misses changes; it is told in the log, and the List RPCs have the truth.
pub fn feed<T, P, F>(slot: WatchSlot, mut changes: broadcast::Receiver<T>, mut select: F) -> WatchStream<P>
where
    T: Clone + Send + 'static,
    P: Send + 'static,
    F: FnMut(T) -> Option<P> + Send + 'static,
{
    let (mut out, stream) = Outlet::new(slot);
    tokio::spawn(async move {
        loop {
            match out.until(changes.recv()).await {
                None | Some(Err(broadcast::error::RecvError::Closed)) => return,
                Some(Err(broadcast::error::RecvError::Lagged(n))) => {
                    tracing::warn!(missed = n, "a watcher fell behind its hub");
                }
                Some(Ok(change)) => {
                    if let Some(message) = select(change)
                        && !out.send(Ok(message)).await
                    {
                        return;
                    }
                }
            }
        }
    });
    stream
}
