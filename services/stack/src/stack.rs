//! Starts every service on its own port (50051, 50052, …) with its own SQLite file under
//! the data folder, prints the endpoints, and stops them all on SIGTERM or ctrl-c.
//!
//! With no token key configured it runs in development mode: it creates a random HS256
//! key under the data folder (once) and `gccctl dev-token` signs with it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use gcc_platform::config::ServerArgs;
use gcc_platform::runtime::shutdown_signal;
use gcc_platform::telemetry;
use gcc_platform::time::SystemClock;
use tokio::net::TcpListener;

pub const DEV_KEY_FILE: &str = "dev-jwt-hs256.key";

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "gcc-stack", version, about = "Every GCC service in one process, SQLite under ./data")]
pub struct StackConfig {
    /// Folder for the databases and the development key.
    #[arg(long, env = "GCC_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Where validation questions go; linked from validation errors.
    #[arg(long, env = "GCC_ELIGIBILITY_CONTACT", default_value = "mailto:usgcce@microsoft.com")]
    pub eligibility_contact: String,
}

pub async fn run(mut config: StackConfig) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.server.database_url.is_none(),
        "gcc-stack gives each service its own SQLite file under --data-dir; run the service binaries to use PostgreSQL"
    );
    let _telemetry = telemetry::init("gcc-stack", config.server.log_format, None)?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let dev_mode = no_key_configured(&config.server);
    if dev_mode {
        let key = ensure_dev_key(&config.data_dir)?;
        config.server.auth.jwt_hs256_secret_file = Some(key);
    }
    let verifier = config.server.auth.verifier()?;
    let clock = Arc::new(SystemClock);

    let partner_args = service_args(&config, partner_eligibility::SERVICE, 0);
    let partner = partner_eligibility::Application::build(
        &partner_eligibility::Config {
            server: partner_args.clone(),
            eligibility_contact: config.eligibility_contact.clone(),
        },
        listen(partner_args.listen).await?,
        clock.clone(),
        verifier.clone(),
    )
    .await
    .context("partner-eligibility did not start")?;

    println!("gcc-stack is serving:");
    println!("  {:<22} gcc.partner.v1        http://{}", partner_eligibility::SERVICE, partner.local_addr());
    if dev_mode {
        let key = config.data_dir.join(DEV_KEY_FILE);
        println!("\nDevelopment mode: tokens are signed with {}.", key.display());
        println!(
            "  export GCC_TOKEN=$(cargo run -q -p gcc-client --bin gccctl -- dev-token --role admin_agent --tenant <guid>)"
        );
    }
    println!("\nStop with ctrl-c.");

    shutdown_signal().await;
    partner.shutdown().await?;
    Ok(())
}

fn no_key_configured(args: &ServerArgs) -> bool {
    let a = &args.auth;
    a.jwt_hs256_secret_file.is_none() && a.jwt_rs256_public_key_file.is_none() && a.jwt_eddsa_public_key_file.is_none()
}

/// The settings of the `index`-th service: the port after the previous service's (from
/// --listen, default 127.0.0.1:50051) and its own SQLite file.
fn service_args(config: &StackConfig, service: &str, index: u16) -> ServerArgs {
    let mut args = config.server.clone();
    let mut addr = config.server.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051)));
    addr.set_port(addr.port() + index);
    args.listen = Some(addr);
    args.database_url = Some(format!("sqlite://{}/{service}.db", config.data_dir.display()));
    args
}

async fn listen(addr: Option<SocketAddr>) -> anyhow::Result<TcpListener> {
    let addr = addr.context("no address")?;
    TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} (is another gcc-stack running?)"))
}

/// Creates the development key once (48 random bytes, hex, readable by the owner only).
fn ensure_dev_key(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join(DEV_KEY_FILE);
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
