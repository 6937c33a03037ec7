//! The `gccctl` commands: one module per service, sharing global options.

mod partner;
mod token;

use std::time::Duration;

use crate::Connection;

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
    /// Deadline of each call.
    #[arg(long, global = true, default_value = "10s", value_parser = gcc_platform::config::parse_duration)]
    pub timeout: Duration,
    /// Print canonical protobuf JSON (and errors as JSON) for scripts.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Global {
    pub fn connect(&self, endpoint: &str) -> anyhow::Result<Connection> {
        Connection::lazy(endpoint, self.token.as_deref(), self.timeout)
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
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::DevToken(cmd) => cmd.run(),
            Command::Partner(cmd) => cmd.run(&self.global).await,
            Command::PartnerValidation(cmd) => cmd.run(&self.global).await,
        }
    }
}
