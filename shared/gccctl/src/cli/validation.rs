//! `gccctl customer-validation …`, `gccctl validation-code …`,
//! `gccctl special-qualifications` and `gccctl eligibility`.

use gcc_core::TenantId;
use gcc_proto::types::OfferFamily;
use gcc_proto::validation as pb;

use super::Global;
use super::token::parse_tenant;
use crate::output::print;

mod args;
pub use args::{DataArg, EntityArg, FamilyArg, StateArg};
#[cfg(test)]
mod tests;

#[derive(Debug, clap::Args)]
pub struct Submission {
    /// The transacting partner's commercial tenant ID (an indirect reseller gives its
    /// provider's).
    #[arg(long, value_parser = parse_tenant)]
    tenant_id: TenantId,
    #[arg(long)]
    legal_name: String,
    #[arg(long)]
    domain: String,
    /// Postal address line; repeat for several.
    #[arg(long = "address", required = true)]
    address_lines: Vec<String>,
    #[arg(long, default_value = "US")]
    region: String,
    #[arg(long)]
    contact_name: String,
    #[arg(long)]
    contact_email: String,
    /// The kind of US government entity.
    #[arg(long, value_enum, conflicts_with = "regulated_data")]
    government_entity: Option<EntityArg>,
    /// Government-regulated data held (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    regulated_data: Vec<DataArg>,
    /// Proven US presence, for an organization outside the US.
    #[arg(long, default_value = "")]
    us_presence: String,
    /// An existing customer this validation is for.
    #[arg(long, value_parser = parse_tenant)]
    customer: Option<TenantId>,
    /// Where the outcome is e-mailed (the submitting partner's contact).
    #[arg(long, default_value = "")]
    partner_contact_email: String,
    /// The transacting partner's contact, copied when an indirect provider transacts.
    #[arg(long, default_value = "")]
    transacting_partner_contact_email: String,
    /// Makes retries safe; a new one when not given.
    #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
    request_id: String,
}

#[derive(Debug, clap::Subcommand)]
pub enum ValidationCommand {
    /// Submit a customer for GCC validation, on its behalf.
    Submit(Box<Submission>),
    Get {
        name: String,
    },
    /// List validations (reviewers: all; partners: theirs).
    List {
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        #[arg(long)]
        overdue: bool,
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
    /// Approve and issue a validation code (eligibility reviewer).
    Approve {
        name: String,
        /// How many customer accounts the code may qualify.
        #[arg(long, default_value_t = 1)]
        uses: i32,
    },
    Reject {
        name: String,
        #[arg(long)]
        reason: String,
    },
    /// Mark the validation as contacting the customer (eligibility reviewer).
    Contact {
        name: String,
        #[arg(long)]
        note: String,
    },
    /// Return it to review (eligibility reviewer).
    Resume {
        name: String,
    },
    Watch {
        name: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum CodeCommand {
    /// The codes the caller may pick.
    List {
        #[arg(long)]
        include_spent: bool,
    },
    /// Apply a code to a customer the caller manages.
    Apply {
        /// `validationCodes/GCC-…` or just `GCC-…`.
        code: String,
        #[arg(long, value_parser = parse_tenant)]
        customer: TenantId,
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct Check {
    #[arg(long, value_parser = parse_tenant)]
    customer: TenantId,
    /// Offer families to check (default: all four).
    #[arg(long = "family", value_enum)]
    families: Vec<FamilyArg>,
    /// For reviewers: the partner to check for.
    #[arg(long, value_parser = parse_tenant)]
    partner: Option<TenantId>,
}

impl ValidationCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let mut c = g.connect(&g.validation_endpoint)?.validation();
        let reply = match self {
            Self::Submit(s) => mutate!(c.submit_customer_validation(submission(*s)))?,
            Self::Get { name } => read!(c.get_customer_validation(pb::GetCustomerValidationRequest { name }))?,
            Self::List { state, overdue, page_size, page_token } => {
                use pb::customer_validation::State;
                let state = state.map_or(0, |s| match s {
                    StateArg::PendingReview => State::PendingReview as i32,
                    StateArg::ContactingCustomer => State::ContactingCustomer as i32,
                    StateArg::Approved => State::Approved as i32,
                    StateArg::Rejected => State::Rejected as i32,
                });
                let req = pb::ListCustomerValidationsRequest { page_size, page_token, state, overdue_only: overdue };
                return print(read!(c.list_customer_validations(req))?.get_ref(), g.json);
            }
            Self::Approve { name, uses } => {
                let req = pb::ApproveCustomerValidationRequest {
                    name,
                    code_uses: uses,
                    request_id: gcc_client::retry::new_request_id(),
                };
                mutate!(c.approve_customer_validation(req))?
            }
            Self::Reject { name, reason } => {
                mutate!(c.reject_customer_validation(pb::RejectCustomerValidationRequest {
                    name,
                    reason,
                    request_id: gcc_client::retry::new_request_id(),
                }))?
            }
            Self::Contact { name, note } => mutate!(c.contact_customer(pb::ContactCustomerRequest {
                name,
                note,
                request_id: gcc_client::retry::new_request_id()
            }))?,
            Self::Resume { name } => {
                let req =
                    pb::ResumeCustomerValidationReviewRequest { name, request_id: gcc_client::retry::new_request_id() };
                mutate!(c.resume_customer_validation_review(req))?
            }
            Self::Watch { name } => {
                let mut s =
                    c.watch_customer_validation(pb::WatchCustomerValidationRequest { name }).await?.into_inner();
                while let Some(v) = s.message().await? {
                    print(&v, g.json)?;
                    if !g.json {
                        println!("---");
                    }
                }
                return Ok(());
            }
        };
        print(reply.get_ref(), g.json)
    }
}

fn submission(s: Submission) -> pb::SubmitCustomerValidationRequest {
    use pb::customer_eligibility::Basis;
    let basis = match s.government_entity {
        Some(e) => Basis::GovernmentEntity(
            (match e {
                EntityArg::Federal => pb::GovernmentEntityKind::Federal,
                EntityArg::State => pb::GovernmentEntityKind::State,
                EntityArg::Local => pb::GovernmentEntityKind::Local,
                EntityArg::Tribal => pb::GovernmentEntityKind::Tribal,
                EntityArg::RegionalOrInterstate => pb::GovernmentEntityKind::RegionalOrInterstate,
                EntityArg::Ffrdc => pb::GovernmentEntityKind::Ffrdc,
            }) as i32,
        ),
        None => Basis::RegulatedData(pb::RegulatedData {
            kinds: s
                .regulated_data
                .iter()
                .map(|d| {
                    (match d {
                        DataArg::Itar => pb::RegulatedDataKind::Itar,
                        DataArg::Cui => pb::RegulatedDataKind::Cui,
                        DataArg::DodUcni => pb::RegulatedDataKind::DodUcni,
                        DataArg::DoeUcni => pb::RegulatedDataKind::DoeUcni,
                        DataArg::Cji => pb::RegulatedDataKind::Cji,
                        DataArg::DodImpactLevel => pb::RegulatedDataKind::DodImpactLevel,
                    }) as i32
                })
                .collect(),
        }),
    };
    pb::SubmitCustomerValidationRequest {
        customer_validation: Some(pb::CustomerValidation {
            partner_tenant_id: s.tenant_id.to_string(),
            organization: Some(pb::Organization {
                legal_name: s.legal_name,
                domain: s.domain,
                address_lines: s.address_lines,
                region_code: s.region,
                contact_name: s.contact_name,
                contact_email: s.contact_email,
            }),
            eligibility: Some(pb::CustomerEligibility { basis: Some(basis), us_presence: s.us_presence }),
            customer: s.customer.map(|t| format!("customers/{t}")).unwrap_or_default(),
            partner_contact_email: s.partner_contact_email,
            transacting_partner_contact_email: s.transacting_partner_contact_email,
            ..Default::default()
        }),
        request_id: s.request_id,
    }
}

impl CodeCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let c = g.connect(&g.validation_endpoint)?.validation();
        match self {
            Self::List { include_spent } => {
                let req = pb::ListValidationCodesRequest { include_spent, ..Default::default() };
                print(read!(c.list_validation_codes(req))?.get_ref(), g.json)
            }
            Self::Apply { code, customer, request_id } => {
                let validation_code =
                    if code.starts_with("validationCodes/") { code } else { format!("validationCodes/{code}") };
                let req = pb::ApplyValidationCodeRequest {
                    validation_code,
                    customer: format!("customers/{customer}"),
                    request_id,
                };
                print(mutate!(c.apply_validation_code(req))?.get_ref(), g.json)
            }
        }
    }
}

/// `gccctl special-qualifications CUSTOMER` (R12, R16).
pub async fn qualifications(g: &Global, customer: TenantId) -> anyhow::Result<()> {
    let c = g.connect(&g.validation_endpoint)?.validation();
    let req = pb::ListSpecialQualificationsRequest { customer: format!("customers/{customer}") };
    print(read!(c.list_special_qualifications(req))?.get_ref(), g.json)
}

impl Check {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let c = g.connect(&g.validation_endpoint)?.validation();
        let families: Vec<OfferFamily> = if self.families.is_empty() {
            vec![OfferFamily::Office365, OfferFamily::Dynamics365, OfferFamily::Ems, OfferFamily::PowerBi]
        } else {
            self.families.into_iter().map(OfferFamily::from).collect()
        };
        let req = pb::CheckEligibilityRequest {
            customer: format!("customers/{}", self.customer),
            offer_families: families.into_iter().map(|f| f as i32).collect(),
            partner: self.partner.map(|p| format!("partners/{p}")).unwrap_or_default(),
        };
        print(read!(c.check_eligibility(req))?.get_ref(), g.json)
    }
}
