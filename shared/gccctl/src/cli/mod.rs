//! The `gccctl` commands: one module per service, sharing global options. Every call is
//! retried as `gcc_client::retry` allows: reads always, mutations because `gccctl` gives each
//! one a `request_id` (the caller's, or a new one).

/// `c.method(request)`, a read, retried on UNAVAILABLE or overload.
macro_rules! read {
    ($c:ident . $m:ident ( $req:expr )) => {{
        let req = $req;
        let client = $c.clone();
        ::gcc_client::retry::retry(::gcc_client::retry::Replay::Read, || {
            let (mut client, req) = (client.clone(), req.clone());
            async move { client.$m(req).await }
        })
        .await
    }};
}

/// `c.method(request)`, a mutation carrying a `request_id`, so safe to retry.
macro_rules! mutate {
    ($c:ident . $m:ident ( $req:expr )) => {{
        let req = $req;
        let client = $c.clone();
        ::gcc_client::retry::retry(::gcc_client::retry::Replay::Mutation { has_request_id: true }, || {
            let (mut client, req) = (client.clone(), req.clone());
            async move { client.$m(req).await }
        })
        .await
    }};
}

mod events;
mod links;
mod notifications;
mod ordering;
mod partner;
mod relationships;
mod token;
mod validation;

use std::time::Duration;

use anyhow::Context;

use gcc_client::Connection;

/// Drive the GCC service set from a shell: enroll partners, review validations, manage
/// customers and place orders. Errors print their gRPC code and `ErrorInfo` reason.
#[derive(Debug, clap::Parser)]
#[command(name = "gccctl", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct Global {
    /// Bearer token for the calls (see `gccctl dev-token`).
    #[arg(long, env = "GCC_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// partner-eligibility endpoint.
    #[arg(long, env = "GCC_PARTNER_ENDPOINT", global = true, default_value = "http://127.0.0.1:50051")]
    pub partner_endpoint: String,
    /// customer-validation endpoint.
    #[arg(long, env = "GCC_VALIDATION_ENDPOINT", global = true, default_value = "http://127.0.0.1:50052")]
    pub validation_endpoint: String,
    /// relationships endpoint.
    #[arg(long, env = "GCC_RELATIONSHIPS_ENDPOINT", global = true, default_value = "http://127.0.0.1:50053")]
    pub relationships_endpoint: String,
    /// ordering endpoint.
    #[arg(long, env = "GCC_ORDERING_ENDPOINT", global = true, default_value = "http://127.0.0.1:50054")]
    pub ordering_endpoint: String,
    /// Deadline of each call.
    #[arg(long, global = true, default_value = "10s", value_parser = gcc_core::duration::parse_duration)]
    pub timeout: Duration,
    /// PEM file of the CAs trusted for https:// endpoints, instead of the public webpki roots.
    #[arg(long, env = "GCC_CA_FILE", global = true)]
    pub ca_file: Option<std::path::PathBuf>,
    /// Print canonical protobuf JSON (and errors as JSON) for scripts.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Global {
    pub fn connect(&self, endpoint: &str) -> anyhow::Result<Connection> {
        let mut transport = gcc_client::Transport::default();
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path).with_context(|| format!("cannot read --ca-file {}", path.display()))?;
            transport = transport.with_ca_pem(pem).context("--ca-file")?;
        }
        Connection::lazy_with(&transport, endpoint, self.token.as_deref(), self.timeout)
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Mint a development token signed with the key `gcc-stack` created under ./data.
    DevToken(token::DevToken),
    /// Partners: enroll, get, list, lookup.
    #[command(subcommand)]
    Partner(partner::PartnerCommand),
    /// Partner GCC validations: submit, review, answer, watch.
    #[command(subcommand, name = "partner-validation")]
    PartnerValidation(partner::ValidationCommand),
    /// Reseller links between an indirect provider and a reseller: invite, request,
    /// approve, end, list, watch.
    #[command(subcommand, name = "reseller-link")]
    ResellerLink(links::LinkCommand),
    /// Customer GCC validations: submit on a customer's behalf, review, watch.
    #[command(subcommand, name = "customer-validation")]
    CustomerValidation(validation::ValidationCommand),
    /// Validation codes: the pick list, and applying one to a customer.
    #[command(subcommand, name = "validation-code")]
    ValidationCode(validation::CodeCommand),
    /// A customer's special qualifications (how anyone checks GCC validation).
    SpecialQualifications {
        #[arg(value_parser = token::parse_tenant)]
        customer: gcc_core::TenantId,
    },
    /// Ask the eligibility gate whether GCC offers may be sold to a customer now.
    Eligibility(validation::Check),
    /// Customer accounts the partner manages: create, get, list.
    #[command(subcommand)]
    Customer(relationships::CustomerCommand),
    /// Reseller relationships: invite, edit the e-mail, resend, revoke, accept, end, check.
    #[command(subcommand)]
    Relationship(relationships::RelationshipCommand),
    /// The offer catalog, and what a customer can be sold now.
    #[command(subcommand)]
    Offers(ordering::OffersCommand),
    /// Orders: place (GCC lines go through the eligibility gate), get, list.
    #[command(subcommand)]
    Order(ordering::OrderCommand),
    /// Events the services publish to NATS JetStream: follow them.
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Subscriptions created by orders.
    #[command(subcommand)]
    Subscriptions(ordering::SubscriptionsCommand),
    /// E-mail notifications the services made, and how their delivery went.
    #[command(subcommand)]
    Notifications(notifications::NotificationsCommand),
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::DevToken(cmd) => cmd.run(),
            Command::Partner(cmd) => cmd.run(&self.global).await,
            Command::PartnerValidation(cmd) => cmd.run(&self.global).await,
            Command::ResellerLink(cmd) => cmd.run(&self.global).await,
            Command::CustomerValidation(cmd) => cmd.run(&self.global).await,
            Command::ValidationCode(cmd) => cmd.run(&self.global).await,
            Command::SpecialQualifications { customer } => validation::qualifications(&self.global, customer).await,
            Command::Eligibility(cmd) => cmd.run(&self.global).await,
            Command::Customer(cmd) => cmd.run(&self.global).await,
            Command::Relationship(cmd) => cmd.run(&self.global).await,
            Command::Offers(cmd) => cmd.run(&self.global).await,
            Command::Order(cmd) => cmd.run(&self.global).await,
            Command::Subscriptions(cmd) => cmd.run(&self.global).await,
            Command::Events(cmd) => cmd.run(&self.global).await,
            Command::Notifications(cmd) => cmd.run(&self.global).await,
        }
    }
}
