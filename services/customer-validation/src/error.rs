//! Every way a customer-validation call can fail, and one exhaustive mapping to the wire
//! (`ErrorInfo` in domain `gcc.validation.v1`).

use gcc_platform::names::{CustomerName, CustomerValidationName, PartnerName, ValidationCodeName};
use gcc_platform::{Problem, TenantId};
use tonic::Code;

use crate::domain::Refusal;

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
    #[error("customer {0} already holds GCC")]
    AlreadyQualified(TenantId),
    #[error("the reseller link {link} is {state}")]
    ResellerLinkNotActive { state: String, link: String },
    #[error("a validation of this organization is already open: {0}")]
    AlreadyOpen(String),
    #[error("refused by a rule: {0:?}")]
    Refused(Refusal),
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

impl From<Refusal> for ValidationError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl ValidationError {
    // One exhaustive match, so that every failure's wire form is read in one place.
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
            Self::Refused(Refusal::PartnerNotGccQualified(t)) => contact(
                Problem::precondition(
                    "PARTNER_NOT_GCC_QUALIFIED",
                    PartnerName::new(t).to_string(),
                    "the transacting partner must hold Government_community_cloud before submitting customers (R7)",
                )
                .with_meta("transacting_partner", PartnerName::new(t).to_string()),
            ),
            Self::Refused(Refusal::UseTransactingTenant { expected }) => contact(
                Problem::invalid_field(
                    "customer_validation.partner_tenant_id",
                    "USE_TRANSACTING_PARTNER_TENANT_ID",
                    format!("give the transacting partner's commercial tenant ID {expected} (R9)"),
                )
                .with_meta("expected_tenant_id", expected),
            ),
            Self::Refused(Refusal::AzureGccTenant { expected }) => contact(
                Problem::invalid_field(
                    "customer_validation.partner_tenant_id",
                    "AZURE_GCC_TENANT_ID_NOT_ALLOWED",
                    format!("an Azure GCC tenant ID is never accepted; give {expected} (R9)"),
                )
                .with_meta("expected_tenant_id", expected),
            ),
            Self::ResellerLinkNotActive { state, link } => {
                let reason = if state == "ENDED" { "RESELLER_LINK_ENDED" } else { "RESELLER_LINK_PENDING" };
                contact(
                    Problem::precondition(
                        reason,
                        link.clone(),
                        format!(
                            "the link with your indirect provider is {state}: the reseller has no transacting partner \
                             until both sides agree (R1a)"
                        ),
                    )
                    .with_meta("link_state", &state)
                    .with_meta("reseller_link", link),
                )
            }
            Self::AlreadyOpen(id) => {
                let name =
                    if id.is_empty() { String::new() } else { CustomerValidationName::new(id.clone()).to_string() };
                Problem::precondition(
                    "VALIDATION_ALREADY_OPEN",
                    name.clone(),
                    "a validation of this organization is already under review for the transacting partner (R12)",
                )
                .with_meta("customer_validation", name)
            }
            Self::Refused(Refusal::OrganizationMismatch(t)) => Problem::precondition(
                "CUSTOMER_ORGANIZATION_MISMATCH",
                CustomerName::new(t).to_string(),
                "the customer's domain is not the organization's domain or a subdomain of it (R12)",
            )
            .with_meta("customer", CustomerName::new(t).to_string()),
            Self::Refused(Refusal::CodeExpired { code }) => contact(
                Problem::precondition(
                    "VALIDATION_CODE_EXPIRED",
                    ValidationCodeName::new(code.clone()).to_string(),
                    "this validation code has expired: submit a new validation (R12)",
                )
                .with_meta("validation_code", ValidationCodeName::new(code.clone()).to_string()),
            ),
            Self::Refused(Refusal::CodeOrganizationMismatch { code }) => Problem::precondition(
                "VALIDATION_CODE_ORGANIZATION_MISMATCH",
                ValidationCodeName::new(code.clone()).to_string(),
                "a validation code qualifies only the validated organization: the customer's domain must be its \
                 domain or a subdomain of it (R12)",
            )
            .with_meta("validation_code", ValidationCodeName::new(code.clone()).to_string()),
            Self::Refused(Refusal::ReviewerIsParty) => Problem::new(
                Code::PermissionDenied,
                "REVIEWER_IS_PARTY",
                "a reviewer never decides a validation its own organization is party to",
            ),
            Self::Refused(Refusal::CodeSpent { code }) => Problem::precondition(
                "VALIDATION_CODE_SPENT",
                ValidationCodeName::new(code.clone()).to_string(),
                "this validation code has no use left",
            )
            .with_meta("validation_code", ValidationCodeName::new(code.clone()).to_string()),
            Self::AlreadyQualified(t) => Problem::precondition(
                "CUSTOMER_ALREADY_QUALIFIED",
                CustomerName::new(t).to_string(),
                "the customer already holds Government Community Cloud",
            )
            .with_meta("customer", CustomerName::new(t).to_string()),
            Self::Refused(Refusal::TransitionNotAllowed { from, action }) => Problem::precondition(
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
