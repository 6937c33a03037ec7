//! `gccctl partner …` and `gccctl partner-validation …`.

use gcc_core::TenantId;
use gcc_proto::partner as pb;

use super::Global;
use super::token::parse_tenant;
use crate::output::print;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PartnerTypeArg {
    DirectReseller,
    IndirectProvider,
    IndirectReseller,
}

impl From<PartnerTypeArg> for pb::PartnerType {
    fn from(t: PartnerTypeArg) -> Self {
        match t {
            PartnerTypeArg::DirectReseller => pb::PartnerType::DirectReseller,
            PartnerTypeArg::IndirectProvider => pb::PartnerType::IndirectProvider,
            PartnerTypeArg::IndirectReseller => pb::PartnerType::IndirectReseller,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BasisArg {
    GovernmentEntities,
    GovernmentContracts,
    ContractVehicles,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StateArg {
    PendingReview,
    InformationRequested,
    Approved,
    Rejected,
}

#[derive(Debug, clap::Subcommand)]
pub enum PartnerCommand {
    /// Enroll the token's tenant as a CSP partner.
    Enroll {
        #[arg(long)]
        legal_name: String,
        #[arg(long = "type", value_enum)]
        partner_type: PartnerTypeArg,
        /// The partner's Azure GCC tenant ID, if it has one.
        #[arg(long, value_parser = parse_tenant)]
        azure_gcc_tenant_id: Option<TenantId>,
        /// For an indirect reseller: the indirect provider it asks to sell through (the
        /// provider approves the link, or this accepts its invitation).
        #[arg(long, value_parser = parse_tenant)]
        indirect_provider: Option<TenantId>,
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
    /// Show a partner (default: the token's tenant).
    Get {
        #[arg(value_parser = parse_tenant)]
        tenant: Option<TenantId>,
    },
    /// List the partners the caller may see.
    List {
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
    /// Who transacts for a partner, and whether it holds GCC.
    Lookup {
        #[arg(value_parser = parse_tenant)]
        tenant: TenantId,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ValidationCommand {
    /// Submit the token's partner for GCC validation.
    Submit {
        /// The partner's commercial (global) tenant ID.
        #[arg(long, value_parser = parse_tenant)]
        tenant_id: TenantId,
        #[arg(long, value_enum)]
        basis: BasisArg,
        #[arg(long)]
        contact_email: String,
        #[arg(long, default_value = "")]
        details: String,
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
    /// Show one validation (`partnerValidations/…`).
    Get { name: String },
    /// List validations (reviewers: all; partners: their own).
    List {
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// Only those past their two-business-day due time.
        #[arg(long)]
        overdue: bool,
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
    /// Approve (eligibility reviewer).
    Approve { name: String },
    /// Reject with a reason (eligibility reviewer).
    Reject {
        name: String,
        #[arg(long)]
        reason: String,
    },
    /// Ask the partner for more information (eligibility reviewer).
    RequestInfo {
        name: String,
        #[arg(long)]
        question: String,
    },
    /// Answer the reviewers' question (the partner's admin agent).
    Answer {
        name: String,
        #[arg(long)]
        answer: String,
    },
    /// Stream the validation's state changes until it is final.
    Watch { name: String },
}

impl PartnerCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let c = g.connect(&g.partner_endpoint)?.partner();
        match self {
            Self::Enroll { legal_name, partner_type, azure_gcc_tenant_id, indirect_provider, request_id } => {
                let partner = pb::Partner {
                    legal_name,
                    partner_type: pb::PartnerType::from(partner_type) as i32,
                    azure_gcc_tenant_id: azure_gcc_tenant_id.map(|t| t.to_string()).unwrap_or_default(),
                    indirect_provider: indirect_provider.map(|t| format!("partners/{t}")).unwrap_or_default(),
                    ..Default::default()
                };
                let r = mutate!(c.enroll_partner(pb::EnrollPartnerRequest { partner: Some(partner), request_id }))?;
                print(r.get_ref(), g.json)
            }
            Self::Get { tenant } => {
                let name = match tenant {
                    Some(t) => format!("partners/{t}"),
                    None => format!("partners/{}", token_tenant(g)?),
                };
                print(read!(c.get_partner(pb::GetPartnerRequest { name }))?.get_ref(), g.json)
            }
            Self::List { page_size, page_token } => {
                let req = pb::ListPartnersRequest { page_size, page_token, partner_type: 0 };
                print(read!(c.list_partners(req))?.get_ref(), g.json)
            }
            Self::Lookup { tenant } => {
                let req = pb::LookupTransactingPartnerRequest { tenant_id: tenant.to_string() };
                print(read!(c.lookup_transacting_partner(req))?.get_ref(), g.json)
            }
        }
    }
}

impl ValidationCommand {
    // One arm per subcommand, each a call and its printing: splitting it would only scatter them.
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let mut c = g.connect(&g.partner_endpoint)?.partner();
        let v = match self {
            Self::Submit { tenant_id, basis, contact_email, details, request_id } => {
                let basis = match basis {
                    BasisArg::GovernmentEntities => pb::QualifyingBasis::GovernmentEntities,
                    BasisArg::GovernmentContracts => pb::QualifyingBasis::GovernmentContracts,
                    BasisArg::ContractVehicles => pb::QualifyingBasis::ContractVehicles,
                };
                let body = pb::PartnerValidation {
                    tenant_id: tenant_id.to_string(),
                    qualifying_basis: basis as i32,
                    contact_email,
                    details,
                    ..Default::default()
                };
                let req = pb::SubmitPartnerValidationRequest { partner_validation: Some(body), request_id };
                mutate!(c.submit_partner_validation(req))?
            }
            Self::Get { name } => read!(c.get_partner_validation(pb::GetPartnerValidationRequest { name }))?,
            Self::List { state, overdue, page_size, page_token } => {
                use pb::partner_validation::State;
                let state = state.map_or(0, |s| match s {
                    StateArg::PendingReview => State::PendingReview as i32,
                    StateArg::InformationRequested => State::InformationRequested as i32,
                    StateArg::Approved => State::Approved as i32,
                    StateArg::Rejected => State::Rejected as i32,
                });
                let req = pb::ListPartnerValidationsRequest {
                    page_size,
                    page_token,
                    state,
                    overdue_only: overdue,
                    partner: String::new(),
                };
                return print(read!(c.list_partner_validations(req))?.get_ref(), g.json);
            }
            Self::Approve { name } => mutate!(c.approve_partner_validation(pb::ApprovePartnerValidationRequest {
                name,
                request_id: gcc_client::retry::new_request_id()
            }))?,
            Self::Reject { name, reason } => {
                mutate!(c.reject_partner_validation(pb::RejectPartnerValidationRequest {
                    name,
                    reason,
                    request_id: gcc_client::retry::new_request_id(),
                }))?
            }
            Self::RequestInfo { name, question } => {
                let req = pb::RequestPartnerValidationInformationRequest {
                    name,
                    question,
                    request_id: gcc_client::retry::new_request_id(),
                };
                mutate!(c.request_partner_validation_information(req))?
            }
            Self::Answer { name, answer } => {
                let req = pb::ProvidePartnerValidationInformationRequest {
                    name,
                    answer,
                    request_id: gcc_client::retry::new_request_id(),
                };
                mutate!(c.provide_partner_validation_information(req))?
            }
            Self::Watch { name } => {
                let mut stream =
                    c.watch_partner_validation(pb::WatchPartnerValidationRequest { name }).await?.into_inner();
                while let Some(v) = stream.message().await? {
                    print(&v, g.json)?;
                    if !g.json {
                        println!("---");
                    }
                }
                return Ok(());
            }
        };
        print(v.get_ref(), g.json)
    }
}

/// The `tid` of the token in use, without verifying it (the server does that).
pub(super) fn token_tenant(g: &Global) -> anyhow::Result<String> {
    use base64::Engine;
    let token = g.token.as_deref().ok_or_else(|| anyhow::anyhow!("no token: set GCC_TOKEN or --token"))?;
    let payload = token.split('.').nth(1).ok_or_else(|| anyhow::anyhow!("the token is not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes)?;
    claims["tid"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("the token has no tid"))
}
