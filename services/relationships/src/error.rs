//! Every way a relationships call can fail, and one exhaustive mapping to the wire
//! (`Problem` → `tonic::Status` with `ErrorInfo` in domain `gcc.relationships.v1`).

use gcc_platform::Problem;
use tonic::Code;

use crate::domain::Refusal;

pub const DOMAIN: &str = "gcc.relationships.v1";

#[derive(Debug, thiserror::Error)]
pub enum RelationshipsError {
    #[error("customer {0} not found")]
    CustomerNotFound(String),
    #[error("partner {0} not found")]
    PartnerNotFound(String),
    #[error("relationship request {0} not found")]
    RequestNotFound(String),
    #[error("no active relationship between {partner} and {customer}")]
    RelationshipNotFound { partner: String, customer: String },
    #[error("no invitation has this token")]
    InvitationNotFound,
    #[error("domain {0} belongs to another customer")]
    DomainTaken(String),
    #[error("the caller's organization is not an enrolled CSP partner")]
    PartnerNotEnrolled,
    #[error("the reseller link {link} is {state}")]
    ResellerLinkNotActive { state: String, link: String },
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error("{}: {}", .0.reason, .0.message)]
    Problem(Problem),
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<Refusal> for RelationshipsError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl From<Problem> for RelationshipsError {
    fn from(p: Problem) -> Self {
        Self::Problem(p)
    }
}

impl RelationshipsError {
    /// The wire form.
    pub fn into_problem(self) -> Problem {
        match self {
            Self::CustomerNotFound(name) => Problem::not_found("CUSTOMER_NOT_FOUND", &name),
            Self::PartnerNotFound(name) => Problem::not_found("PARTNER_NOT_FOUND", &name),
            Self::RequestNotFound(name) => Problem::not_found("RELATIONSHIP_REQUEST_NOT_FOUND", &name),
            Self::RelationshipNotFound { partner, customer } => Problem::new(
                Code::NotFound,
                "RELATIONSHIP_NOT_FOUND",
                format!("{partner} has no active relationship with {customer}"),
            )
            .with_meta("partner", partner)
            .with_meta("customer", customer),
            Self::InvitationNotFound => {
                Problem::new(Code::NotFound, "INVITATION_NOT_FOUND", "no invitation has this token")
            }
            Self::DomainTaken(domain) => Problem::new(
                Code::AlreadyExists,
                "DOMAIN_TAKEN",
                format!("domain {domain} belongs to another customer"),
            )
            .with_meta("domain", domain),
            Self::PartnerNotEnrolled => Problem::precondition(
                "PARTNER_NOT_ENROLLED",
                "partner",
                "the caller's organization is not an enrolled CSP partner",
            ),
            Self::ResellerLinkNotActive { state, link } => Problem::precondition(
                if state == "ENDED" { "RESELLER_LINK_ENDED" } else { "RESELLER_LINK_PENDING" },
                link.clone(),
                format!("the link with your indirect provider is {state}: both sides must agree first (R1a)"),
            )
            .with_meta("link_state", &state)
            .with_meta("reseller_link", link),
            Self::Refused(r) => refusal(r),
            Self::Problem(p) => p,
            Self::Storage(e) => Problem::from(e),
        }
    }
}

fn refusal(r: Refusal) -> Problem {
    let (reason, message) = match r {
        Refusal::AlreadyAccepted => ("INVITATION_ALREADY_ACCEPTED", "this invitation was already accepted"),
        Refusal::Revoked => {
            ("INVITATION_REVOKED", "this link was withdrawn or replaced by a newer one; ask the partner for a new one")
        }
        Refusal::Expired => ("INVITATION_EXPIRED", "this invitation has expired; ask the partner for a new one"),
        Refusal::BoundToAnotherCustomer => {
            ("INVITATION_BOUND_TO_ANOTHER_CUSTOMER", "this invitation is for another customer")
        }
        Refusal::ProfileRequired => {
            return Problem::precondition(
                "CUSTOMER_PROFILE_REQUIRED",
                "company_profile",
                "this customer is new to the service: give its company profile to accept",
            );
        }
        Refusal::NotPending(state) => {
            return Problem::precondition(
                "INVITATION_NOT_PENDING",
                "state",
                format!("the invitation is {}; only an invited one can change", state.as_str()),
            )
            .with_meta("state", state.as_str());
        }
        Refusal::LinkMissing => {
            return Problem::invalid_field(
                "email_body",
                "INVITATION_LINK_MISSING",
                "the text must contain the current invitation link unchanged (R14)",
            );
        }
    };
    Problem::precondition(reason, "invitation_token", message)
}
