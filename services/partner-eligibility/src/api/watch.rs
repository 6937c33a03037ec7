//! `WatchPartnerValidation`: the current state, then every committed change, until the
//! validation reaches a final state or the client goes away.

use gcc_proto::partner as pb;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::convert;
use crate::domain::PartnerValidation;
use crate::error::DOMAIN;
use crate::store::Store;

pub type ValidationStream = ReceiverStream<Result<pb::PartnerValidation, Status>>;

pub fn stream(
    store: Store,
    current: PartnerValidation,
    mut changes: broadcast::Receiver<PartnerValidation>,
) -> ValidationStream {
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        let mut last = current;
        if tx.send(Ok(convert::validation(&last))).await.is_err() {
            return;
        }
        while !last.state.is_final() {
            let next = tokio::select! {
                () = tx.closed() => return,
                change = changes.recv() => change,
            };
            let next = match next {
                Ok(v) if v.id == last.id => v,
                Ok(_) => continue,
                // Fell behind the hub: the database has the truth.
                Err(broadcast::error::RecvError::Lagged(_)) => match store.validation(&last.id).await {
                    Ok(Some(v)) => v,
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(e.into_problem("").into_status(DOMAIN))).await;
                        return;
                    }
                },
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if next.updated_at <= last.updated_at && next.state == last.state {
                continue;
            }
            last = next;
            if tx.send(Ok(convert::validation(&last))).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}
