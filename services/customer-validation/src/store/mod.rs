//! All SQL of customer-validation. Each change commits with its idempotency record,
//! audit entry and outbox event. Validations live in `validations`, codes and the
//! qualifications they grant in `codes`, row decoding in `rows`.

mod codes;
mod rows;
mod validations;

pub use codes::codes_sql;
pub use validations::list_sql;

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use gcc_platform::db::Db;

use crate::domain::*;
use crate::error::ValidationError;

pub(crate) type Result<T> = std::result::Result<T, ValidationError>;

/// Which validations to list.
#[derive(Debug, Clone, Default)]
pub struct ValidationFilter {
    /// Only those this partner submitted or transacts for.
    pub visible_to: Option<TenantId>,
    pub state: Option<ValidationState>,
    pub overdue_at: Option<DateTime<Utc>>,
}

/// A reviewer's move on one validation.
#[derive(Debug, Clone)]
pub struct Move {
    pub id: String,
    pub transition: Transition,
    /// The due time if it goes back to review.
    pub due: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

impl Store {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}
