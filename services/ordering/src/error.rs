//! Every way an ordering call can fail, and one exhaustive mapping to the wire
//! (`Problem` → `tonic::Status` with `ErrorInfo` in domain `gcc.ordering.v1`).

use gcc_platform::Problem;
use gcc_platform::names::{CustomerName, OfferName};
use tonic::Code;

use crate::domain::Refusal;
use crate::domain::order::MAX_LINES;

pub const DOMAIN: &str = "gcc.ordering.v1";

#[derive(Debug, thiserror::Error)]
pub enum OrderingError {
    #[error("order {0} not found")]
    OrderNotFound(String),
    #[error("refused: {0:?}")]
    Refused(Refusal),
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

impl From<Refusal> for OrderingError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl OrderingError {
    /// The wire form; `help` is the validation support contact.
    pub fn into_problem(self, help: &str) -> Problem {
        match self {
            Self::OrderNotFound(name) => Problem::not_found("ORDER_NOT_FOUND", &name),
            Self::Refused(r) => refusal(r, help),
            Self::Problem(p) => p,
            Self::Storage(e) => Problem::from(e),
        }
    }
}

fn refusal(r: Refusal, help: &str) -> Problem {
    match r {
        Refusal::NoLines => Problem::field_required("order.lines"),
        Refusal::TooManyLines(n) => {
            Problem::invalid_field("order.lines", "TOO_MANY_LINES", format!("at most {MAX_LINES} lines"))
                .with_meta("lines", n)
        }
        Refusal::DuplicateOffer { index, offer } => Problem::invalid_field(
            &format!("order.lines[{index}].offer"),
            "DUPLICATE_OFFER",
            "each offer appears on one line only; raise its quantity instead",
        )
        .with_meta("offer", OfferName::new(offer).to_string()),
        Refusal::CustomerNotManaged { name } => Problem::not_found("CUSTOMER_NOT_FOUND", &name),
        Refusal::GccEligibilityRequired { customer, reasons, lines } => {
            let all = reasons.join(", ");
            let first = reasons.first().cloned().unwrap_or_else(|| "GCC_NOT_ELIGIBLE".to_owned());
            let refusal = Problem::new(
                Code::FailedPrecondition,
                "GCC_ELIGIBILITY_REQUIRED",
                format!("government offers need a GCC-validated, managed customer and a GCC partner (R18): {all}"),
            )
            .with_meta("reasons", reasons.join(","))
            .with_meta("customer", CustomerName::new(customer).to_string())
            .with_help("Get the customer validated for GCC: contact the validation support team", help);
            lines.into_iter().fold(refusal, |p, line| {
                p.with_precondition(
                    first.clone(),
                    format!("lines[{}]", line.index),
                    format!("{} cannot be ordered for this customer: {all}", OfferName::new(line.offer)),
                )
            })
        }
    }
}
