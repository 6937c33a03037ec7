//! Every way a customer-validation call can fail, and one exhaustive mapping to the wire
//! (`ErrorInfo` in domain `gcc.validation.v1`).

use gcc_platform::{Problem, TenantId};
use tonic::Code;

use crate::domain::ValidationState;

pub const DOMAIN: &str = "gcc.validation.v1";

#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("customer validation {0} not found")]
    ValidationNotFound(String),
    #[error("validation code {0} not found")]
    CodeNotFound(String),
    #[error("customer {0} not found")]
    CustomerNotFound(String),
    #[error("the caller is not an enrolled partner")]
    PartnerNotEnrolled,
    #[error("the transacting partner {0} does not hold GCC")]
    PartnerNotGccQualified(TenantId),
    #[error("use the transacting partner's tenant ID {expected}")]
    UseTransactingTenant { expected: TenantId },
    #[error("an Azure GCC tenant ID was given; use {expected}")]
    AzureGccTenant { expected: TenantId },
    #[error("validation code {0} has no use left")]
    CodeSpent(String),
    #[error("customer {0} already holds GCC")]
    AlreadyQualified(TenantId),
    #[error("{action} is not allowed in state {from:?}")]
    TransitionNotAllowed { from: ValidationState, action: &'static str },
    #[error("{}: {}", .0.reason, .0.message)]
    Problem(Problem),
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<Problem> for ValidationError {
    fn from(p: Problem) -> Self {
        Self::Problem(p)
    }
}

impl ValidationError {
    pub fn into_problem(self, help: &str) -> Problem {
        let contact = |p: Problem| p.with_help("Questions about GCC validation: the eligibility team", help);
        match self {
            Self::ValidationNotFound(n) => Problem::not_found("CUSTOMER_VALIDATION_NOT_FOUND", &n),
            Self::CodeNotFound(n) => Problem::not_found("VALIDATION_CODE_NOT_FOUND", &n),
            Self::CustomerNotFound(n) => Problem::not_found("CUSTOMER_NOT_FOUND", &n),
            Self::PartnerNotEnrolled => contact(Problem::precondition(
                "PARTNER_NOT_ENROLLED",
                "partner",
                "enroll in the CSP program and get GCC approval first (R1, R7)",
            )),
            Self::PartnerNotGccQualified(t) => contact(
                Problem::precondition(
                    "PARTNER_NOT_GCC_QUALIFIED",
                    format!("partners/{t}"),
                    "the transacting partner must hold Government_community_cloud before submitting customers (R7)",
                )
                .with_meta("transacting_partner", format!("partners/{t}")),
            ),
            Self::UseTransactingTenant { expected } => contact(
                Problem::invalid_field(
                    "customer_validation.partner_tenant_id",
                    "USE_TRANSACTING_PARTNER_TENANT_ID",
                    format!("give the transacting partner's commercial tenant ID {expected} (R9)"),
                )
                .with_meta("expected_tenant_id", expected),
            ),
            Self::AzureGccTenant { expected } => contact(
                Problem::invalid_field(
                    "customer_validation.partner_tenant_id",
                    "AZURE_GCC_TENANT_ID_NOT_ALLOWED",
                    format!("an Azure GCC tenant ID is never accepted; give {expected} (R9)"),
                )
                .with_meta("expected_tenant_id", expected),
            ),
            Self::CodeSpent(code) => Problem::precondition(
                "VALIDATION_CODE_SPENT",
                format!("validationCodes/{code}"),
                "this validation code has no use left",
            )
            .with_meta("validation_code", format!("validationCodes/{code}")),
            Self::AlreadyQualified(t) => Problem::precondition(
                "CUSTOMER_ALREADY_QUALIFIED",
                format!("customers/{t}"),
                "the customer already holds Government Community Cloud",
            )
            .with_meta("customer", format!("customers/{t}")),
            Self::TransitionNotAllowed { from, action } => Problem::precondition(
                "TRANSITION_NOT_ALLOWED",
                "state",
                format!("{action} is not allowed while the validation is {}", from.as_str()),
            )
            .with_meta("state", from.as_str()),
            Self::Problem(p) => p,
            Self::Storage(e) => Problem::from(e),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Problem(p) if p.code == Code::NotFound)
    }
}
