//! Configuration every server shares: flags with `GCC_…` environment fallbacks. Bad
//! values stop the process with a clear message and a non-zero exit (clap's, or ours).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::auth::{Verifier, VerifyingKey};
use crate::telemetry::LogFormat;

/// Runtime settings of one server.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on (default: the service's own port on 127.0.0.1).
    #[arg(long, env = "GCC_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Database URL: sqlite://PATH (default: sqlite://data/<service>.db) or postgres://…
    #[arg(long, env = "GCC_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Largest number of database connections (SQLite: readers; writes use one).
    #[arg(long, env = "GCC_DB_MAX_CONNECTIONS", default_value_t = 8)]
    pub db_max_connections: u32,
    /// Longest time an RPC may take; a shorter client deadline wins.
    #[arg(long, env = "GCC_REQUEST_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// RPCs served at once; beyond this, calls are refused with RESOURCE_EXHAUSTED.
    #[arg(long, env = "GCC_CONCURRENCY_LIMIT", default_value_t = 512)]
    pub concurrency_limit: usize,
    /// Largest request or response message, in bytes.
    #[arg(long, env = "GCC_MAX_MESSAGE_BYTES", default_value_t = 64 * 1024)]
    pub max_message_bytes: usize,
    /// How long shutdown waits for in-flight calls before it closes them.
    #[arg(long, env = "GCC_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// Log output: text or json. Levels come from RUST_LOG.
    #[arg(long, env = "GCC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// IANA time zone of the eligibility reviewers, for business-day deadlines.
    #[arg(long, env = "GCC_REVIEW_TIME_ZONE", default_value = "America/New_York", value_parser = parse_tz)]
    pub review_time_zone: chrono_tz::Tz,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub events: crate::relay::EventsArgs,
}

impl ServerArgs {
    pub fn database_url_or(&self, service: &str) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://data/{service}.db"))
    }
}

/// How bearer tokens are verified. Exactly one key source is required.
#[derive(Debug, Clone, clap::Args)]
pub struct AuthArgs {
    /// File holding the HS256 shared secret (at least 32 bytes).
    #[arg(long, env = "GCC_JWT_HS256_SECRET_FILE")]
    pub jwt_hs256_secret_file: Option<PathBuf>,
    /// PEM file with the RS256 public key of the token issuer.
    #[arg(long, env = "GCC_JWT_RS256_PUBLIC_KEY_FILE")]
    pub jwt_rs256_public_key_file: Option<PathBuf>,
    /// PEM file with the Ed25519 (EdDSA) public key of the token issuer.
    #[arg(long, env = "GCC_JWT_EDDSA_PUBLIC_KEY_FILE")]
    pub jwt_eddsa_public_key_file: Option<PathBuf>,
    /// Expected `aud` claim.
    #[arg(long, env = "GCC_JWT_AUDIENCE", default_value = "gcc")]
    pub jwt_audience: String,
    /// Expected `iss` claim.
    #[arg(long, env = "GCC_JWT_ISSUER", default_value = "gcc")]
    pub jwt_issuer: String,
}

impl AuthArgs {
    pub fn key(&self) -> anyhow::Result<VerifyingKey> {
        let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("cannot read key file {}", p.display()));
        match (&self.jwt_hs256_secret_file, &self.jwt_rs256_public_key_file, &self.jwt_eddsa_public_key_file) {
            (Some(p), None, None) => Ok(VerifyingKey::Hs256(trim_secret(read(p)?))),
            (None, Some(p), None) => Ok(VerifyingKey::Rs256Pem(read(p)?)),
            (None, None, Some(p)) => Ok(VerifyingKey::EdDsaPem(read(p)?)),
            (None, None, None) => anyhow::bail!(
                "no token key configured: set one of GCC_JWT_HS256_SECRET_FILE, GCC_JWT_RS256_PUBLIC_KEY_FILE or \
                 GCC_JWT_EDDSA_PUBLIC_KEY_FILE (gcc-stack creates a development key under ./data)"
            ),
            _ => anyhow::bail!("configure exactly one token key, not several"),
        }
    }

    pub fn verifier(&self) -> anyhow::Result<Arc<Verifier>> {
        let key = self.key()?;
        Ok(Arc::new(Verifier::new(&key, &self.jwt_audience, &self.jwt_issuer).context("invalid token key")?))
    }
}

fn trim_secret(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
        bytes.pop();
    }
    bytes
}

/// Parses `250ms`, `10s`, `5m`, `1h`, `7d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("{s:?} is not a duration such as 500ms, 10s or 5m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        "d" => Ok(Duration::from_secs(n * 86_400)),
        _ => Err(format!("{s:?} is not a duration such as 500ms, 10s or 5m")),
    }
}

fn parse_tz(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse().map_err(|_| format!("{s:?} is not an IANA time zone such as America/New_York"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("ten").is_err());
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse_duration("5w").is_err());
    }
}
