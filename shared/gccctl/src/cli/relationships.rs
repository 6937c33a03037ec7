//! `gccctl customer …` and `gccctl relationship …`.

use std::path::PathBuf;

use gcc_core::TenantId;
use gcc_proto::relationships as pb;

use super::Global;
use super::token::parse_tenant;
use crate::output::print;

/// A customer's company profile. For `customer create` the server requires all but the
/// administrative area and postal code; for `relationship accept` it is only needed when
/// the customer is new to the service (give at least `--legal-name` then).
#[derive(Debug, clap::Args)]
pub struct ProfileArgs {
    /// Registered name.
    #[arg(long)]
    pub legal_name: Option<String>,
    /// Primary domain, such as agency.example.gov.
    #[arg(long)]
    pub domain: Option<String>,
    /// Two upper-case letters, such as US.
    #[arg(long, default_value = "US")]
    pub region_code: String,
    /// State or province, such as VA.
    #[arg(long, default_value = "")]
    pub administrative_area: String,
    /// City.
    #[arg(long)]
    pub locality: Option<String>,
    #[arg(long, default_value = "")]
    pub postal_code: String,
    /// A street line; repeat for up to three.
    #[arg(long = "address-line")]
    pub address_lines: Vec<String>,
    /// Where the customer's administrator is reached.
    #[arg(long)]
    pub contact_email: Option<String>,
}

impl ProfileArgs {
    fn given(&self) -> bool {
        self.legal_name.is_some() || self.domain.is_some() || self.contact_email.is_some()
    }

    fn into_profile(self) -> pb::CompanyProfile {
        pb::CompanyProfile {
            legal_name: self.legal_name.unwrap_or_default(),
            domain: self.domain.unwrap_or_default(),
            postal_address: Some(pb::PostalAddress {
                region_code: self.region_code,
                administrative_area: self.administrative_area,
                locality: self.locality.unwrap_or_default(),
                postal_code: self.postal_code,
                address_lines: self.address_lines,
            }),
            contact_email: self.contact_email.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InvitationStateArg {
    Invited,
    Accepted,
    Expired,
    Revoked,
}

#[derive(Debug, clap::Subcommand)]
pub enum CustomerCommand {
    /// Create a customer; the token's partner manages it at once.
    Create {
        #[command(flatten)]
        profile: ProfileArgs,
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
    /// Show a customer the token's partner manages.
    Get {
        #[arg(value_parser = parse_tenant)]
        customer: TenantId,
    },
    /// List the customers the token's partner manages.
    List {
        /// Only legal names starting with this (any case).
        #[arg(long, default_value = "")]
        name_prefix: String,
        #[arg(long, default_value = "")]
        domain_prefix: String,
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum RelationshipCommand {
    /// Invite a customer: prints the personalized link and the draft e-mail.
    Invite {
        /// Only this customer tenant may accept.
        #[arg(long, value_parser = parse_tenant)]
        bound_tenant: Option<TenantId>,
        /// Only a customer with this domain may accept.
        #[arg(long)]
        bound_domain: Option<String>,
        /// Tell this address by e-mail when the customer accepts or ends the relationship.
        #[arg(long)]
        notify_email: Option<String>,
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
    /// Show one invitation (`relationshipRequests/…`), without its link.
    Get { name: String },
    /// List the token's partner's invitations.
    List {
        #[arg(long, value_enum)]
        state: Option<InvitationStateArg>,
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
    /// Replace the draft e-mail; the body must keep the current link unchanged.
    EditEmail {
        name: String,
        #[arg(long)]
        subject: String,
        /// The body text.
        #[arg(long, conflicts_with = "body_file", required_unless_present = "body_file")]
        body: Option<String>,
        /// A file holding the body text.
        #[arg(long)]
        body_file: Option<PathBuf>,
    },
    /// Make a new link; the old one stops working.
    Resend { name: String },
    /// Have the service send the e-mail, as it stands, with the current link, to the
    /// customer (or send it yourself: `invite` prints the draft and a mailto: link).
    SendEmail {
        name: String,
        #[arg(long)]
        to: String,
    },
    /// Withdraw an invitation.
    Revoke { name: String },
    /// Accept an invitation as the customer's admin (the token's tenant is the customer).
    Accept {
        /// The token from the link (the part after `?token=`), or the whole link.
        #[arg(long)]
        invitation_token: String,
        #[command(flatten)]
        profile: ProfileArgs,
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
    /// End a relationship: a partner's admin its own, a customer's admin with --partner.
    End {
        #[arg(value_parser = parse_tenant)]
        customer: TenantId,
        #[arg(long, value_parser = parse_tenant)]
        partner: Option<TenantId>,
    },
    /// Whether a partner (default: the token's) manages a customer.
    Check {
        #[arg(value_parser = parse_tenant)]
        customer: TenantId,
        #[arg(long, value_parser = parse_tenant)]
        partner: Option<TenantId>,
    },
    /// Stream the token's partner's relationship events until interrupted.
    Watch,
}

impl CustomerCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let c = g.connect(&g.relationships_endpoint)?.relationships();
        match self {
            Self::Create { profile, request_id } => {
                let customer = pb::Customer { company_profile: Some(profile.into_profile()), ..Default::default() };
                let req = pb::CreateCustomerRequest { customer: Some(customer), request_id };
                print(mutate!(c.create_customer(req))?.get_ref(), g.json)
            }
            Self::Get { customer } => {
                let req = pb::GetCustomerRequest { name: format!("customers/{customer}") };
                print(read!(c.get_customer(req))?.get_ref(), g.json)
            }
            Self::List { name_prefix, domain_prefix, page_size, page_token } => {
                let req = pb::ListCustomersRequest { page_size, page_token, name_prefix, domain_prefix };
                print(read!(c.list_customers(req))?.get_ref(), g.json)
            }
        }
    }
}

impl RelationshipCommand {
    // One arm per subcommand, each a call and its printing: splitting it would only scatter them.
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let mut c = g.connect(&g.relationships_endpoint)?.relationships();
        let invitation = match self {
            Self::Invite { bound_tenant, bound_domain, notify_email, request_id } => {
                let binding = pb::RelationshipRequest {
                    bound_customer_tenant_id: bound_tenant.map(|t| t.to_string()).unwrap_or_default(),
                    bound_domain: bound_domain.unwrap_or_default(),
                    notify_email: notify_email.unwrap_or_default(),
                    ..Default::default()
                };
                let req = pb::CreateRelationshipRequestRequest { relationship_request: Some(binding), request_id };
                mutate!(c.create_relationship_request(req))?
            }
            Self::Get { name } => read!(c.get_relationship_request(pb::GetRelationshipRequestRequest { name }))?,
            Self::List { state, page_size, page_token } => {
                use pb::relationship_request::State;
                let state = state.map_or(0, |s| match s {
                    InvitationStateArg::Invited => State::Invited as i32,
                    InvitationStateArg::Accepted => State::Accepted as i32,
                    InvitationStateArg::Expired => State::Expired as i32,
                    InvitationStateArg::Revoked => State::Revoked as i32,
                });
                let req = pb::ListRelationshipRequestsRequest { page_size, page_token, state };
                return print(read!(c.list_relationship_requests(req))?.get_ref(), g.json);
            }
            Self::EditEmail { name, subject, body, body_file } => {
                let email_body = match (body, body_file) {
                    (Some(b), _) => b,
                    (None, Some(path)) => std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
                    (None, None) => anyhow::bail!("give --body or --body-file"),
                };
                let req = pb::UpdateRelationshipRequestEmailRequest {
                    name,
                    email_subject: subject,
                    email_body,
                    request_id: gcc_client::retry::new_request_id(),
                };
                mutate!(c.update_relationship_request_email(req))?
            }
            Self::Resend { name } => mutate!(c.resend_relationship_request(pb::ResendRelationshipRequestRequest {
                name,
                request_id: gcc_client::retry::new_request_id()
            }))?,
            Self::SendEmail { name, to } => {
                let request_id = gcc_client::retry::new_request_id();
                mutate!(c.send_relationship_request_email(pb::SendRelationshipRequestEmailRequest {
                    name,
                    to,
                    request_id
                }))?
            }
            Self::Revoke { name } => mutate!(c.revoke_relationship_request(pb::RevokeRelationshipRequestRequest {
                name,
                request_id: gcc_client::retry::new_request_id()
            }))?,
            Self::Accept { invitation_token: link, profile, request_id } => {
                let invitation_token = link.rsplit_once("token=").map_or(link.as_str(), |(_, t)| t).to_owned();
                let company_profile = profile.given().then(|| profile.into_profile());
                let req = pb::AcceptRelationshipRequestRequest { invitation_token, company_profile, request_id };
                return print(mutate!(c.accept_relationship_request(req))?.get_ref(), g.json);
            }
            Self::End { customer, partner } => {
                let req = pb::RevokeCustomerRelationshipRequest {
                    customer: format!("customers/{customer}"),
                    partner: partner.map(|p| format!("partners/{p}")).unwrap_or_default(),
                    request_id: gcc_client::retry::new_request_id(),
                };
                return print(mutate!(c.revoke_customer_relationship(req))?.get_ref(), g.json);
            }
            Self::Check { customer, partner } => {
                let req = pb::CheckCustomerManagementRequest {
                    customer: format!("customers/{customer}"),
                    partner: partner.map(|p| format!("partners/{p}")).unwrap_or_default(),
                };
                return print(read!(c.check_customer_management(req))?.get_ref(), g.json);
            }
            Self::Watch => {
                let mut stream = c.watch_relationship_events(pb::WatchRelationshipEventsRequest {}).await?.into_inner();
                while let Some(e) = stream.message().await? {
                    print(&e, g.json)?;
                    if !g.json {
                        println!("---");
                    }
                }
                return Ok(());
            }
        };
        print(invitation.get_ref(), g.json)
    }
}
