//! `WatchPartnerValidation` on the platform's watch stream.

use gcc_platform::events::{Watched, watch};
use gcc_proto::partner as pb;
use tokio::sync::broadcast;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::convert;
use crate::domain::PartnerValidation;
use crate::error::DOMAIN;
use crate::store::Store;

pub type ValidationStream = ReceiverStream<Result<pb::PartnerValidation, Status>>;

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
    store: Store,
    current: PartnerValidation,
    changes: broadcast::Receiver<PartnerValidation>,
) -> ValidationStream {
    let reload = move |id: String| {
        let store = store.clone();
        async move { store.validation(&id).await.map_err(|e| e.into_problem("").into_status(DOMAIN)) }
    };
    watch(current, changes, reload, convert::validation)
}
