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

/// Feeds the local hubs with the validations and reseller links that any replica changes
/// (PostgreSQL; see `gcc_platform::changes`), re-read from the database.
pub async fn follow_replicas(
    db: &gcc_platform::db::Db,
    url: &str,
    store: Store,
    validations: gcc_platform::events::Hub<PartnerValidation>,
    links: gcc_platform::events::Hub<crate::domain::ResellerLink>,
) -> anyhow::Result<()> {
    gcc_platform::changes::follow(db, url, move |name: String| {
        let (store, validations, links) = (store.clone(), validations.clone(), links.clone());
        async move {
            if let Some(id) = name.strip_prefix("partnerValidations/") {
                match store.validation(id).await {
                    Ok(Some(v)) => validations.publish(v),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, name, "cannot re-read a changed validation"),
                }
            } else if let Some(id) = name.strip_prefix("resellerLinks/") {
                match store.link(id).await {
                    Ok(Some(l)) => links.publish(l),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, name, "cannot re-read a changed reseller link"),
                }
            }
        }
    })
    .await
}
