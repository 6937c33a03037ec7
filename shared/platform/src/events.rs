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
