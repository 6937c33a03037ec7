//! `gccctl reseller-link …`: the agreement between an indirect provider and an indirect
//! reseller (R1a). The provider invites or the reseller asks; the other side approves;
//! either side ends it.

use gcc_core::TenantId;
use gcc_proto::partner as pb;

use super::Global;
use super::token::parse_tenant;
use crate::output::print;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LinkStateArg {
    Invited,
    Requested,
    Active,
    Ended,
}

#[derive(Debug, clap::Subcommand)]
pub enum LinkCommand {
    /// The token's tenant, an indirect provider, invites a reseller tenant.
    Invite {
        #[arg(value_parser = parse_tenant)]
        reseller: TenantId,
        /// Your address for e-mail about the link (its answer, its end).
        #[arg(long, default_value = "")]
        contact_email: String,
        /// The reseller's address: where the invitation is sent.
        #[arg(long, default_value = "")]
        reseller_email: String,
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
    /// The token's tenant, an enrolled indirect reseller, asks a provider for a link.
    Request {
        #[arg(value_parser = parse_tenant)]
        provider: TenantId,
        /// Your address for e-mail about the link (its answer, its end).
        #[arg(long, default_value = "")]
        contact_email: String,
        /// The provider's address: where the request is sent.
        #[arg(long, default_value = "")]
        provider_email: String,
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
    /// The side the link waits for agrees (`resellerLinks/…`).
    Approve {
        name: String,
        /// Your address for e-mail about the link, replacing the one the other side gave.
        #[arg(long, default_value = "")]
        contact_email: String,
    },
    /// Either side ends the link, or declines a pending one.
    End {
        name: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Show one link.
    Get { name: String },
    /// List the caller's links (reviewers: all).
    List {
        #[arg(long, value_enum)]
        state: Option<LinkStateArg>,
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
    /// Stream the link's changes until it is ended.
    Watch { name: String },
}

impl LinkCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let mut c = g.connect(&g.partner_endpoint)?.partner();
        let me = || super::partner::token_tenant(g);
        let link = match self {
            Self::Invite { reseller, contact_email, reseller_email, request_id } => {
                let l = pb::ResellerLink {
                    provider: format!("partners/{}", me()?),
                    reseller: format!("partners/{reseller}"),
                    provider_contact_email: contact_email,
                    reseller_contact_email: reseller_email,
                    ..Default::default()
                };
                mutate!(c.create_reseller_link(pb::CreateResellerLinkRequest { reseller_link: Some(l), request_id }))?
            }
            Self::Request { provider, contact_email, provider_email, request_id } => {
                let l = pb::ResellerLink {
                    provider: format!("partners/{provider}"),
                    reseller: format!("partners/{}", me()?),
                    provider_contact_email: provider_email,
                    reseller_contact_email: contact_email,
                    ..Default::default()
                };
                mutate!(c.create_reseller_link(pb::CreateResellerLinkRequest { reseller_link: Some(l), request_id }))?
            }
            Self::Approve { name, contact_email } => {
                mutate!(c.approve_reseller_link(pb::ApproveResellerLinkRequest {
                    name,
                    request_id: gcc_client::retry::new_request_id(),
                    contact_email
                }))?
            }
            Self::End { name, reason } => mutate!(c.end_reseller_link(pb::EndResellerLinkRequest {
                name,
                reason,
                request_id: gcc_client::retry::new_request_id()
            }))?,
            Self::Get { name } => read!(c.get_reseller_link(pb::GetResellerLinkRequest { name }))?,
            Self::List { state, page_size, page_token } => {
                use pb::reseller_link::State;
                let state = state.map_or(0, |s| match s {
                    LinkStateArg::Invited => State::Invited as i32,
                    LinkStateArg::Requested => State::Requested as i32,
                    LinkStateArg::Active => State::Active as i32,
                    LinkStateArg::Ended => State::Ended as i32,
                });
                let req = pb::ListResellerLinksRequest { page_size, page_token, state };
                return print(read!(c.list_reseller_links(req))?.get_ref(), g.json);
            }
            Self::Watch { name } => {
                let mut stream = c.watch_reseller_link(pb::WatchResellerLinkRequest { name }).await?.into_inner();
                while let Some(l) = stream.message().await? {
                    print(&l, g.json)?;
                    if !g.json {
                        println!("---");
                    }
                }
                return Ok(());
            }
        };
        print(link.get_ref(), g.json)
    }
}
