//! Accepting an invitation (R15): the customer account is found or created, and the
//! relationship becomes active with the inviting partner's provider recorded.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::Caller;
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::time::to_micros;
use sqlx::{AnyConnection, Row};

use super::customers::{activate, detail, fetch_customer, insert_customer};
use super::invitations::{fetch_invitation, record, save_pending};
use super::{Result, Store, record_change};
use crate::domain::*;
use crate::error::RelationshipsError;

impl Store {
    /// R15: the customer (`caller.tenant`) accepts the invitation whose link token hashes
    /// to `token_hash`; the customer account is found or created from `profile`.
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
                    let mut i = fetch_invitation(conn, &id).await?.ok_or(RelationshipsError::InvitationNotFound)?;
                    i.check_acceptance(generation, customer, now).map_err(RelationshipsError::Refused)?;
                    let (domain, new_profile) = match fetch_customer(conn, customer).await? {
                        Some(existing) => (existing.profile.domain, None),
                        None => {
                            let profile = profile.ok_or(RelationshipsError::ProfileRequired)?;
                            (profile.domain.clone(), Some(profile))
                        }
                    };
                    i.check_domain(&domain).map_err(RelationshipsError::Refused)?;
                    if let Some(profile) = new_profile {
                        insert_customer(
                            conn,
                            &Customer { tenant: customer, profile, created_at: now, updated_at: now },
                        )
                        .await?;
                    }
                    i.state = InvitationState::Accepted;
                    i.customer = Some(customer);
                    i.updated_at = now;
                    if !save_pending(conn, &i, generation).await? {
                        // Another acceptance or change won the race.
                        return Err(RelationshipsError::Refused(AcceptRefusal::AlreadyAccepted));
                    }
                    let r = Relationship { partner: i.partner, customer, provider: i.provider, active: true };
                    activate(conn, &r, now).await?;
                    record(conn, &caller, now, "relationship_request.accepted", &i).await?;
                    record_change(
                        conn,
                        &caller,
                        now,
                        "relationship.activated",
                        &format!("customers/{customer}"),
                        detail(&r),
                    )
                    .await?;
                    Ok(r)
                })
            },
        )
        .await
    }
}
