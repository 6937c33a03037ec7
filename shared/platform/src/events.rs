//! In-process fan-out of committed changes to `Watch…` streams. Changes are published
//! after their transaction commits; a watcher subscribes before it reads the current
//! state, so it cannot miss a change in between.

use tokio::sync::broadcast;

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

/// A `Watch…` stream: `current`, then every committed change of the same resource, until
/// it is final or the client goes away. A watcher that falls behind the hub re-reads the
/// resource with `reload` instead of missing a change.
pub fn watch<T, P, R, Fut>(
    current: T,
    mut changes: broadcast::Receiver<T>,
    reload: R,
    to_wire: fn(&T) -> P,
) -> tokio_stream::wrappers::ReceiverStream<Result<P, tonic::Status>>
where
    T: Watched,
    P: Send + 'static,
    R: Fn(String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Option<T>, tonic::Status>> + Send,
{
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        let mut last = current;
        if tx.send(Ok(to_wire(&last))).await.is_err() {
            return;
        }
        while !last.is_final() {
            let next = tokio::select! {
                () = tx.closed() => return,
                change = changes.recv() => change,
            };
            let next = match next {
                Ok(v) if v.key() == last.key() => v,
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => match reload(last.key().to_owned()).await {
                    Ok(Some(v)) => v,
                    Ok(None) => return,
                    Err(status) => {
                        let _ = tx.send(Err(status)).await;
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
            if tx.send(Ok(to_wire(&last))).await.is_err() {
                return;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}
