//! Builds the ordering server: database and catalog, connections to customer-validation
//! and relationships, and the shared runtime.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use gcc_client::Connection;
use gcc_platform::DependencyArgs;
use gcc_platform::auth::{Authenticated, Verifier};
use gcc_platform::config::{ServerArgs, parse_duration};
use gcc_platform::db::Db;
use gcc_platform::runtime::Running;
use gcc_platform::time::SharedClock;
use gcc_proto::ordering::ordering_service_server::OrderingServiceServer;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

use crate::api::{OrderingApi, State};
use crate::error::DOMAIN;
use crate::facts::FactSource;
use crate::store::Store;

pub const SERVICE: &str = "ordering";
pub const DEFAULT_PORT: u16 = 50054;
/// A running server of this service.
pub type Application = Running;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Command line and environment of the ordering server.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = SERVICE, version, about = "Offer catalog, GCC-gated orders and subscriptions (gcc.ordering.v1)")]
pub struct Config {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub dependencies: DependencyArgs,
    /// customer-validation endpoint (the eligibility gate).
    #[arg(long, env = "GCC_VALIDATION_ENDPOINT", default_value = "http://127.0.0.1:50052")]
    pub validation_endpoint: String,
    /// relationships endpoint.
    #[arg(long, env = "GCC_RELATIONSHIPS_ENDPOINT", default_value = "http://127.0.0.1:50053")]
    pub relationships_endpoint: String,
    /// Deadline of a call to another service when the caller's own is longer or unset.
    #[arg(long, env = "GCC_DEPENDENCY_TIMEOUT", default_value = "2s", value_parser = parse_duration)]
    pub dependency_timeout: Duration,
    /// The validation support contact, linked from GCC eligibility refusals.
    #[arg(long, env = "GCC_ELIGIBILITY_CONTACT", default_value = "mailto:usgcce@microsoft.com")]
    pub eligibility_contact: String,
    /// How long a positive answer of relationships ("the caller manages this customer")
    /// may be reused: the bound on how long a revoked relationship can still be ordered
    /// for. The default, `0s`, reads it for every order; a negative answer is always read
    /// again.
    #[arg(long, env = "GCC_ORDER_MANAGEMENT_CACHE_TTL", default_value = "0s", value_parser = parse_duration)]
    pub management_cache_ttl: Duration,
}

pub async fn build(
    config: &Config,
    listener: TcpListener,
    clock: SharedClock,
    verifier: Arc<Verifier>,
) -> anyhow::Result<Application> {
    let args = &config.server;
    let db = Db::connect(&args.database_url_or(SERVICE), args.db_max_connections, &MIGRATOR).await?;
    let store = Store::new(db.clone());
    let catalog = store.catalog().await.context("cannot read the offer catalog")?;
    anyhow::ensure!(!catalog.is_empty(), "the offer catalog is empty");
    let metrics = args.metrics.service(SERVICE);
    let transport = config.dependencies.transport()?;
    let validation = Connection::lazy_with(&transport, &config.validation_endpoint, None, config.dependency_timeout)
        .context("--validation-endpoint")?
        .observed(SERVICE, "customer-validation", &config.validation_endpoint, metrics.clone());
    let relationships =
        Connection::lazy_with(&transport, &config.relationships_endpoint, None, config.dependency_timeout)
            .context("--relationships-endpoint")?
            .observed(SERVICE, "relationships", &config.relationships_endpoint, metrics.clone());
    let api = OrderingApi::new(State {
        store,
        catalog,
        clock,
        facts: FactSource::new(validation, relationships, config.management_cache_ttl),
        dependency_timeout: config.dependency_timeout,
        eligibility_contact: config.eligibility_contact.clone(),
        max_message_bytes: args.max_message_bytes,
        metrics,
    });
    let service = OrderingServiceServer::new(api)
        .max_decoding_message_size(args.max_message_bytes)
        .max_encoding_message_size(args.max_message_bytes);
    let service = Authenticated::new(service, verifier, DOMAIN);
    // Committed events leave the process at least once (NATS, when configured).
    gcc_platform::relay::spawn(db.clone(), &args.events, DOMAIN)?;
    Running::serve_named(args, SERVICE, DOMAIN, service, listener, db).await
}
