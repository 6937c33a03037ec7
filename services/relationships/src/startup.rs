//! Builds the relationships server: database, invitation key, partner-eligibility
//! client, state, gRPC service with its limits, and the shared runtime around it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use gcc_platform::DependencyArgs;
use gcc_platform::auth::{Authenticated, Verifier};
use gcc_platform::config::{ServerArgs, parse_duration};
use gcc_platform::db::{Backend, Db};
use gcc_platform::events::{Hub, Watchers};
use gcc_platform::runtime::Running;
use gcc_platform::time::SharedClock;
use gcc_proto::relationships::relationships_service_server::RelationshipsServiceServer;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

use crate::api::{PartnerDirectory, RelationshipsApi, State};
use crate::domain::{InvitationKey, Links};
use crate::error::DOMAIN;
use crate::store::Store;

pub const SERVICE: &str = "relationships";
pub const DEFAULT_PORT: u16 = 50053;
/// A running server of this service.
pub type Application = Running;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Command line and environment of the relationships server.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = SERVICE, version, about = "Customer accounts, relationships and invitations (gcc.relationships.v1)")]
pub struct Config {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub dependencies: DependencyArgs,
    /// partner-eligibility, asked whether the caller is an enrolled partner and who its
    /// indirect provider is.
    #[arg(long, env = "GCC_PARTNER_ENDPOINT", default_value = "http://127.0.0.1:50051")]
    pub partner_endpoint: String,
    /// File holding the secret (at least 32 bytes) that invitation link tokens are
    /// derived with. Required.
    #[arg(long, env = "GCC_INVITATION_KEY_FILE")]
    pub invitation_key_file: Option<PathBuf>,
    /// The page a customer opens to accept; a link is `{base}?token={token}`.
    #[arg(long, env = "GCC_INVITATION_BASE_URL", default_value = "https://gcc.example/invitations/accept")]
    pub invitation_base_url: String,
    /// How long an invitation link stays valid (such as 14d, 36h).
    #[arg(long, env = "GCC_INVITATION_TTL", default_value = "14d", value_parser = parse_duration)]
    pub invitation_ttl: Duration,
}

impl Config {
    /// The invitation key from `--invitation-key-file`.
    pub fn invitation_key(&self) -> anyhow::Result<InvitationKey> {
        let path = self.invitation_key_file.as_ref().context(
            "no invitation key configured: set GCC_INVITATION_KEY_FILE (or --invitation-key-file) to a file of at \
             least 32 random bytes",
        )?;
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read invitation key file {}", path.display()))?;
        InvitationKey::new(bytes).map_err(|e| anyhow::anyhow!("invitation key file {}: {e}", path.display()))
    }
}

/// Builds the server with the key from `config.invitation_key_file`.
pub async fn build(
    config: &Config,
    listener: TcpListener,
    clock: SharedClock,
    verifier: Arc<Verifier>,
) -> anyhow::Result<Application> {
    let key = config.invitation_key()?;
    build_with_key(config, listener, clock, verifier, key).await
}

/// Builds the server with an invitation key given directly (tests, embedding).
pub async fn build_with_key(
    config: &Config,
    listener: TcpListener,
    clock: SharedClock,
    verifier: Arc<Verifier>,
    key: InvitationKey,
) -> anyhow::Result<Application> {
    let args = &config.server;
    let links =
        Links::new(key, &config.invitation_base_url).map_err(|e| anyhow::anyhow!("--invitation-base-url: {e}"))?;
    let invitation_ttl = chrono::Duration::from_std(config.invitation_ttl)
        .ok()
        .filter(|d| *d > chrono::Duration::zero())
        .context("--invitation-ttl must be positive and not absurdly long")?;
    let metrics = args.metrics.service(SERVICE);
    let partners =
        PartnerDirectory::new(&config.dependencies.transport()?, &config.partner_endpoint, args.request_timeout)
            .context("--partner-endpoint")?
            .observed(SERVICE, &config.partner_endpoint, metrics);
    let url = args.database_url_or(SERVICE);
    let db = Db::connect(&url, args.db_max_connections, &MIGRATOR).await?;
    let (store, hub) = (Store::new(db.clone()), Hub::new(256));
    // Changes committed by any replica reach this one's watchers (PostgreSQL).
    crate::api::follow_replicas(&db, &url, store.clone(), hub.clone()).await?;
    let mailer = Arc::new(gcc_platform::mail::Mailer::new(&args.mail)?);
    let notices = Arc::new(crate::notify::Notices::new(&args.mail, links.clone()));
    let api = RelationshipsApi::new(State {
        store,
        clock,
        hub,
        publish_locally: db.backend() == Backend::Sqlite,
        partners,
        links,
        invitation_ttl,
        dependency_timeout: args.request_timeout,
        watchers: Watchers::new(args.limits.watch_limits(), DOMAIN),
        max_message_bytes: args.max_message_bytes,
        mailer: mailer.clone(),
    });
    let service = RelationshipsServiceServer::new(api)
        .max_decoding_message_size(args.max_message_bytes)
        .max_encoding_message_size(args.max_message_bytes);
    let service = Authenticated::new(service, verifier, DOMAIN);
    // Committed events leave the process at least once (NATS, when configured).
    // Each event's e-mail is stored as it is relayed, then sent (see gcc_platform::mail).
    gcc_platform::relay::spawn_notifying(db.clone(), &args.events, DOMAIN, Some(notices))?;
    mailer.spawn(db.clone());
    Running::serve_named(args, SERVICE, DOMAIN, service, listener, db).await
}
