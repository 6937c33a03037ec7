//! Builds the partner-eligibility server: database, state, gRPC service with its limits,
//! and the shared runtime around it.

use std::sync::Arc;

use gcc_platform::auth::{AuthInterceptor, Verifier};
use gcc_platform::config::ServerArgs;
use gcc_platform::db::Db;
use gcc_platform::events::Hub;
use gcc_platform::runtime::{RuntimeConfig, ServerBuilder, ServerHandle};
use gcc_platform::time::{BusinessCalendar, SharedClock};
use gcc_proto::partner::partner_eligibility_service_server::PartnerEligibilityServiceServer;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

use crate::api::{PartnerApi, State};
use crate::error::DOMAIN;
use crate::store::Store;

pub const SERVICE: &str = "partner-eligibility";
pub const DEFAULT_PORT: u16 = 50051;
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
}

/// A running partner-eligibility server.
pub struct Application {
    handle: ServerHandle,
    db: Db,
}

impl Application {
    pub async fn build(
        config: &Config,
        listener: TcpListener,
        clock: SharedClock,
        verifier: Arc<Verifier>,
    ) -> anyhow::Result<Self> {
        let args = &config.server;
        let db = Db::connect(&args.database_url_or(SERVICE), args.db_max_connections, &MIGRATOR).await?;
        let api = PartnerApi::new(State {
            store: Store::new(db.clone()),
            clock,
            calendar: BusinessCalendar::new(args.review_time_zone),
            hub: Hub::new(256),
            eligibility_contact: config.eligibility_contact.clone(),
        });
        let service = PartnerEligibilityServiceServer::new(api)
            .max_decoding_message_size(args.max_message_bytes)
            .max_encoding_message_size(args.max_message_bytes);
        let handle = ServerBuilder::new(RuntimeConfig {
            domain: DOMAIN,
            request_timeout: args.request_timeout,
            concurrency_limit: args.concurrency_limit,
            shutdown_grace: args.shutdown_grace,
        })?
        .add_service(tonic::service::interceptor::InterceptedService::new(
            service,
            AuthInterceptor::new(verifier, DOMAIN),
        ))
        .start(listener, Some(db.clone()))
        .await?;
        Ok(Self { handle, db })
    }

    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.handle.local_addr()
    }

    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        let result = self.handle.run_until(signal).await;
        self.db.close().await;
        result
    }

    pub async fn shutdown(self) -> anyhow::Result<()> {
        let result = self.handle.shutdown().await;
        self.db.close().await;
        result
    }
}
