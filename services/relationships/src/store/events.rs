//! The relationship events committed to the outbox, read back for the Watch streams of
//! every replica (PostgreSQL; see `crate::api::replicas`).

use gcc_platform::TenantId;
use gcc_platform::names::{CustomerName, PartnerName};
use gcc_platform::time::from_micros;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, corrupt};
use crate::domain::{EventKind, Relationship, RelationshipEvent};

const ACTIVATED: &str = "gcc.relationships.v1.relationship.activated";
const REVOKED: &str = "gcc.relationships.v1.relationship.revoked";
/// A customer created by a partner is managed by it at once (R17): an activation.
const CREATED: &str = "gcc.relationships.v1.customer.create";

/// One committed change of who manages a customer, with its outbox event ID.
#[derive(Debug, Clone, PartialEq)]
pub struct CommittedChange {
    pub id: String,
    pub events: Vec<RelationshipEvent>,
}

impl Store {
    /// The relationship changes of the resource `aggregate` (`customers/…`) committed
    /// after the event `after` (event IDs grow with time), oldest first, at most `limit`.
    #[tracing::instrument(skip(self), fields(resource = aggregate), err)]
    pub async fn committed_changes(&self, aggregate: &str, after: &str, limit: i64) -> Result<Vec<CommittedChange>> {
        let query = sqlx::query(
            "SELECT id, topic, aggregate, payload, created_at FROM outbox \
             WHERE id > $1 AND aggregate = $2 AND topic IN ($3, $4, $5) ORDER BY id LIMIT $6",
        )
        .bind(after.to_owned())
        .bind(aggregate.to_owned())
        .bind(ACTIVATED)
        .bind(REVOKED)
        .bind(CREATED)
        .bind(limit);
        let rows = query.fetch_all(self.db().reader()).await?;
        rows.iter().map(change_from_row).collect()
    }
}

fn change_from_row(row: &AnyRow) -> Result<CommittedChange> {
    let topic: String = row.try_get("topic")?;
    let payload: serde_json::Value =
        serde_json::from_str(&row.try_get::<String, _>("payload")?).map_err(|_| corrupt("payload"))?;
    let partner_of = |field: &str| -> Result<Option<TenantId>> {
        match payload.get(field).and_then(|v| v.as_str()) {
            None => Ok(None),
            Some(name) => {
                PartnerName::parse(field, name).map(|p| Some(p.tenant())).map_err(|_| corrupt("payload").into())
            }
        }
    };
    let customer = CustomerName::parse("aggregate", &row.try_get::<String, _>("aggregate")?)
        .map_err(|_| corrupt("aggregate"))?
        .tenant();
    let relationship = Relationship {
        partner: partner_of("partner")?.ok_or_else(|| corrupt("payload"))?,
        customer,
        provider: partner_of("provider")?,
        active: topic != REVOKED,
    };
    let kind = if topic == REVOKED { EventKind::Revoked } else { EventKind::Activated };
    let at = from_micros(row.try_get("created_at")?);
    Ok(CommittedChange { id: row.try_get("id")?, events: relationship.events(kind, at) })
}
