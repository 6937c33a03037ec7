//! Accepting an invitation (R15): reads what the domain decides on (the link, the
//! invitation, the customer's account) and persists what it decided.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::Caller;
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::time::to_micros;
use sqlx::{AnyConnection, Row};

use super::customers::fetch_customer;
use super::effects::persist;
use super::invitations::fetch_invitation;
use super::{Result, Store};
use crate::domain::*;
use crate::error::RelationshipsError;

impl Store {
    /// R15: the customer (`caller.tenant`) accepts the invitation whose link token hashes
    /// to `token_hash`; the customer account is found or created from `profile`.
    #[tracing::instrument(skip_all, fields(tenant = %caller.tenant, resource = "relationshipRequests", request_id = key.map(|k| k.request_id())), err)]
    pub async fn accept(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        token_hash: String,
        profile: Option<CompanyProfile>,
        now: DateTime<Utc>,
    ) -> Result<(Relationship, bool)> {
        let caller = caller.clone();
        idempotency::run(
            self.db(),
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<Relationship>> {
                Box::pin(async move {
                    let customer = caller.tenant;
                    let link = sqlx::query("SELECT request_id, generation FROM invitation_links WHERE token_hash = $1")
                        .bind(&token_hash)
                        .fetch_optional(&mut *conn)
                        .await?
                        .ok_or(RelationshipsError::InvitationNotFound)?;
                    let (id, generation): (String, i64) = (link.try_get("request_id")?, link.try_get("generation")?);
                    let i = fetch_invitation(conn, &id).await?.ok_or(RelationshipsError::InvitationNotFound)?;
                    let existing = fetch_customer(conn, customer).await?;
                    let effects = i.accept(generation, customer, existing.as_ref(), profile, now)?;
                    if !persist(conn, &caller, now, &effects).await? {
                        // Another acceptance or change won the race.
                        return Err(Refusal::AlreadyAccepted.into());
                    }
                    effects.relationship.ok_or_else(|| RelationshipsError::from(Refusal::AlreadyAccepted))
                })
            },
        )
        .await
    }
}
