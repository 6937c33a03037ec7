//! Builds the customer-validation server: database, connections to partner-eligibility
//! and relationships, the fact cache, and the shared runtime.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use gcc_client::Connection;
use gcc_platform::DependencyArgs;
use gcc_platform::auth::{Authenticated, Verifier};
use gcc_platform::config::{ServerArgs, parse_duration};
use gcc_platform::db::Db;
use gcc_platform::events::{Hub, Watchers};
use gcc_platform::runtime::Running;
use gcc_platform::time::{BusinessCalendar, SharedClock};
use gcc_proto::validation::customer_validation_service_server::CustomerValidationServiceServer;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

use crate::api::{State, ValidationApi};
use crate::error::DOMAIN;
use crate::facts::FactSource;
use crate::store::Store;

pub const SERVICE: &str = "customer-validation";
pub const DEFAULT_PORT: u16 = 50052;
/// A running server of this service.
pub type Application = Running;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Command line and environment of the customer-validation server.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = SERVICE, version, about = "Customer GCC validation and the eligibility gate (gcc.validation.v1)")]
pub struct Config {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub dependencies: DependencyArgs,
    /// partner-eligibility endpoint.
    #[arg(long, env = "GCC_PARTNER_ENDPOINT", default_value = "http://127.0.0.1:50051")]
    pub partner_endpoint: String,
    /// relationships endpoint.
    #[arg(long, env = "GCC_RELATIONSHIPS_ENDPOINT", default_value = "http://127.0.0.1:50053")]
    pub relationships_endpoint: String,
    /// How long the gate may reuse a fact read from another service (0s: never). This is
    /// the bound on how stale an eligibility verdict can be.
    #[arg(long, env = "GCC_FACT_CACHE_TTL", default_value = "2s", value_parser = parse_duration)]
    pub fact_cache_ttl: Duration,
    /// Deadline of a call to another service when the caller's own is longer or unset.
    #[arg(long, env = "GCC_DEPENDENCY_TIMEOUT", default_value = "2s", value_parser = parse_duration)]
    pub dependency_timeout: Duration,
    /// Where validation questions go; linked from validation errors.
    #[arg(long, env = "GCC_ELIGIBILITY_CONTACT", default_value = "mailto:usgcce@microsoft.com")]
    pub eligibility_contact: String,
    /// How long a validation code qualifies customers after approval (R12). 90 days is
    /// long enough to create the validated organization's accounts, and short enough that
    /// an organization's changed standing is looked at again.
    #[arg(long, env = "GCC_VALIDATION_CODE_TTL", default_value = "90d", value_parser = parse_duration)]
    pub validation_code_ttl: Duration,
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
    let (store, hub) = (Store::new(db.clone()), Hub::new(256));
    // Changes made through other replicas reach this one's watchers too (PostgreSQL).
    crate::api::follow_replicas(&db, &url, store.clone(), hub.clone()).await?;
    let metrics = args.metrics.service(SERVICE);
    gcc_platform::metrics::watch_queue(&metrics, &db, "customer", "customer_validations", clock.clone());
    let transport = config.dependencies.transport()?;
    let partner = Connection::lazy_with(&transport, &config.partner_endpoint, None, config.dependency_timeout)
        .context("--partner-endpoint")?
        .observed(SERVICE, "partner-eligibility", &config.partner_endpoint, metrics.clone());
    let relationships =
        Connection::lazy_with(&transport, &config.relationships_endpoint, None, config.dependency_timeout)
            .context("--relationships-endpoint")?
            .observed(SERVICE, "relationships", &config.relationships_endpoint, metrics.clone());
    let mailer = Arc::new(gcc_platform::mail::Mailer::new(&args.mail)?);
    let api = ValidationApi::new(State {
        store,
        clock,
        calendar: BusinessCalendar::new(args.review_time_zone),
        hub,
        facts: FactSource::new(partner, relationships, config.fact_cache_ttl),
        code_ttl: config.validation_code_ttl,
        eligibility_contact: config.eligibility_contact.clone(),
        dependency_timeout: config.dependency_timeout,
        watchers: Watchers::new(args.limits.watch_limits(), DOMAIN),
        max_message_bytes: args.max_message_bytes,
        metrics,
        mailer: mailer.clone(),
    });
    let service = CustomerValidationServiceServer::new(api)
        .max_decoding_message_size(args.max_message_bytes)
        .max_encoding_message_size(args.max_message_bytes);
    let service = Authenticated::new(service, verifier, DOMAIN);
    // Committed events leave the process at least once (NATS, when configured).
    // Each event's e-mail is stored as it is relayed, then sent (see gcc_platform::mail).
    let notices = Arc::new(crate::notify::Notices::new(&args.mail));
    gcc_platform::relay::spawn_notifying(db.clone(), &args.events, DOMAIN, Some(notices))?;
    mailer.spawn(db.clone());
    Running::serve_named(args, SERVICE, DOMAIN, service, listener, db).await
}
