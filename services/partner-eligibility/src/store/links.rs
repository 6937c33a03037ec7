//! Persistence of reseller links (R1a). What a move does is decided by
//! `ResellerLink::apply`; this file stores it, guarded by the state it was read in, with
//! its idempotency record, audit entry and outbox event in the same transaction.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use gcc_platform::audit;
use gcc_platform::contact::EmailAddress;
use gcc_platform::db::is_unique_violation;
use gcc_platform::idempotency::{self, IdempotencyKey};
use gcc_platform::names::{PartnerName, ResellerLinkName};
use gcc_platform::paging::{self, Page};
use gcc_platform::time::to_micros;
use gcc_platform::{Caller, TenantId, ids::new_id};
use sqlx::{AnyConnection, AssertSqlSafe};

use super::link_rows::{email, link_from_row};
use super::{Result, Store, fetch_partner};
use crate::domain::{LinkMove, LinkState, PartnerType, Refusal, ResellerLink, Side};
use crate::error::PartnerError;

/// A link to open: who the two parties are, and which of them the caller is.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub provider: TenantId,
    pub reseller: TenantId,
    pub by: Side,
    /// Where each side is told of the other's moves, as the opening side gave them.
    pub provider_contact: Option<EmailAddress>,
    pub reseller_contact: Option<EmailAddress>,
}

impl Store {
    /// Opens a link: an invitation by the provider or a request by the reseller.
    #[tracing::instrument(name = "store.create_link", skip_all, fields(tenant = %caller.tenant), err(level = "info"))]
    pub async fn create_link(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        new: NewLink,
        now: DateTime<Utc>,
    ) -> Result<(ResellerLink, bool)> {
        let caller = caller.clone();
        idempotency::run(
            self.db(),
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<ResellerLink>> {
                Box::pin(async move {
                    let provider = fetch_partner(conn, new.provider).await?;
                    let reseller = fetch_partner(conn, new.reseller).await?;
                    if new.by == Side::Provider && provider.is_none() {
                        return Err(PartnerError::NotEnrolled);
                    }
                    if !provider.is_some_and(|p| p.partner_type == PartnerType::IndirectProvider) {
                        return Err(PartnerError::ProviderNotEnrolled(new.provider));
                    }
                    match reseller {
                        None if new.by == Side::Reseller => return Err(PartnerError::NotEnrolled),
                        Some(r) if r.partner_type != PartnerType::IndirectReseller => {
                            return Err(PartnerError::NotAnIndirectReseller(new.reseller));
                        }
                        _ => {}
                    }
                    if let Some(open) = open_link(conn, new.reseller).await? {
                        return Err(PartnerError::LinkAlreadyOpen(open.id));
                    }
                    let link = ResellerLink::open(new_id(), new.provider, new.reseller, new.by, now)
                        .with_contacts(new.provider_contact, new.reseller_contact);
                    insert(conn, &link).await?;
                    record(conn, &caller, now, "reseller_link.create", &link).await?;
                    Ok(link)
                })
            },
        )
        .await
    }

    /// Approves or ends the link `id` on behalf of the caller's side; `contact` is the
    /// approving side's own address, when it gives one.
    #[tracing::instrument(name = "store.move_link", skip_all, fields(tenant = %caller.tenant, resource = %ResellerLinkName::new(id.as_str()), action = m.action()), err(level = "info"))]
    pub async fn move_link(
        &self,
        caller: &Caller,
        key: Option<&IdempotencyKey>,
        id: String,
        m: LinkMove,
        contact: Option<EmailAddress>,
        now: DateTime<Utc>,
    ) -> Result<(ResellerLink, bool)> {
        let caller = caller.clone();
        idempotency::run(
            self.db(),
            key,
            to_micros(now),
            move |conn: &mut AnyConnection| -> BoxFuture<'_, Result<ResellerLink>> {
                Box::pin(async move {
                    let link = fetch_link(conn, &id).await?;
                    let (link, side) = link
                        .and_then(|l| l.side_of(caller.tenant).map(|s| (l, s)))
                        .ok_or_else(|| PartnerError::LinkNotFound(ResellerLinkName::new(id.clone()).to_string()))?;
                    // An invited tenant accepts by enrolling, or after it has enrolled.
                    if m == LinkMove::Approve
                        && side == Side::Reseller
                        && fetch_partner(conn, link.reseller).await?.is_none()
                    {
                        return Err(PartnerError::NotEnrolled);
                    }
                    let next = link.apply(&m, side, now)?.with_contact_of(side, contact);
                    persist_move(conn, &link, &next).await?;
                    record(conn, &caller, now, m.action(), &next).await?;
                    Ok(next)
                })
            },
        )
        .await
    }

    #[tracing::instrument(name = "store.link", skip_all, fields(resource = %ResellerLinkName::new(id)), err(level = "info"))]
    pub async fn link(&self, id: &str) -> Result<Option<ResellerLink>> {
        let mut conn = self.db().reader().acquire().await?;
        fetch_link(&mut conn, id).await
    }

    /// Links in creation order; `party` limits them to those of one partner, either side.
    #[tracing::instrument(name = "store.list_links", skip_all, fields(party = ?party), err(level = "info"))]
    pub async fn list_links(
        &self,
        party: Option<TenantId>,
        state: Option<LinkState>,
        page: &Page,
    ) -> Result<Vec<ResellerLink>> {
        // Either side's index, walked in id order; the rest re-checks every filter.
        let leads: &[&str] = if party.is_some() { &["provider_tenant = $2", "reseller_tenant = $2"] } else { &[] };
        let sql = paging::keyset_sql(
            "reseller_links",
            "id",
            leads,
            "AND ($2 = '' OR provider_tenant = $2 OR reseller_tenant = $2) AND ($3 = '' OR state = $3)",
            "$1",
            "$4",
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(&page.after)
            .bind(party.map(|t| t.to_string()).unwrap_or_default())
            .bind(state.map(LinkState::as_str).unwrap_or_default())
            .bind(page.limit())
            .fetch_all(self.db().reader())
            .await?;
        rows.iter().map(link_from_row).collect()
    }
}

/// R1a at enrollment: a reseller naming `provider` accepts that provider's pending
/// invitation, or asks it for a link. Another provider's pending invitation must be
/// ended first.
pub(super) async fn join_on_enroll(
    conn: &mut AnyConnection,
    caller: &Caller,
    provider: TenantId,
    now: DateTime<Utc>,
) -> Result<ResellerLink> {
    let reseller = caller.tenant;
    let link = match open_link(conn, reseller).await? {
        Some(l) if l.provider == provider && l.state == LinkState::Invited => {
            let next = l.apply(&LinkMove::Approve, Side::Reseller, now)?;
            persist_move(conn, &l, &next).await?;
            next
        }
        Some(l) => return Err(PartnerError::LinkAlreadyOpen(l.id)),
        None => {
            let l = ResellerLink::open(new_id(), provider, reseller, Side::Reseller, now);
            insert(conn, &l).await?;
            l
        }
    };
    record(conn, caller, now, "reseller_link.enroll", &link).await?;
    Ok(link)
}

/// A reseller's open link if it has one, else its most recent ended one.
pub(super) async fn current_link(conn: &mut AnyConnection, reseller: TenantId) -> Result<Option<ResellerLink>> {
    let row = sqlx::query(
        "SELECT * FROM reseller_links WHERE reseller_tenant = $1 \
         ORDER BY CASE WHEN state = 'ENDED' THEN 1 ELSE 0 END, id DESC LIMIT 1",
    )
    .bind(reseller.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(link_from_row).transpose()
}

async fn open_link(conn: &mut AnyConnection, reseller: TenantId) -> Result<Option<ResellerLink>> {
    Ok(current_link(conn, reseller).await?.filter(|l| l.state != LinkState::Ended))
}

async fn fetch_link(conn: &mut AnyConnection, id: &str) -> Result<Option<ResellerLink>> {
    let row = sqlx::query("SELECT * FROM reseller_links WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(link_from_row).transpose()
}

async fn insert(conn: &mut AnyConnection, l: &ResellerLink) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO reseller_links (id, provider_tenant, reseller_tenant, state, opened_by, created_at, updated_at, \
         provider_contact_email, reseller_contact_email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&l.id)
    .bind(l.provider.to_string())
    .bind(l.reseller.to_string())
    .bind(l.state.as_str())
    .bind(l.opened_by.as_str())
    .bind(to_micros(l.created_at))
    .bind(to_micros(l.updated_at))
    .bind(email(&l.provider_contact))
    .bind(email(&l.reseller_contact))
    .execute(&mut *conn)
    .await;
    match inserted {
        // A concurrent request opened the reseller's one open link first.
        Err(e) if is_unique_violation(&e) => Err(PartnerError::LinkAlreadyOpen(String::new())),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Stores `next` only if the link is still in the state `from` was read in.
async fn persist_move(conn: &mut AnyConnection, from: &ResellerLink, next: &ResellerLink) -> Result<()> {
    let moved = sqlx::query(
        "UPDATE reseller_links SET state = $1, ended_by = $2, end_reason = $3, activated_at = $4, ended_at = $5, \
         updated_at = $6, provider_contact_email = $9, reseller_contact_email = $10 WHERE id = $7 AND state = $8",
    )
    .bind(next.state.as_str())
    .bind(next.ended_by.map(Side::as_str))
    .bind(next.end_reason.clone())
    .bind(next.activated_at.map(to_micros))
    .bind(next.ended_at.map(to_micros))
    .bind(to_micros(next.updated_at))
    .bind(&next.id)
    .bind(from.state.as_str())
    .bind(email(&next.provider_contact))
    .bind(email(&next.reseller_contact))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved != 1 {
        let current = fetch_link(conn, &from.id).await?.map_or(from.state, |l| l.state);
        return Err(Refusal::LinkNotAllowed { from: current }.into());
    }
    Ok(())
}

async fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    l: &ResellerLink,
) -> Result<()> {
    let target = ResellerLinkName::new(l.id.clone()).to_string();
    // The parties' names and addresses, for the e-mail the relay makes of the event.
    let detail = serde_json::json!({
        "provider": PartnerName::new(l.provider).to_string(),
        "reseller": PartnerName::new(l.reseller).to_string(),
        "state": l.state.as_str(),
        "opened_by": l.opened_by.as_str(),
        "ended_by": l.ended_by.map(Side::as_str),
        "end_reason": l.end_reason,
        "provider_name": fetch_partner(conn, l.provider).await?.map(|p| p.legal_name),
        "reseller_name": fetch_partner(conn, l.reseller).await?.map(|p| p.legal_name),
        "provider_contact_email": email(&l.provider_contact),
        "reseller_contact_email": email(&l.reseller_contact),
    });
    let topic = format!("gcc.partner.v1.reseller_link.{}", l.state.as_str().to_ascii_lowercase());
    audit::record_change(conn, caller, to_micros(now), action, &target, &topic, detail).await?;
    Ok(())
}
