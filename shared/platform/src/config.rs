//! Configuration every server shares: flags with `GCC_…` environment fallbacks. Bad
//! values stop the process with a clear message and a non-zero exit (clap's, or ours).

mod limits;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

pub use limits::LimitArgs;
pub use tls::TlsArgs;

use crate::auth::{Jwks, JwksSource, Verifier, VerifyingKey};
use crate::ids::TenantId;
use crate::telemetry::LogFormat;

/// Runtime settings of one server.
#[derive(Clone, clap::Args)]
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
    pub limits: LimitArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub events: crate::relay::EventsArgs,
    #[command(flatten)]
    pub metrics: crate::metrics::MetricsArgs,
    #[command(flatten)]
    pub mail: crate::mail::MailArgs,
}

/// Never prints a password: database and broker URLs are shown without theirs, so that
/// the configuration can be logged whole.
impl std::fmt::Debug for ServerArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |u: &Option<String>| u.as_deref().map(crate::db::redact);
        f.debug_struct("ServerArgs")
            .field("listen", &self.listen)
            .field("database_url", &redacted(&self.database_url))
            .field("db_max_connections", &self.db_max_connections)
            .field("request_timeout", &self.request_timeout)
            .field("concurrency_limit", &self.concurrency_limit)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("log_format", &self.log_format)
            .field("review_time_zone", &self.review_time_zone)
            .field("limits", &self.limits)
            .field("tls", &self.tls)
            .field("auth", &self.auth)
            .field("events_nats_url", &redacted(&self.events.events_nats_url))
            .field("events_stream", &self.events.events_stream)
            .field("outbox_retention", &self.events.outbox_retention)
            .field("idempotency_retention", &self.events.idempotency_retention)
            .field("metrics", &self.metrics)
            .field("mail", &self.mail)
            .finish()
    }
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
    /// File with the issuer's JSON Web Key Set (keys chosen by `kid`, re-read periodically).
    #[arg(long, env = "GCC_JWT_JWKS_FILE")]
    pub jwt_jwks_file: Option<PathBuf>,
    /// http:// or https:// URL of the issuer's JSON Web Key Set.
    #[arg(long, env = "GCC_JWT_JWKS_URL")]
    pub jwt_jwks_url: Option<String>,
    /// How often the key set is re-read (an unknown `kid` also re-reads it, at most every 30s).
    #[arg(long, env = "GCC_JWT_JWKS_REFRESH", default_value = "5m", value_parser = parse_duration)]
    pub jwt_jwks_refresh: Duration,
    /// Longest lifetime (`exp` − `iat`) of an accepted token.
    #[arg(long, env = "GCC_JWT_MAX_TOKEN_LIFETIME", default_value = "24h", value_parser = parse_duration)]
    pub jwt_max_token_lifetime: Duration,
    /// Expected `aud` claim.
    #[arg(long, env = "GCC_JWT_AUDIENCE", default_value = "gcc")]
    pub jwt_audience: String,
    /// Expected `iss` claim.
    #[arg(long, env = "GCC_JWT_ISSUER", default_value = "gcc")]
    pub jwt_issuer: String,
    /// Comma-separated tenant IDs of the eligibility reviewers: the `eligibility_reviewer`
    /// role counts only in tokens of these tenants.
    #[arg(long, env = "GCC_REVIEWER_TENANTS", value_delimiter = ',', value_parser = parse_tenant)]
    pub reviewer_tenants: Vec<TenantId>,
}

impl AuthArgs {
    /// The configured key source; a JWKS is read once here.
    pub async fn key(&self) -> anyhow::Result<VerifyingKey> {
        let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("cannot read key file {}", p.display()));
        let jwks = |source| async move { Ok(VerifyingKey::Jwks(Jwks::load(source, self.jwt_jwks_refresh).await?)) };
        let sources = [
            self.jwt_hs256_secret_file.is_some(),
            self.jwt_rs256_public_key_file.is_some(),
            self.jwt_eddsa_public_key_file.is_some(),
            self.jwt_jwks_file.is_some(),
            self.jwt_jwks_url.is_some(),
        ];
        match sources.iter().filter(|s| **s).count() {
            0 => anyhow::bail!(
                "no token key configured: set one of GCC_JWT_HS256_SECRET_FILE, GCC_JWT_RS256_PUBLIC_KEY_FILE, \
                 GCC_JWT_EDDSA_PUBLIC_KEY_FILE, GCC_JWT_JWKS_FILE or GCC_JWT_JWKS_URL (gcc-stack creates a \
                 development key under ./data)"
            ),
            1 => {}
            _ => anyhow::bail!("configure exactly one token key source, not several"),
        }
        if let Some(p) = &self.jwt_hs256_secret_file {
            return Ok(VerifyingKey::Hs256(trim_secret(read(p)?)));
        }
        if let Some(p) = &self.jwt_rs256_public_key_file {
            return Ok(VerifyingKey::Rs256Pem(read(p)?));
        }
        if let Some(p) = &self.jwt_eddsa_public_key_file {
            return Ok(VerifyingKey::EdDsaPem(read(p)?));
        }
        if let Some(p) = &self.jwt_jwks_file {
            return jwks(JwksSource::File(p.clone())).await;
        }
        let url = self.jwt_jwks_url.clone().unwrap_or_default();
        jwks(JwksSource::Url(url)).await
    }

    pub async fn verifier(&self) -> anyhow::Result<Arc<Verifier>> {
        let key = self.key().await?;
        let verifier = Verifier::new(&key, &self.jwt_audience, &self.jwt_issuer)
            .context("invalid token key")?
            .with_max_lifetime(self.jwt_max_token_lifetime)
            .with_reviewer_tenants(self.reviewer_tenants.iter().copied());
        Ok(Arc::new(verifier))
    }

    /// For the services that serve reviewers' decisions: without reviewer tenants nobody
    /// could review, so such a service refuses to start.
    pub fn require_reviewer_tenants(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.reviewer_tenants.is_empty(),
            "no reviewer tenants configured: set GCC_REVIEWER_TENANTS (--reviewer-tenants) to the eligibility \
             team's tenant IDs, comma-separated"
        );
        Ok(())
    }
}

fn trim_secret(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
        bytes.pop();
    }
    bytes
}

pub use gcc_core::duration::parse_duration;

fn parse_tenant(s: &str) -> Result<TenantId, String> {
    TenantId::parse(s.trim()).map_err(|e| format!("{s:?}: {e}"))
}

fn parse_tz(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse().map_err(|_| format!("{s:?} is not an IANA time zone such as America/New_York"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        server: ServerArgs,
    }

    #[test]
    fn the_configuration_prints_no_password() {
        use clap::Parser;
        let cli = Cli::try_parse_from([
            "s",
            "--database-url",
            "postgres://gcc:s3cret-pw@db:5432/gcc?sslmode=require&password=other-s3cret",
            "--events-nats-url",
            "nats://relay:n4ts-pw@nats:4222",
        ])
        .expect("flags parse");
        let shown = format!("{:?}", cli.server);
        for secret in ["s3cret-pw", "other-s3cret", "n4ts-pw"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("postgres://gcc@db:5432/gcc"), "{shown}");
    }

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
