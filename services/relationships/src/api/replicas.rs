//! Relationship events across replicas (PostgreSQL). `WatchRelationshipEvents` is a feed
//! of events, not the state of one resource, so a replica cannot re-read "the latest" as
//! the other services do: each replica reads the committed events themselves from the
//! outbox (the source of truth) when `gcc_platform::changes` says a customer changed,
//! and publishes each event ID once to its own watchers. The replica that made a change
//! hears of it the same way, so no stream sees an event twice, and a replica's events
//! follow the order of the notifications (commit order), then of the event IDs.
//!
//! After a lost connection `gcc_platform::changes` names again every customer changed
//! meanwhile. A replica remembers the event IDs it published for a minute (at most
//! [`SEEN_MAX`]), and never looks further back than that.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gcc_platform::db::Db;
use gcc_platform::events::Hub;
use gcc_platform::names::CustomerName;
use tokio::sync::Mutex;

use crate::domain::RelationshipEvent;
use crate::store::Store;

/// How long an event ID is remembered, and how far back a replica ever reads: far longer
/// than a transaction runs between taking its event ID and committing.
const WINDOW: Duration = Duration::from_secs(60);
/// Event IDs remembered at most.
const SEEN_MAX: usize = 10_000;
/// Events read per query.
const PAGE: i64 = 500;

/// The event IDs this replica has published, and below which it no longer looks.
struct Seen {
    horizon: String,
    ids: BTreeSet<String>,
}

impl Seen {
    fn new() -> Self {
        Self { horizon: id_floor(WINDOW), ids: BTreeSet::new() }
    }

    /// Whether `id` is news (and remembers it).
    fn first_time(&mut self, id: &str) -> bool {
        id > self.horizon.as_str() && self.ids.insert(id.to_owned())
    }

    /// Forgets what is older than the window, or beyond the bound.
    fn trim(&mut self) {
        let floor = id_floor(WINDOW);
        while let Some(first) = self.ids.first() {
            if self.ids.len() <= SEEN_MAX && *first >= floor {
                break;
            }
            if let Some(first) = self.ids.pop_first() {
                self.horizon = first;
            }
        }
        if self.horizon < floor && self.ids.first().is_none_or(|f| *f >= floor) {
            self.horizon = floor;
        }
    }
}

/// The lowest event ID that can have been made `ago` from now.
fn id_floor(ago: Duration) -> String {
    gcc_platform::changes::event_id_floor(SystemTime::now().checked_sub(ago).unwrap_or(UNIX_EPOCH))
}

/// Feeds `hub` with the relationship events that any replica commits (PostgreSQL; on
/// SQLite the replica that made the change publishes it, and nothing runs here).
pub async fn follow_replicas(db: &Db, url: &str, store: Store, hub: Hub<RelationshipEvent>) -> anyhow::Result<()> {
    let seen = Arc::new(Mutex::new(Seen::new()));
    gcc_platform::changes::follow(db, url, move |name: String| {
        let (store, hub, seen) = (store.clone(), hub.clone(), seen.clone());
        async move {
            if name.strip_prefix(CustomerName::COLLECTION).is_some_and(|rest| rest.starts_with('/')) {
                publish_new(&store, &hub, &seen, &name).await;
            }
        }
    })
    .await
}

/// Publishes the events of `aggregate` (`customers/…`) not published yet.
async fn publish_new(store: &Store, hub: &Hub<RelationshipEvent>, seen: &Mutex<Seen>, aggregate: &str) {
    let mut seen = seen.lock().await;
    let mut after = seen.horizon.clone();
    loop {
        let changes = match store.committed_changes(aggregate, &after, PAGE).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, aggregate, "cannot read committed relationship events");
                return;
            }
        };
        let full = changes.len() as i64 == PAGE;
        for change in changes {
            if seen.first_time(&change.id) {
                for e in change.events {
                    hub.publish(e);
                }
            }
            after = change.id;
        }
        if !full {
            break;
        }
    }
    seen.trim();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_news_once_and_the_memory_stays_bounded() {
        let mut seen = Seen::new();
        let id = gcc_platform::ids::new_id();
        assert!(seen.first_time(&id));
        assert!(!seen.first_time(&id));
        // Older than the window: never news.
        assert!(!seen.first_time(&id_floor(WINDOW * 2)));
        for _ in 0..SEEN_MAX + 10 {
            seen.first_time(&gcc_platform::ids::new_id());
        }
        seen.trim();
        assert_eq!(seen.ids.len(), SEEN_MAX);
        assert!(!seen.first_time(&id), "forgotten IDs are below the horizon");
    }
}
