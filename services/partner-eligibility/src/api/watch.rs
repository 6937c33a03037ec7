//! `WatchPartnerValidation` on the platform's watch stream.

use gcc_platform::events::{WatchSlot, WatchStream, Watched, watch};
use gcc_proto::partner as pb;
use tokio::sync::broadcast;

use super::convert;
use crate::domain::PartnerValidation;
use crate::error::DOMAIN;
use crate::store::Store;

pub type ValidationStream = WatchStream<pb::PartnerValidation>;

impl Watched for PartnerValidation {
    fn key(&self) -> &str {
        &self.id
    }
    fn is_final(&self) -> bool {
        self.state.is_final()
    }
    fn version(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

pub fn stream(
    slot: WatchSlot,
    store: Store,
    current: PartnerValidation,
    changes: broadcast::Receiver<PartnerValidation>,
) -> ValidationStream {
    let reload = move |id: String| {
        let store = store.clone();
        async move { store.validation(&id).await.map_err(|e| e.into_problem("").into_status(DOMAIN)) }
    };
    watch(slot, current, changes, reload, convert::validation)
}
