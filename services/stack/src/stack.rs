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
use gcc_platform::config::ServerArgs;
use gcc_platform::runtime::shutdown_signal;
use gcc_platform::telemetry;
use gcc_platform::time::{SharedClock, SystemClock};
use tokio::net::TcpListener;

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
    let clock: SharedClock = Arc::new(SystemClock);
    // With TLS, the services call each other over https://, trusting --dependency-ca-file.
    let scheme = if config.server.tls.tls_cert.is_some() { "https" } else { "http" };
    let endpoint = |index: u16| format!("{scheme}://{}", service_addr(&config, index));
    let trust: Vec<(&str, String)> =
        config.dependency_ca_file.iter().map(|p| ("--dependency-ca-file", p.display().to_string())).collect();

    let contact = config.eligibility_contact.clone();
    let partner = partner_eligibility::build(
        &parse_config::<partner_eligibility::Config>(
            partner_eligibility::SERVICE,
            &config,
            0,
            &[("--eligibility-contact", contact.clone())],
        )?,
        listen(service_addr(&config, 0)).await?,
        clock.clone(),
        verifier.clone(),
    )
    .await
    .context("partner-eligibility did not start")?;

    let validation = customer_validation::build(
        &parse_config::<customer_validation::Config>(
            customer_validation::SERVICE,
            &config,
            1,
            &[
                ("--partner-endpoint", endpoint(0)),
                ("--relationships-endpoint", endpoint(2)),
                ("--fact-cache-ttl", config.fact_cache_ttl.clone()),
                ("--eligibility-contact", contact.clone()),
            ]
            .into_iter()
            .chain(trust.clone())
            .collect::<Vec<_>>(),
        )?,
        listen(service_addr(&config, 1)).await?,
        clock.clone(),
        verifier.clone(),
    )
    .await
    .context("customer-validation did not start")?;

    let relationships = relationships::build(
        &parse_config::<relationships::Config>(
            relationships::SERVICE,
            &config,
            2,
            &[
                ("--partner-endpoint", endpoint(0)),
                ("--invitation-key-file", path(config.invitation_key_file.as_deref())),
                ("--invitation-base-url", config.invitation_base_url.clone()),
            ]
            .into_iter()
            .chain(trust.clone())
            .collect::<Vec<_>>(),
        )?,
        listen(service_addr(&config, 2)).await?,
        clock.clone(),
        verifier.clone(),
    )
    .await
    .context("relationships did not start")?;

    let ordering = ordering::build(
        &parse_config::<ordering::Config>(
            ordering::SERVICE,
            &config,
            3,
            &[
                ("--validation-endpoint", endpoint(1)),
                ("--relationships-endpoint", endpoint(2)),
                ("--eligibility-contact", contact),
            ]
            .into_iter()
            .chain(trust)
            .collect::<Vec<_>>(),
        )?,
        listen(service_addr(&config, 3)).await?,
        clock,
        verifier,
    )
    .await
    .context("ordering did not start")?;

    println!("gcc-stack is serving:");
    for (name, package, addr) in [
        (partner_eligibility::SERVICE, "gcc.partner.v1", partner.local_addr()),
        (customer_validation::SERVICE, "gcc.validation.v1", validation.local_addr()),
        (relationships::SERVICE, "gcc.relationships.v1", relationships.local_addr()),
        (ordering::SERVICE, "gcc.ordering.v1", ordering.local_addr()),
    ] {
        println!("  {name:<22} {package:<22} {scheme}://{addr}");
    }
    if dev_mode {
        println!("\nDevelopment mode: tokens are signed with {}.", config.data_dir.join(DEV_KEY_FILE).display());
        println!("  export GCC_TOKEN=$(cargo run -q -p gccctl -- dev-token --role admin_agent --tenant <guid>)");
        println!(
            "Reviewer tenant: {} (gccctl dev-token --role eligibility_reviewer uses it).",
            config.server.auth.reviewer_tenants[0]
        );
    }
    if let Some(m) = &metrics {
        println!("  {:<22} {:<22} http://{}/metrics", "metrics", "(all four)", m.local_addr());
    }
    println!("\nStop with ctrl-c.");

    shutdown_signal().await;
    // Stop from the top of the call graph down, so that nothing calls a stopped service.
    let results = [
        ordering.shutdown().await,
        validation.shutdown().await,
        relationships.shutdown().await,
        partner.shutdown().await,
    ];
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(())
}

fn no_key_configured(args: &ServerArgs) -> bool {
    let a = &args.auth;
    a.jwt_hs256_secret_file.is_none()
        && a.jwt_rs256_public_key_file.is_none()
        && a.jwt_eddsa_public_key_file.is_none()
        && a.jwt_jwks_file.is_none()
        && a.jwt_jwks_url.is_none()
}

/// The `index`-th service's address: the port after the previous one, from --listen
/// (default 127.0.0.1:50051).
fn service_addr(config: &StackConfig, index: u16) -> SocketAddr {
    let mut addr = config.server.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051)));
    addr.set_port(addr.port() + index);
    addr
}

/// The shared settings with the service's own address and SQLite file.
fn service_args(config: &StackConfig, service: &str, index: u16) -> ServerArgs {
    let mut args = config.server.clone();
    args.listen = Some(service_addr(config, index));
    args.database_url = Some(format!("sqlite://{}/{service}.db", config.data_dir.display()));
    args
}

/// A service configuration from its own command line, so that its defaults and checks
/// apply; the shared settings are replaced afterwards.
fn parse_config<C: clap::Parser + HasServer>(
    service: &str,
    config: &StackConfig,
    index: u16,
    own: &[(&str, String)],
) -> anyhow::Result<C> {
    let mut argv = vec![service.to_owned()];
    for (flag, value) in own {
        argv.push((*flag).to_owned());
        argv.push(value.clone());
    }
    let mut parsed = C::try_parse_from(argv).with_context(|| format!("{service} configuration"))?;
    *parsed.server_mut() = service_args(config, service, index);
    Ok(parsed)
}

/// Configurations that carry the shared server settings.
pub trait HasServer {
    fn server_mut(&mut self) -> &mut ServerArgs;
}

impl HasServer for partner_eligibility::Config {
    fn server_mut(&mut self) -> &mut ServerArgs {
        &mut self.server
    }
}

impl HasServer for customer_validation::Config {
    fn server_mut(&mut self) -> &mut ServerArgs {
        &mut self.server
    }
}

impl HasServer for relationships::Config {
    fn server_mut(&mut self) -> &mut ServerArgs {
        &mut self.server
    }
}

impl HasServer for ordering::Config {
    fn server_mut(&mut self) -> &mut ServerArgs {
        &mut self.server
    }
}

fn path(p: Option<&Path>) -> String {
    p.map(|p| p.display().to_string()).unwrap_or_default()
}

async fn listen(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} (is another gcc-stack running?)"))
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
