//! Every way an ordering call can fail, and one exhaustive mapping to the wire
//! (`Problem` → `tonic::Status` with `ErrorInfo` in domain `gcc.ordering.v1`).

use gcc_platform::{Problem, TenantId};
use tonic::Code;

pub const DOMAIN: &str = "gcc.ordering.v1";

/// A GCC line of a refused order: its index and offer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatedLine {
    pub index: usize,
    pub offer: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OrderingError {
    #[error("order {0} not found")]
    OrderNotFound(String),
    /// Not managed by the caller, which answers exactly like a missing customer.
    #[error("customer {0} not found")]
    CustomerNotFound(String),
    /// R18: the gate said no; the whole order is refused.
    #[error("GCC eligibility required for {customer}: {reasons:?}")]
    GccEligibilityRequired { customer: TenantId, reasons: Vec<String>, lines: Vec<GatedLine> },
    #[error("{}: {}", .0.reason, .0.message)]
    Problem(Problem),
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<Problem> for OrderingError {
    fn from(p: Problem) -> Self {
        Self::Problem(p)
    }
}

impl OrderingError {
    /// The wire form; `help` is the validation support contact.
    pub fn into_problem(self, help: &str) -> Problem {
        match self {
            Self::OrderNotFound(name) => Problem::not_found("ORDER_NOT_FOUND", &name),
            Self::CustomerNotFound(name) => Problem::not_found("CUSTOMER_NOT_FOUND", &name),
            Self::GccEligibilityRequired { customer, reasons, lines } => {
                let all = reasons.join(", ");
                let first = reasons.first().cloned().unwrap_or_else(|| "GCC_NOT_ELIGIBLE".to_owned());
                let refusal = Problem::new(
                    Code::FailedPrecondition,
                    "GCC_ELIGIBILITY_REQUIRED",
                    format!("government offers need a GCC-validated, managed customer and a GCC partner (R18): {all}"),
                )
                .with_meta("reasons", reasons.join(","))
                .with_meta("customer", format!("customers/{customer}"))
                .with_help("Get the customer validated for GCC: contact the validation support team", help);
                lines.into_iter().fold(refusal, |p, line| {
                    p.with_precondition(
                        first.clone(),
                        format!("lines[{}]", line.index),
                        format!("offers/{} cannot be ordered for this customer: {all}", line.offer),
                    )
                })
            }
            Self::Problem(p) => p,
            Self::Storage(e) => Problem::from(e),
        }
    }
}
