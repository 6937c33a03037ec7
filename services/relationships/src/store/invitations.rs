//! Reseller relationship requests (R14): create, read, edit, resend, revoke. Storage
//! keeps the SHA-256 of each link's token, never the token.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::contact::EmailAddress;
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::RelationshipRequestName;
use gcc_platform::paging::Page;
use gcc_platform::time::to_micros;
use gcc_platform::{Caller, TenantId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::effects::{persist, record_invitation};
use super::{Result, Store, corrupt, opt_tenant, tenant, time};
use crate::domain::*;
use crate::error::RelationshipsError;

/// Which invitations to list: by state as callers see it (EXPIRED included).
#[derive(Debug, Clone, Copy, Default)]
pub struct InvitationFilter {
    pub state: Option<InvitationState>,
}

impl Store {
    /// R14: stores a new invitation and the hash of its first link.
    #[tracing::instrument(skip_all, fields(tenant = %invitation.partner, resource = %invitation.id, request_id = key.map(|k| k.request_id())), err)]
    pub async fn create_invitation(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        invitation: Invitation,
        token_hash: String,
    ) -> Result<(Invitation, bool)> {
        let caller = caller.clone();
        let now = invitation.created_at;
        idempotency::run(self.db(), key, to_micros(now), move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<Invitation>> {
            Box::pin(async move {
                let i = invitation;
                sqlx::query(
                    "INSERT INTO relationship_requests (id, partner_tenant, provider_tenant, bound_tenant, bound_domain, state, \
                     generation, email_subject, email_body, expire_at, customer_tenant, created_at, updated_at, \
                     notify_email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $11, $12)",
                )
                .bind(&i.id)
                .bind(i.partner.to_string())
                .bind(i.provider.map(|p| p.to_string()))
                .bind(i.bound_tenant.map(|t| t.to_string()))
                .bind(i.bound_domain.as_ref().map(|d| d.as_str().to_owned()))
                .bind(i.state.as_str())
                .bind(i.generation)
                .bind(&i.email_subject)
                .bind(&i.email_body)
                .bind(to_micros(i.expire_at))
                .bind(to_micros(now))
                .bind(i.notify_email.as_ref().map(|e| e.as_str().to_owned()))
                .execute(&mut *conn)
                .await?;
                insert_link(conn, &token_hash, &i.id, i.generation, now).await?;
                record_invitation(conn, &caller, now, "relationship_request.invited", &i).await?;
                Ok(i)
            })
        })
        .await
    }

    #[tracing::instrument(skip(self), fields(resource = id), err)]
    pub async fn invitation(&self, id: &str) -> Result<Option<Invitation>> {
        let mut conn = self.db().reader().acquire().await?;
        fetch_invitation(&mut conn, id).await
    }

    /// `partner`'s invitations in ID (creation) order.
    #[tracing::instrument(skip_all, fields(tenant = %partner, resource = "relationshipRequests"), err)]
    pub async fn list_invitations(
        &self,
        partner: TenantId,
        filter: InvitationFilter,
        now: DateTime<Utc>,
        page: &Page,
    ) -> Result<Vec<Invitation>> {
        // EXPIRED is stored as INVITED: the expire time tells them apart.
        let (stored, expiry) = match filter.state {
            None => ("", 0_i64),
            Some(InvitationState::Invited) => ("INVITED", 1),
            Some(InvitationState::Expired) => ("INVITED", 2),
            Some(s) => (s.as_str(), 0),
        };
        let rows = sqlx::query(
            "SELECT * FROM relationship_requests WHERE partner_tenant = $1 AND id > $2 AND ($3 = '' OR state = $3) \
             AND ($4 = 0 OR ($4 = 1 AND expire_at >= $5) OR ($4 = 2 AND expire_at < $5)) ORDER BY id LIMIT $6",
        )
        .bind(partner.to_string())
        .bind(&page.after)
        .bind(stored)
        .bind(expiry)
        .bind(to_micros(now))
        .bind(page.limit())
        .fetch_all(self.db().reader())
        .await?;
        rows.iter().map(invitation_from_row).collect()
    }

    /// Edits, resends or revokes `owner`'s pending invitation `id`.
    #[tracing::instrument(skip_all, fields(tenant = %owner, resource = %id, request_id = key.map(|k| k.request_id())), err)]
    pub async fn change_invitation(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        id: String,
        owner: TenantId,
        change: Change,
        now: DateTime<Utc>,
    ) -> Result<(Invitation, bool)> {
        let caller = caller.clone();
        idempotency::run(
            self.db(),
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<Invitation>> {
                Box::pin(async move {
                    let i = fetch_invitation(conn, &id).await?.filter(|i| i.partner == owner).ok_or_else(|| {
                        RelationshipsError::RequestNotFound(RelationshipRequestName::new(id).to_string())
                    })?;
                    let current = current_link(conn, &i).await?;
                    let effects = i.change(change, &current, now)?;
                    // Only from what we read: a concurrent change makes this one fail.
                    if !persist(conn, &caller, now, &effects).await? {
                        let current =
                            fetch_invitation(conn, &i.id).await?.map_or(InvitationState::Revoked, |c| c.state_at(now));
                        return Err(Refusal::NotPending(current).into());
                    }
                    Ok(effects.invitation.map_or(i, |c| c.to))
                })
            },
        )
        .await
    }
}

pub(super) async fn insert_link(
    conn: &mut AnyConnection,
    hash: &str,
    id: &str,
    generation: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO invitation_links (token_hash, request_id, generation, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(hash)
    .bind(id)
    .bind(generation)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a changed invitation while it is still in the state and generation it was read
/// in; false when it no longer is (a concurrent change won).
pub(super) async fn save_invitation(conn: &mut AnyConnection, change: &InvitationChange) -> Result<bool> {
    let i = &change.to;
    let changed = sqlx::query(
        "UPDATE relationship_requests SET state = $1, generation = $2, email_subject = $3, email_body = $4, \
         expire_at = $5, customer_tenant = $6, updated_at = $7 WHERE id = $8 AND state = $9 AND generation = $10",
    )
    .bind(i.state.as_str())
    .bind(i.generation)
    .bind(&i.email_subject)
    .bind(&i.email_body)
    .bind(to_micros(i.expire_at))
    .bind(i.customer.map(|c| c.to_string()))
    .bind(to_micros(i.updated_at))
    .bind(&i.id)
    .bind(change.from.as_str())
    .bind(change.from_generation)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// The token hash of the invitation's current link.
async fn current_link(conn: &mut AnyConnection, i: &Invitation) -> Result<String> {
    let row = sqlx::query("SELECT token_hash FROM invitation_links WHERE request_id = $1 AND generation = $2")
        .bind(&i.id)
        .bind(i.generation)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| corrupt("invitation_links"))?;
    Ok(row.try_get("token_hash")?)
}

pub(super) async fn fetch_invitation(conn: &mut AnyConnection, id: &str) -> Result<Option<Invitation>> {
    let row =
        sqlx::query("SELECT * FROM relationship_requests WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(invitation_from_row).transpose()
}

fn invitation_from_row(row: &AnyRow) -> Result<Invitation> {
    let bound_domain = row
        .try_get::<Option<String>, _>("bound_domain")?
        .map(|d| DnsDomain::parse(&d).ok_or_else(|| corrupt("bound_domain")))
        .transpose()?;
    let notify_email = row
        .try_get::<Option<String>, _>("notify_email")?
        .map(|e| EmailAddress::parse(&e).ok_or_else(|| corrupt("notify_email")))
        .transpose()?;
    Ok(Invitation {
        id: row.try_get("id")?,
        partner: tenant(row, "partner_tenant")?,
        provider: opt_tenant(row, "provider_tenant")?,
        bound_tenant: opt_tenant(row, "bound_tenant")?,
        bound_domain,
        state: InvitationState::parse(&row.try_get::<String, _>("state")?).ok_or_else(|| corrupt("state"))?,
        generation: row.try_get("generation")?,
        email_subject: row.try_get("email_subject")?,
        email_body: row.try_get("email_body")?,
        expire_at: time(row, "expire_at")?,
        customer: opt_tenant(row, "customer_tenant")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        notify_email,
    })
}
