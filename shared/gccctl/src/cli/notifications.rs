//! `gccctl notifications list`: the e-mail a service made from its events and how each
//! delivery went (a permanent failure shows FAILED with the server's reply).

use gcc_proto::notification as pb;

use super::Global;
use crate::output::print;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ServiceArg {
    /// partner-eligibility: partner validations' decisions, questions and answers, the
    /// reviewers' overdue digest, reseller links' invitations, requests, answers and ends.
    Partner,
    /// customer-validation: customer validations' outcomes, to the submitting partner's
    /// contact.
    CustomerValidation,
    /// relationships: invitations sent on the partner's request; acceptances and
    /// relationships the customer ended, to the invitation's notify address.
    Relationships,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StateArg {
    Pending,
    Sent,
    Failed,
    Logged,
}

#[derive(Debug, clap::Subcommand)]
pub enum NotificationsCommand {
    /// Notifications, newest first: all for reviewers, a partner's own otherwise.
    List {
        /// Which service's notifications.
        #[arg(long, value_enum, default_value = "partner")]
        service: ServiceArg,
        /// Only about this resource (such as partnerValidations/…), or a name prefix.
        #[arg(long, default_value = "")]
        about: String,
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        #[arg(long, default_value_t = 0)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
}

impl NotificationsCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        match self {
            Self::List { service, about, state, page_size, page_token } => {
                use pb::notification::State;
                let state = state.map_or(0, |s| match s {
                    StateArg::Pending => State::Pending as i32,
                    StateArg::Sent => State::Sent as i32,
                    StateArg::Failed => State::Failed as i32,
                    StateArg::Logged => State::Logged as i32,
                });
                let req = pb::ListNotificationsRequest { page_size, page_token, about, state };
                let page = match service {
                    ServiceArg::Partner => {
                        let c = g.connect(&g.partner_endpoint)?.partner();
                        read!(c.list_notifications(req))?
                    }
                    ServiceArg::CustomerValidation => {
                        let c = g.connect(&g.validation_endpoint)?.validation();
                        read!(c.list_notifications(req))?
                    }
                    ServiceArg::Relationships => {
                        let c = g.connect(&g.relationships_endpoint)?.relationships();
                        read!(c.list_notifications(req))?
                    }
                };
                print(page.get_ref(), g.json)
            }
        }
    }
}
