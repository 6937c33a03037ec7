//! Builds the partner-eligibility server: database, state, gRPC service with its limits,
//! and the shared runtime around it.

use std::sync::Arc;

use gcc_platform::auth::{Authenticated, Verifier};
use gcc_platform::config::ServerArgs;
use gcc_platform::db::Db;
use gcc_platform::events::{Hub, Watchers};
use gcc_platform::runtime::Running;
use gcc_platform::time::{BusinessCalendar, SharedClock};
use gcc_proto::partner::partner_eligibility_service_server::PartnerEligibilityServiceServer;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

use crate::api::{PartnerApi, State};
use crate::error::DOMAIN;
use crate::store::Store;

pub const SERVICE: &str = "partner-eligibility";
pub const DEFAULT_PORT: u16 = 50051;
/// A running server of this service.
pub type Application = Running;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Command line and environment of the partner-eligibility server.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = SERVICE, version, about = "CSP partner enrollment and partner GCC validation (gcc.partner.v1)")]
pub struct Config {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Where validation questions go; linked from validation errors.
    #[arg(long, env = "GCC_ELIGIBILITY_CONTACT", default_value = "mailto:usgcce@microsoft.com")]
    pub eligibility_contact: String,
    #[command(flatten)]
    pub digest: crate::digest::DigestArgs,
}

pub async fn build(
    config: &Config,
    listener: TcpListener,
    clock: SharedClock,
    verifier: Arc<Verifier>,
) -> anyhow::Result<Application> {
    let args = &config.server;
    // Reviewers decide here; without reviewer tenants nobody could.
    args.auth.require_reviewer_tenants()?;
    let url = args.database_url_or(SERVICE);
    let db = Db::connect(&url, args.db_max_connections, &MIGRATOR).await?;
    let (store, hub, links) = (Store::new(db.clone()), Hub::new(256), Hub::new(256));
    // Changes made through other replicas reach this one's watchers too (PostgreSQL).
    crate::api::follow_replicas(&db, &url, store.clone(), hub.clone(), links.clone()).await?;
    let metrics = args.metrics.service(SERVICE);
    gcc_platform::metrics::watch_queue(&metrics, &db, "partner", "partner_validations", clock.clone());
    let mailer = Arc::new(gcc_platform::mail::Mailer::new(&args.mail)?);
    let api = PartnerApi::new(State {
        store,
        clock: clock.clone(),
        calendar: BusinessCalendar::new(args.review_time_zone),
        hub,
        links,
        eligibility_contact: config.eligibility_contact.clone(),
        watchers: Watchers::new(args.limits.watch_limits(), DOMAIN),
        max_message_bytes: args.max_message_bytes,
        mailer: mailer.clone(),
    });
    let service = PartnerEligibilityServiceServer::new(api)
        .max_decoding_message_size(args.max_message_bytes)
        .max_encoding_message_size(args.max_message_bytes);
    let service = Authenticated::new(service, verifier, DOMAIN);
    // Committed events leave the process at least once (NATS, when configured).
    // Each event's e-mail is stored as it is relayed, then sent (see gcc_platform::mail).
    let notices = crate::notify::Notices::new(&args.mail, &config.eligibility_contact);
    gcc_platform::relay::spawn_notifying(db.clone(), &args.events, DOMAIN, Some(Arc::new(notices)))?;
    mailer.clone().spawn(db.clone());
    // The reviewers' daily digest of overdue validations (R4), on the service's clock.
    Arc::new(crate::digest::Digest {
        db: db.clone(),
        clock: clock.clone(),
        tz: args.review_time_zone,
        hour: config.digest.digest_hour,
        review_queue: args.mail.review_queue_email.clone(),
        portal: args.mail.portal_url.trim_end_matches('/').to_owned(),
    })
    .spawn(config.digest.digest_poll);
    Running::serve_named(args, SERVICE, DOMAIN, service, listener, db).await
}
