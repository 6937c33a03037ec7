//! All SQL of partner-eligibility. Every change is one transaction that also writes its
//! idempotency record, audit entry and outbox event. Partners live in `partners`,
//! their validations in `validations`, reseller links in `links`.

pub use links::NewLink;
pub use partners::list_partners_sql;
pub use validations::list_validations_sql;

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use gcc_platform::db::Db;

use crate::domain::*;
use crate::error::PartnerError;

type Result<T> = std::result::Result<T, PartnerError>;

/// Which partner validations to list.
#[derive(Debug, Clone, Default)]
pub struct ValidationFilter {
    pub partner: Option<TenantId>,
    pub state: Option<ValidationState>,
    /// Only those pending past their due time at this instant (R4).
    pub overdue_at: Option<DateTime<Utc>>,
}

/// One move of a review: which validation, whose it must be (a partner answering a
/// question), the transition, and the due time if it goes back to review.
#[derive(Debug, Clone)]
pub struct Move {
    pub id: String,
    pub owner: Option<TenantId>,
    pub transition: Transition,
    pub due: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

/// The columns of a partner and its qualifications, before its active provider's.
macro_rules! partner_columns {
    () => {
        concat!(
            "p.tenant_id, p.legal_name, p.partner_type, p.azure_gcc_tenant_id, p.indirect_provider, ",
            "p.created_at, p.updated_at, q.qualification, q.validation_id, q.granted_at, "
        )
    };
}

/// Partners joined with their qualifications, followed by `$where`.
macro_rules! select_partners {
    ($where:literal) => {
        concat!(
            "SELECT ",
            partner_columns!(),
            "l.provider_tenant AS active_provider ",
            "FROM partners p LEFT JOIN partner_qualifications q ON q.partner_tenant = p.tenant_id ",
            // At most one active link per reseller (R1a), so the join adds no rows.
            "LEFT JOIN reseller_links l ON l.reseller_tenant = p.tenant_id AND l.state = 'ACTIVE' ",
            $where
        )
    };
}

// After the macro, which the modules use.
mod link_rows;
mod links;
mod partners;
mod validations;

use partners::fetch_partner;

impl Store {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}
