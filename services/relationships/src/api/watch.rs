//! `WatchRelationshipEvents`: every committed change addressed to the caller's partner,
//! until the client goes away.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use gcc_platform::TenantId;
use gcc_proto::relationships as pb;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tonic::Status;

use super::convert;
use crate::domain::RelationshipEvent;

pub type EventStream = Pin<Box<dyn Stream<Item = Result<pb::RelationshipEvent, Status>> + Send>>;

pub fn stream(partner: TenantId, changes: broadcast::Receiver<RelationshipEvent>) -> EventStream {
    Box::pin(BroadcastStream::new(changes).filter_map(move |change| {
        let item = match change {
            Ok(e) if e.partner == partner => Some(Ok(convert::event(&e))),
            Ok(_) => None,
            // A watcher that falls behind the hub misses events; it is told in the log,
            // and `ListCustomers` has the truth.
            Err(e) => {
                tracing::warn!(error = %e, "a relationship watcher fell behind");
                None
            }
        };
        std::future::ready(item)
    }))
}
