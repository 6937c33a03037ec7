//! The flags of a server's calls to other services (TLS trust and balancing), turned
//! into the client's [`DependencyConfig`], and the metrics those calls land in. See `gcc_client::dependency` for why
//! balancing is off by default.

use std::path::PathBuf;
use std::time::Duration;

use gcc_client::dependency::{BalanceMode, DependencyConfig, Resolver, Transport};

use crate::config::parse_duration;
use crate::metrics::{CallOutcome, Metrics};

/// Calls to other services: TLS trust and balancing.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct DependencyArgs {
    /// PEM file of the CAs trusted for https:// dependency endpoints, instead of the
    /// public webpki roots.
    #[arg(long, env = "GCC_DEPENDENCY_CA_FILE")]
    pub dependency_ca_file: Option<PathBuf>,
    /// How calls to a dependency are spread: `none` (one connection; right in a mesh,
    /// whose sidecar balances each request) or `dns` (every address the endpoint's name
    /// resolves to, re-resolved periodically; for a headless Service without a mesh).
    #[arg(long, env = "GCC_DEPENDENCY_BALANCE", value_enum, default_value_t = BalanceArg::None)]
    pub dependency_balance: BalanceArg,
    /// With `--dependency-balance dns`: how often the names are resolved again.
    #[arg(long, env = "GCC_DEPENDENCY_RESOLVE_INTERVAL", default_value = "10s", value_parser = parse_duration)]
    pub dependency_resolve_interval: Duration,
    /// Where names are resolved (the system resolver unless set in code, e.g. by tests).
    #[arg(skip)]
    pub resolver: Option<Resolver>,
}

/// `--dependency-balance`: the flag's spelling of [`BalanceMode`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BalanceArg {
    /// One connection per dependency.
    #[default]
    None,
    /// Calls spread over every address of the name, re-resolved periodically.
    Dns,
}

impl DependencyArgs {
    /// The client's settings from these flags.
    pub fn config(&self) -> DependencyConfig {
        DependencyConfig {
            ca_file: self.dependency_ca_file.clone(),
            balance: match self.dependency_balance {
                BalanceArg::None => BalanceMode::None,
                BalanceArg::Dns => BalanceMode::Dns,
            },
            resolve_interval: self.dependency_resolve_interval,
            resolver: self.resolver.clone(),
        }
    }

    /// What to connect with; reads the CA file.
    pub fn transport(&self) -> anyhow::Result<Transport> {
        self.config().transport()
    }
}

/// Outgoing calls of a server's typed clients land in its metrics.
impl gcc_client::CallObserver for Metrics {
    fn client_call(&self, outcome: CallOutcome, server_address: &'static str, elapsed: Duration) {
        Metrics::client_call(self, outcome, server_address, elapsed);
    }

    fn dependency_error(&self, target: &'static str, code: tonic::Code) {
        Metrics::dependency_error(self, target, code);
    }
}
