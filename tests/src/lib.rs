//! The whole service set in one process, each service on its own 127.0.0.1 port with
//! its own database, and the steps of the workflow as plain calls: for the end-to-end
//! tests and the benchmark.

pub mod bulk;
pub mod steps;

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Parser;
use gcc_platform::time::{SharedClock, SystemClock};
use gcc_testkit::walk::{InvitationKeyFile, Steps, merge_args};
use gcc_testkit::{REVIEWER_TENANT, TestDb, channel, listener, verifier};

/// How to start the set.
#[derive(Clone, Default)]
pub struct Options {
    /// A PostgreSQL server URL: each service gets a new database there. SQLite files
    /// otherwise.
    pub postgres: Option<String>,
    /// Extra flags for customer-validation and for ordering.
    pub validation_args: Vec<String>,
    pub ordering_args: Vec<String>,
    pub clock: Option<SharedClock>,
    /// Every service serves `/metrics` on a port of its own (`Running::metrics_addr`).
    pub metrics: bool,
}

/// The four services, running.
pub struct Stack {
    pub partner: Option<partner_eligibility::Application>,
    pub relationships: Option<relationships::Application>,
    pub validation: Option<customer_validation::Application>,
    pub ordering: Option<ordering::Application>,
    pub addrs: Addrs,
    steps: Steps,
    _dbs: Vec<TestDb>,
    _key: InvitationKeyFile,
}

/// The set-up steps (enroll, qualify, create, validate, invite, accept).
impl std::ops::Deref for Stack {
    type Target = Steps;

    fn deref(&self) -> &Steps {
        &self.steps
    }
}

/// Where each service listens.
#[derive(Debug, Clone, Copy)]
pub struct Addrs {
    pub partner: SocketAddr,
    pub relationships: SocketAddr,
    pub validation: SocketAddr,
    pub ordering: SocketAddr,
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// `defaults` as flag/value pairs; a flag given in `extra` replaces its default.
fn parse<C: Parser>(name: &str, mut defaults: Vec<String>, extra: &[String], metrics: bool) -> anyhow::Result<C> {
    if metrics {
        defaults.extend(["--metrics-listen".to_owned(), "127.0.0.1:0".to_owned()]);
    }
    let defaults: Vec<&str> = defaults.iter().map(String::as_str).collect();
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    Ok(C::try_parse_from(merge_args(name, &defaults, &extra))?)
}

impl Stack {
    pub async fn start(options: Options) -> anyhow::Result<Self> {
        let clock = options.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        let pg = options.postgres.as_deref();
        let dbs = vec![
            TestDb::fresh_on(pg).await,
            TestDb::fresh_on(pg).await,
            TestDb::fresh_on(pg).await,
            TestDb::fresh_on(pg).await,
        ];
        let key = InvitationKeyFile::new();
        let reviewers: String = "--reviewer-tenants".into();

        let partner_cfg: partner_eligibility::Config = parse(
            "partner-eligibility",
            vec!["--database-url".into(), dbs[0].url.clone(), reviewers.clone(), REVIEWER_TENANT.into()],
            &[],
            options.metrics,
        )?;
        let partner = partner_eligibility::build(&partner_cfg, listener().await, clock.clone(), verifier()).await?;

        let rel_cfg: relationships::Config = parse(
            "relationships",
            vec![
                "--database-url".into(),
                dbs[1].url.clone(),
                "--partner-endpoint".into(),
                url(partner.local_addr()),
                "--invitation-key-file".into(),
                key.path().display().to_string(),
            ],
            &[],
            options.metrics,
        )?;
        let relationships = relationships::build(&rel_cfg, listener().await, clock.clone(), verifier()).await?;

        let val_cfg: customer_validation::Config = parse(
            "customer-validation",
            vec![
                reviewers,
                REVIEWER_TENANT.into(),
                "--database-url".into(),
                dbs[2].url.clone(),
                "--partner-endpoint".into(),
                url(partner.local_addr()),
                "--relationships-endpoint".into(),
                url(relationships.local_addr()),
            ],
            &options.validation_args,
            options.metrics,
        )?;
        let validation = customer_validation::build(&val_cfg, listener().await, clock.clone(), verifier()).await?;

        let ord_cfg: ordering::Config = parse(
            "ordering",
            vec![
                "--database-url".into(),
                dbs[3].url.clone(),
                "--validation-endpoint".into(),
                url(validation.local_addr()),
                "--relationships-endpoint".into(),
                url(relationships.local_addr()),
            ],
            &options.ordering_args,
            options.metrics,
        )?;
        let ordering = ordering::build(&ord_cfg, listener().await, clock, verifier()).await?;

        let addrs = Addrs {
            partner: partner.local_addr(),
            relationships: relationships.local_addr(),
            validation: validation.local_addr(),
            ordering: ordering.local_addr(),
        };
        let steps = Steps::new(
            channel(addrs.partner).await,
            channel(addrs.relationships).await,
            channel(addrs.validation).await,
        );
        Ok(Self {
            steps,
            partner: Some(partner),
            relationships: Some(relationships),
            validation: Some(validation),
            ordering: Some(ordering),
            addrs,
            _dbs: dbs,
            _key: key,
        })
    }

    /// A client connection to a service, acting with `token`.
    /// Each service's database: partner-eligibility, relationships, customer-validation
    /// and ordering, in that order.
    pub fn database_urls(&self) -> [&str; 4] {
        [&self._dbs[0].url, &self._dbs[1].url, &self._dbs[2].url, &self._dbs[3].url]
    }

    pub fn connect(&self, addr: SocketAddr, token: &str) -> anyhow::Result<gcc_client::Connection> {
        gcc_client::Connection::lazy(&url(addr), Some(token), std::time::Duration::from_secs(10))
    }
}
