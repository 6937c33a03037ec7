//! The whole service set in one process, each service on its own 127.0.0.1 port with
//! its own database, and the steps of the workflow as plain calls: for the end-to-end
//! tests and the load harness. The set is started by `gcc_stack::StackBuilder`, with the
//! test key, reviewer tenant and invitation key.

pub mod bulk;
pub mod steps;

use std::net::SocketAddr;

use gcc_platform::time::SharedClock;
pub use gcc_stack::Service;
use gcc_stack::StackBuilder;
use gcc_testkit::walk::{InvitationKeyFile, Steps};
use gcc_testkit::{REVIEWER_TENANT, TestDb, channel, verifier};

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

/// The four services, running. A test may stop one (`take()` it and shut it down).
pub struct Stack {
    pub partner: Option<partner_eligibility::Application>,
    pub relationships: Option<relationships::Application>,
    pub validation: Option<customer_validation::Application>,
    pub ordering: Option<ordering::Application>,
    pub addrs: Addrs,
    steps: Steps,
    dbs: [TestDb; 4],
    _key: InvitationKeyFile,
}

/// The set-up steps (enroll, qualify, create, validate, invite, accept).
impl std::ops::Deref for Stack {
    type Target = Steps;

    fn deref(&self) -> &Steps {
        &self.steps
    }
}

/// Makes a suite's world (a struct with a `stack: Stack` field) the running set, with
/// its set-up steps and clients: `Deref` and `DerefMut` to its stack.
#[macro_export]
macro_rules! world_of_stack {
    ($world:ty) => {
        impl std::ops::Deref for $world {
            type Target = $crate::Stack;

            fn deref(&self) -> &$crate::Stack {
                &self.stack
            }
        }

        impl std::ops::DerefMut for $world {
            fn deref_mut(&mut self) -> &mut $crate::Stack {
                &mut self.stack
            }
        }
    };
}

/// Where each service listens.
#[derive(Debug, Clone, Copy)]
pub struct Addrs {
    pub partner: SocketAddr,
    pub relationships: SocketAddr,
    pub validation: SocketAddr,
    pub ordering: SocketAddr,
}

impl Stack {
    pub async fn start(options: Options) -> anyhow::Result<Self> {
        let pg = options.postgres.as_deref();
        let dbs = [
            TestDb::fresh_on(pg).await,
            TestDb::fresh_on(pg).await,
            TestDb::fresh_on(pg).await,
            TestDb::fresh_on(pg).await,
        ];
        let key = InvitationKeyFile::new();
        let reviewers = ["--reviewer-tenants", REVIEWER_TENANT];
        let mut builder = StackBuilder::new(verifier())
            .metrics(options.metrics)
            .flags(Service::Partner, reviewers)
            .flags(Service::Relationships, ["--invitation-key-file".to_owned(), key.path().display().to_string()])
            .flags(Service::Validation, reviewers)
            .flags(Service::Validation, options.validation_args)
            .flags(Service::Ordering, options.ordering_args);
        for (service, db) in Service::ALL.into_iter().zip(&dbs) {
            builder = builder.database(service, db.url.clone());
        }
        if let Some(clock) = options.clock {
            builder = builder.clock(clock);
        }
        let mut set = builder.start().await?;
        let addrs = Addrs {
            partner: set.addr(Service::Partner),
            relationships: set.addr(Service::Relationships),
            validation: set.addr(Service::Validation),
            ordering: set.addr(Service::Ordering),
        };
        let steps = Steps::new(
            channel(addrs.partner).await,
            channel(addrs.relationships).await,
            channel(addrs.validation).await,
        );
        Ok(Self {
            partner: set.partner.take(),
            relationships: set.relationships.take(),
            validation: set.validation.take(),
            ordering: set.ordering.take(),
            addrs,
            steps,
            dbs,
            _key: key,
        })
    }

    /// Each service's database: partner-eligibility, relationships, customer-validation
    /// and ordering, in that order.
    pub fn database_urls(&self) -> [&str; 4] {
        [&self.dbs[0].url, &self.dbs[1].url, &self.dbs[2].url, &self.dbs[3].url]
    }

    /// A client connection to a service, acting with `token`.
    pub fn connect(&self, addr: SocketAddr, token: &str) -> anyhow::Result<gcc_client::Connection> {
        gcc_client::Connection::lazy(&format!("http://{addr}"), Some(token), std::time::Duration::from_secs(10))
    }
}
