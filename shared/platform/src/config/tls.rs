//! Optional TLS of the server itself, for where no mesh sidecar provides it.

use std::path::PathBuf;
use std::time::Duration;

use super::parse_duration;

/// The server's certificate and key. Plaintext unless both are given.
#[derive(Debug, Clone, clap::Args)]
pub struct TlsArgs {
    /// PEM file with the server's certificate chain (leaf first); with --tls-key, the
    /// server speaks only TLS. Re-read when it changes.
    #[arg(long, env = "GCC_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file with the private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "GCC_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// How often the certificate and key files are checked for a change (also on SIGHUP);
    /// new connections get the new certificate.
    #[arg(long, env = "GCC_TLS_RELOAD_INTERVAL", default_value = "10s", value_parser = parse_duration)]
    pub tls_reload_interval: Duration,
}
