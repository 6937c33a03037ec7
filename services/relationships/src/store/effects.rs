//! Persisting the [`Effects`] the domain decided: rows first, each guarded by the state
//! it was read in, then the audit entries and outbox events.

use chrono::{DateTime, Utc};
use gcc_platform::names::{CustomerName, PartnerName, RelationshipRequestName};
use gcc_platform::{Caller, TenantId};
use sqlx::{AnyConnection, Row};

use super::customers::{activate, end, insert_customer};
use super::invitations::{insert_link, save_invitation};
use super::{Result, record_change};
use crate::domain::{Effects, Event, Invitation, Relationship};

/// Writes `effects` in the change's transaction; false when a guarded row was no longer
/// as read (a concurrent change won), in which case the caller refuses and nothing is
/// kept.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant), err)]
pub(super) async fn persist(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    effects: &Effects,
) -> Result<bool> {
    if let Some(customer) = &effects.customer {
        insert_customer(conn, customer).await?;
    }
    if let Some(change) = &effects.invitation {
        if let Some(hash) = &effects.link {
            insert_link(conn, hash, &change.to.id, change.to.generation, now).await?;
        }
        if !save_invitation(conn, change).await? {
            return Ok(false);
        }
    }
    if let Some(r) = &effects.relationship {
        if r.active {
            activate(conn, r, now).await?;
        } else if !end(conn, r, now).await? {
            return Ok(false);
        }
    }
    let invitation = effects.invitation.as_ref().map(|c| &c.to);
    for event in &effects.events {
        record(conn, caller, now, event, invitation).await?;
    }
    Ok(true)
}

async fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    event: &Event,
    invitation: Option<&Invitation>,
) -> Result<()> {
    match event {
        Event::Invitation { action } => match invitation {
            Some(i) => record_invitation(conn, caller, now, action, i).await,
            None => Ok(()),
        },
        Event::InvitationEmail { to } => match invitation {
            Some(i) => {
                let target = RelationshipRequestName::new(i.id.clone()).to_string();
                // The text as stored (the link as its placeholder): the mail is rendered
                // with the link as it is relayed, so no link is kept in the event.
                let mut detail = invitation_detail(i);
                detail["to"] = to.as_str().into();
                detail["email_subject"] = i.email_subject.as_str().into();
                detail["email_body"] = i.email_body.as_str().into();
                record_change(conn, caller, now, "relationship_request.email_requested", &target, detail).await
            }
            None => Ok(()),
        },
        Event::Relationship { action, relationship } => {
            let target = CustomerName::new(relationship.customer).to_string();
            let mut detail = detail(relationship);
            if !relationship.active {
                // Who ended it, and where its partner is told (R14: the address given
                // with the invitation the customer accepted).
                let by = if caller.tenant == relationship.customer { "customer" } else { "partner" };
                detail["ended_by"] = by.into();
                detail["notify_email"] = notify_email_of(conn, relationship).await?.into();
                detail["customer_name"] = customer_name(conn, relationship.customer).await?.into();
            }
            record_change(conn, caller, now, action, &target, detail).await
        }
        Event::CustomerCreated { customer, acting, domain } => {
            let detail = serde_json::json!({
                "partner": PartnerName::new(acting.tenant).to_string(),
                "provider": acting.provider.map(|p| PartnerName::new(p).to_string()),
                "domain": domain.as_str(),
            });
            record_change(conn, caller, now, "customer.create", &CustomerName::new(*customer).to_string(), detail).await
        }
    }
}

/// An audit entry and outbox event about an invitation as it now is.
pub(super) async fn record_invitation(
    conn: &mut AnyConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    i: &Invitation,
) -> Result<()> {
    let target = RelationshipRequestName::new(i.id.clone()).to_string();
    let mut detail = invitation_detail(i);
    if let Some(customer) = i.customer {
        detail["customer_name"] = customer_name(conn, customer).await?.into();
    }
    record_change(conn, caller, now, action, &target, detail).await
}

fn invitation_detail(i: &Invitation) -> serde_json::Value {
    serde_json::json!({
        "partner": PartnerName::new(i.partner).to_string(),
        "state": i.state.as_str(),
        "generation": i.generation,
        "expire_time": i.expire_at.to_rfc3339(),
        "customer": i.customer.map(|c| CustomerName::new(c).to_string()),
        "notify_email": i.notify_email.as_ref().map(|e| e.as_str()),
    })
}

/// The customer's legal name, for the partner's e-mail (empty if it has no account).
async fn customer_name(conn: &mut AnyConnection, customer: TenantId) -> Result<String> {
    let row = sqlx::query("SELECT legal_name FROM customers WHERE tenant_id = $1")
        .bind(customer.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get("legal_name")).transpose()?.unwrap_or_default())
}

/// The address given with the latest invitation of the relationship's partner that its
/// customer accepted, if any.
async fn notify_email_of(conn: &mut AnyConnection, r: &Relationship) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT notify_email FROM relationship_requests WHERE partner_tenant = $1 AND customer_tenant = $2 \
         AND state = 'ACCEPTED' ORDER BY updated_at DESC, id DESC LIMIT 1",
    )
    .bind(r.partner.to_string())
    .bind(r.customer.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get::<Option<String>, _>("notify_email")).transpose()?.flatten())
}

fn detail(r: &Relationship) -> serde_json::Value {
    serde_json::json!({
        "partner": PartnerName::new(r.partner).to_string(),
        "customer": CustomerName::new(r.customer).to_string(),
        "provider": r.provider.map(|p| PartnerName::new(p).to_string()),
        "active": r.active,
    })
}
