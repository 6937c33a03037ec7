//! Persisting the [`Effects`] the domain decided: rows first, each guarded by the state
//! it was read in, then the audit entries and outbox events.

use chrono::{DateTime, Utc};
use gcc_platform::Caller;
use gcc_platform::names::{CustomerName, PartnerName, RelationshipRequestName};
use sqlx::AnyConnection;

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
        Event::Relationship { action, relationship } => {
            let target = CustomerName::new(relationship.customer).to_string();
            record_change(conn, caller, now, action, &target, detail(relationship)).await
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
    let detail = serde_json::json!({
        "partner": PartnerName::new(i.partner).to_string(),
        "state": i.state.as_str(),
        "generation": i.generation,
        "expire_time": i.expire_at.to_rfc3339(),
        "customer": i.customer.map(|c| CustomerName::new(c).to_string()),
    });
    record_change(conn, caller, now, action, &target, detail).await
}

fn detail(r: &Relationship) -> serde_json::Value {
    serde_json::json!({
        "partner": PartnerName::new(r.partner).to_string(),
        "customer": CustomerName::new(r.customer).to_string(),
        "provider": r.provider.map(|p| PartnerName::new(p).to_string()),
        "active": r.active,
    })
}
