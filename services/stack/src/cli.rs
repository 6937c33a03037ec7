//! Starts every service on its own port (50051, 50052, …) with its own SQLite file under
//! the data folder, wired to each other, prints the endpoints, and stops them all on
//! SIGTERM or ctrl-c. With `--metrics-listen`, one `/metrics` port serves all four
//! services (their series differ by the `service` label), and each service's spans carry
//! its own `service.name`.
//!
//! With no token key configured it runs in development mode: it creates random keys under
//! the data folder (once) — the HS256 token key that `gccctl dev-token` signs with, and
//! the invitation-link key of relationships — and names one reviewer tenant, written to
//! the data folder for `gccctl dev-token --role eligibility_reviewer`. Without
//! `--smtp-url` it then writes each notification e-mail as a .eml file under
//! `<data folder>/outbox-mail/` instead of sending it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use gcc_platform::TenantId;
use gcc_platform::auth::Verifier;
use gcc_platform::config::ServerArgs;
use gcc_platform::runtime::shutdown_signal;
use gcc_platform::telemetry;

use crate::{Service, Stack, StackBuilder};

pub const DEV_KEY_FILE: &str = "dev-jwt-hs256.key";
pub const INVITATION_KEY_FILE: &str = "invitation-hmac.key";
pub const DEV_REVIEWER_TENANT_FILE: &str = "dev-reviewer-tenant";
/// The eligibility team's tenant in development mode, unless --reviewer-tenants names one.
pub const DEV_REVIEWER_TENANT: &str = "0e1f5a3c-7b2d-4c8e-9f10-a1b2c3d4e5f6";

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "gcc-stack", version, about = "Every GCC service in one process, SQLite under ./data")]
pub struct StackConfig {
    /// Folder for the databases and the development keys.
    #[arg(long, env = "GCC_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Where validation questions go; linked from validation errors.
    #[arg(long, env = "GCC_ELIGIBILITY_CONTACT", default_value = "mailto:usgcce@microsoft.com")]
    pub eligibility_contact: String,
    /// Key for invitation links (default in development mode: created under --data-dir).
    #[arg(long, env = "GCC_INVITATION_KEY_FILE")]
    pub invitation_key_file: Option<PathBuf>,
    /// Base of invitation links.
    #[arg(long, env = "GCC_INVITATION_BASE_URL", default_value = "https://gcc.example/invitations/accept")]
    pub invitation_base_url: String,
    /// How long the gate may reuse a fact read from another service.
    #[arg(long, env = "GCC_FACT_CACHE_TTL", default_value = "2s")]
    pub fact_cache_ttl: String,
    /// With --tls-cert: PEM file of the CAs the services trust when they call each other
    /// over https:// (the certificate must name the listen address, e.g. IP 127.0.0.1).
    #[arg(long, env = "GCC_DEPENDENCY_CA_FILE")]
    pub dependency_ca_file: Option<PathBuf>,
}

pub async fn run(mut config: StackConfig) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.server.database_url.is_none(),
        "gcc-stack gives each service its own SQLite file under --data-dir; run the service binaries to use PostgreSQL"
    );
    // Each service's spans go out under its own service.name.
    let _telemetry = telemetry::init_with(telemetry::TelemetryOptions {
        process: "gcc-stack".into(),
        services: [
            partner_eligibility::SERVICE,
            customer_validation::SERVICE,
            relationships::SERVICE,
            ordering::SERVICE,
        ]
        .map(String::from)
        .to_vec(),
        format: config.server.log_format,
        otlp_endpoint: std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok().filter(|e| !e.is_empty()),
        extra: None,
    })?;
    // One /metrics port for the four services; their series differ by the `service` label.
    let metrics = config.server.metrics.open_endpoint().await?;
    config.server.metrics.served_by_process = metrics.is_some();
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let dev_mode = no_key_configured(&config.server);
    if dev_mode {
        config.server.auth.jwt_hs256_secret_file = Some(ensure_key(&config.data_dir, DEV_KEY_FILE)?);
        if config.server.auth.reviewer_tenants.is_empty() {
            config.server.auth.reviewer_tenants = vec![TenantId::parse(DEV_REVIEWER_TENANT)?];
        }
        // No SMTP server needed: each notification is written as a .eml file.
        if config.server.mail.smtp_url.is_none() {
            let dir = config.data_dir.join("outbox-mail");
            config.server.mail.smtp_url = Some(format!("file://{}", dir.display()));
        }
        let path = config.data_dir.join(DEV_REVIEWER_TENANT_FILE);
        std::fs::write(&path, format!("{}\n", config.server.auth.reviewer_tenants[0]))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if config.invitation_key_file.is_none() {
        anyhow::ensure!(dev_mode, "configure --invitation-key-file (GCC_INVITATION_KEY_FILE) beside the token key");
        config.invitation_key_file = Some(ensure_key(&config.data_dir, INVITATION_KEY_FILE)?);
    }
    let verifier = config.server.auth.verifier().await?;
    let stack = builder(&config, verifier).start().await?;

    print_endpoints(&config, &stack, dev_mode, metrics.as_ref().map(|m| m.local_addr()));
    shutdown_signal().await;
    stack.shutdown().await
}

/// What runs where, and in development mode how to get a token.
fn print_endpoints(config: &StackConfig, stack: &Stack, dev_mode: bool, metrics: Option<SocketAddr>) {
    // With --tls-cert every service serves (and calls the others over) https://.
    let scheme = if config.server.tls.tls_cert.is_some() { "https" } else { "http" };
    println!("gcc-stack is serving:");
    // In the order of their ports.
    let mut services = Service::ALL;
    services.sort_by_key(|s| stack.addr(*s).port());
    for service in services {
        println!("  {:<22} {:<22} {scheme}://{}", service.name(), service.package(), stack.addr(service));
    }
    if dev_mode {
        println!("\nDevelopment mode: tokens are signed with {}.", config.data_dir.join(DEV_KEY_FILE).display());
        println!("  export GCC_TOKEN=$(cargo run -q -p gccctl -- dev-token --role admin_agent --tenant <guid>)");
        println!(
            "Reviewer tenant: {} (gccctl dev-token --role eligibility_reviewer uses it).",
            config.server.auth.reviewer_tenants[0]
        );
    }
    if let Some(m) = metrics {
        println!("  {:<22} {:<22} http://{m}/metrics", "metrics", "(all four)");
    }
    println!("\nStop with ctrl-c.");
}

/// The set as the command line configures it: the shared server settings, a SQLite file
/// per service under the data folder, and each service's own flags.
fn builder(config: &StackConfig, verifier: Arc<Verifier>) -> StackBuilder {
    let trust: Vec<String> = config
        .dependency_ca_file
        .iter()
        .flat_map(|p| ["--dependency-ca-file".to_owned(), p.display().to_string()])
        .collect();
    let contact = ["--eligibility-contact".to_owned(), config.eligibility_contact.clone()];
    let invitations = [
        "--invitation-key-file".to_owned(),
        path(config.invitation_key_file.as_deref()),
        "--invitation-base-url".to_owned(),
        config.invitation_base_url.clone(),
    ];
    let ttl = ["--fact-cache-ttl".to_owned(), config.fact_cache_ttl.clone()];
    let first = config.server.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051)));
    let mut builder = StackBuilder::new(verifier).server(config.server.clone()).ports_from(first);
    for service in Service::ALL {
        builder = builder.database(service, format!("sqlite://{}/{}.db", config.data_dir.display(), service.name()));
    }
    builder
        .flags(Service::Partner, contact.clone())
        .flags(Service::Relationships, invitations.into_iter().chain(trust.clone()))
        .flags(Service::Validation, contact.clone().into_iter().chain(ttl).chain(trust.clone()))
        .flags(Service::Ordering, contact.into_iter().chain(trust))
}

fn no_key_configured(args: &ServerArgs) -> bool {
    let a = &args.auth;
    a.jwt_hs256_secret_file.is_none()
        && a.jwt_rs256_public_key_file.is_none()
        && a.jwt_eddsa_public_key_file.is_none()
        && a.jwt_jwks_file.is_none()
        && a.jwt_jwks_url.is_none()
}

fn path(p: Option<&Path>) -> String {
    p.map(|p| p.display().to_string()).unwrap_or_default()
}

/// Creates a development key once (48 random bytes, hex, readable by the owner only).
fn ensure_key(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    if !path.exists() {
        let secret: [u8; 48] = rand::random();
        std::fs::write(&path, hex::encode(secret)).with_context(|| format!("cannot write {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(path)
}
