//! `WatchRelationshipEvents`: every committed change addressed to the caller's partner,
//! until the client goes away or the stream ends by the server's Watch limits.

use gcc_platform::TenantId;
use gcc_platform::events::{WatchSlot, WatchStream, feed};
use gcc_proto::relationships as pb;
use tokio::sync::broadcast;

use super::convert;
use crate::domain::RelationshipEvent;

pub type EventStream = WatchStream<pb::RelationshipEvent>;

pub fn stream(slot: WatchSlot, partner: TenantId, changes: broadcast::Receiver<RelationshipEvent>) -> EventStream {
    feed(slot, changes, move |e: RelationshipEvent| (e.partner == partner).then(|| convert::event(&e)))
}
