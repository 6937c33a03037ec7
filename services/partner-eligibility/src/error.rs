//! Every way a partner-eligibility call can fail, and one exhaustive mapping to the
//! wire (`Problem` → `tonic::Status` with `ErrorInfo` in domain `gcc.partner.v1`).

use gcc_platform::names::{PartnerName, PartnerValidationName, ResellerLinkName};
use gcc_platform::{Problem, TenantId};
use tonic::Code;

use crate::domain::Refusal;

pub const DOMAIN: &str = "gcc.partner.v1";

#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error("partner {0} not found")]
    PartnerNotFound(String),
    #[error("partner validation {0} not found")]
    ValidationNotFound(String),
    #[error("the caller's organization is already enrolled")]
    AlreadyEnrolled,
    #[error("indirect provider {0} is not an enrolled indirect provider")]
    ProviderNotEnrolled(TenantId),
    #[error("the caller's organization is not an enrolled CSP partner")]
    NotEnrolled,
    #[error("refused by a rule: {0:?}")]
    Refused(Refusal),
    #[error("a validation is already open: {0}")]
    AlreadyOpen(String),
    #[error("reseller link {0} not found")]
    LinkNotFound(String),
    #[error("the reseller already has an open link: {0}")]
    LinkAlreadyOpen(String),
    #[error("partner {0} is not an indirect reseller")]
    NotAnIndirectReseller(TenantId),
    #[error("the caller is neither the provider nor the reseller of the link")]
    CallerNotAParty,
    #[error("{}: {}", .0.reason, .0.message)]
    Problem(Problem),
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<Problem> for PartnerError {
    fn from(p: Problem) -> Self {
        Self::Problem(p)
    }
}

impl From<Refusal> for PartnerError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl PartnerError {
    /// The wire form. `help` is the eligibility contact, linked from refusals that are
    /// questions about the validation process.
    // One exhaustive match, so that every failure's wire form is read in one place.
    pub fn into_problem(self, help: &str) -> Problem {
        let contact = |p: Problem| p.with_help("Questions about GCC validation: the eligibility team", help);
        match self {
            Self::PartnerNotFound(name) => Problem::not_found("PARTNER_NOT_FOUND", &name),
            Self::ValidationNotFound(name) => Problem::not_found("PARTNER_VALIDATION_NOT_FOUND", &name),
            Self::AlreadyEnrolled => {
                Problem::new(Code::AlreadyExists, "PARTNER_ALREADY_ENROLLED", "this organization is already enrolled")
            }
            Self::ProviderNotEnrolled(t) => Problem::precondition(
                "INDIRECT_PROVIDER_NOT_ENROLLED",
                PartnerName::new(t).to_string(),
                "the indirect provider must be an enrolled indirect provider",
            )
            .with_meta("indirect_provider", PartnerName::new(t).to_string()),
            Self::NotEnrolled => contact(Problem::precondition(
                "PARTNER_NOT_ENROLLED",
                "partner",
                "enroll in the CSP program before requesting GCC validation (R1)",
            )),
            Self::Refused(Refusal::IndirectReseller { provider }) => {
                let provider = provider.map(|t| PartnerName::new(t).to_string()).unwrap_or_default();
                contact(
                    Problem::precondition(
                        "INDIRECT_RESELLER_CANNOT_SUBMIT",
                        "partner_type",
                        "indirect resellers do not submit a partner validation: work with your indirect provider (R2)",
                    )
                    .with_meta("indirect_provider", provider),
                )
            }
            Self::Refused(Refusal::AzureGccTenant) => contact(Problem::invalid_field(
                "partner_validation.tenant_id",
                "AZURE_GCC_TENANT_ID_NOT_ALLOWED",
                "this is your Azure GCC tenant ID; give your commercial (global) tenant ID (R3)",
            )),
            Self::Refused(Refusal::TenantMismatch { expected }) => contact(
                Problem::invalid_field(
                    "partner_validation.tenant_id",
                    "TENANT_ID_MISMATCH",
                    "give your own commercial (global) tenant ID (R3)",
                )
                .with_meta("expected_tenant_id", expected),
            ),
            Self::Refused(Refusal::AlreadyQualified) => Problem::precondition(
                "PARTNER_ALREADY_QUALIFIED",
                "partner",
                "the partner already holds Government_community_cloud",
            ),
            Self::AlreadyOpen(id) => Problem::precondition(
                "VALIDATION_ALREADY_OPEN",
                PartnerValidationName::new(id.clone()).to_string(),
                "a validation of this partner is already under review",
            )
            .with_meta("partner_validation", PartnerValidationName::new(id.clone()).to_string()),
            Self::Refused(Refusal::TransitionNotAllowed { from, action }) => Problem::precondition(
                "TRANSITION_NOT_ALLOWED",
                "state",
                format!("{action} is not allowed while the validation is {}", from.as_str()),
            )
            .with_meta("state", from.as_str()),
            Self::LinkNotFound(name) => Problem::not_found("RESELLER_LINK_NOT_FOUND", &name),
            Self::LinkAlreadyOpen(id) => {
                let link = if id.is_empty() { String::new() } else { ResellerLinkName::new(id.clone()).to_string() };
                Problem::precondition(
                    "RESELLER_LINK_ALREADY_OPEN",
                    link.clone(),
                    "the reseller already has an open link with an indirect provider: end it first (R1a)",
                )
                .with_meta("reseller_link", link)
            }
            Self::Refused(Refusal::LinkAwaitsOtherSide) => Problem::precondition(
                "RESELLER_LINK_AWAITS_OTHER_SIDE",
                "state",
                "the side that opened a link cannot approve it: the other side must agree (R1a)",
            ),
            Self::Refused(Refusal::LinkNotAllowed { from }) => Problem::precondition(
                "TRANSITION_NOT_ALLOWED",
                "state",
                format!("not allowed while the link is {}", from.as_str()),
            )
            .with_meta("state", from.as_str()),
            Self::NotAnIndirectReseller(t) => Problem::precondition(
                "NOT_AN_INDIRECT_RESELLER",
                PartnerName::new(t).to_string(),
                "only an indirect reseller transacts through an indirect provider (R1a)",
            )
            .with_meta("reseller", PartnerName::new(t).to_string()),
            Self::CallerNotAParty => Problem::invalid_field(
                "reseller_link",
                "RESELLER_LINK_CALLER_NOT_A_PARTY",
                "the caller's own tenant must be the link's provider or its reseller",
            ),
            Self::Refused(Refusal::ReviewerIsParty) => Problem::new(
                Code::PermissionDenied,
                "REVIEWER_IS_PARTY",
                "a reviewer never decides a validation of its own organization",
            ),
            Self::Refused(Refusal::AzureGccTenantIsCommercial) => Problem::invalid_field(
                "partner.azure_gcc_tenant_id",
                "AZURE_GCC_TENANT_ID_IS_COMMERCIAL",
                "the Azure GCC tenant ID must differ from the commercial tenant ID",
            ),
            Self::Refused(Refusal::OwnIndirectProvider) => Problem::invalid_field(
                "partner.indirect_provider",
                "FIELD_INVALID",
                "a partner cannot be its own indirect provider",
            ),
            Self::Problem(p) => p,
            Self::Storage(e) => Problem::from(e),
        }
    }
}
