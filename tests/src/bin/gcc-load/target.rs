//! What the load goes to: the in-process stack or given endpoints, the connections to
//! each service, and the tokens minted for the tenants the journeys act as.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use gcc_e2e::{Options, Stack};
use gcc_platform::auth::Signer;
use gcc_platform::{Role, TenantId};
use tonic::transport::{Channel, Endpoint};

use crate::TargetArgs;

/// The servers' runtime (in-process only) and the client's.
pub struct Runtimes {
    servers: Option<tokio::runtime::Runtime>,
    pub client: tokio::runtime::Runtime,
}

impl Runtimes {
    pub fn new(args: &TargetArgs) -> anyhow::Result<Self> {
        let servers = if args.endpoints.is_none() {
            Some(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(args.server_threads.max(1))
                    .thread_name("servers")
                    .enable_all()
                    .build()?,
            )
        } else {
            None
        };
        let client = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.client_threads.max(1))
            .thread_name("load")
            .enable_all()
            .build()?;
        Ok(Self { servers, client })
    }

    /// Starts the stack (in-process) and connects to every service.
    pub fn start(&self, args: &TargetArgs) -> anyhow::Result<Target> {
        let (urls, stack, description) = match (&args.endpoints, &self.servers) {
            (Some(spec), _) => (parse_endpoints(spec)?, None, format!("endpoints {spec}")),
            (None, Some(servers)) => {
                let mut extra = Vec::new();
                if let Some(limit) = args.concurrency_limit {
                    extra.extend(["--concurrency-limit".to_owned(), limit.to_string()]);
                }
                if let Some(target) = args.latency_target {
                    extra.extend(["--latency-target".to_owned(), format!("{}ms", target.as_millis().max(1))]);
                }
                let mut ordering_args = extra.clone();
                if let Some(ttl) = args.management_cache_ttl {
                    ordering_args.extend(["--management-cache-ttl".to_owned(), format!("{}ms", ttl.as_millis())]);
                }
                let options = Options {
                    postgres: args.postgres.clone(),
                    validation_args: extra,
                    ordering_args,
                    ..Options::default()
                };
                let stack = servers.block_on(Stack::start(options))?;
                let a = stack.addrs;
                let urls = [a.partner, a.relationships, a.validation, a.ordering].map(|a| format!("http://{a}"));
                let db = if args.postgres.is_some() { "PostgreSQL" } else { "SQLite" };
                let mut description = format!(
                    "in-process stack on {db}, {} server + {} client worker threads",
                    args.server_threads, args.client_threads
                );
                if let Some(limit) = args.concurrency_limit {
                    description.push_str(&format!(", concurrency limit {limit}"));
                }
                if let Some(target) = args.latency_target {
                    description.push_str(&format!(", latency target {target:?}"));
                }
                if let Some(ttl) = args.management_cache_ttl {
                    description.push_str(&format!(", ordering's management cache {ttl:?}"));
                }
                (urls, Some(stack), description)
            }
            (None, None) => anyhow::bail!("no servers' runtime for the in-process stack"),
        };
        let signer = signer(args)?;
        let reviewer = TenantId::parse(&args.reviewer_tenant).context("--reviewer-tenant")?;
        let connections = args.connections.max(1);
        let channels = self.client.block_on(async {
            let mut all = Vec::new();
            for url in &urls {
                let mut per = Vec::new();
                for _ in 0..connections {
                    let endpoint = Endpoint::from_shared(url.clone())?
                        .tcp_nodelay(true)
                        .connect_timeout(std::time::Duration::from_secs(5));
                    per.push(endpoint.connect().await.with_context(|| format!("connect to {url}"))?);
                }
                all.push(per);
            }
            anyhow::Ok(all)
        })?;
        let [partner, relationships, validation, ordering]: [Vec<Channel>; 4] =
            channels.try_into().map_err(|_| anyhow::anyhow!("four services"))?;
        Ok(Target {
            partner: Pool::new(partner),
            relationships: Pool::new(relationships),
            validation: Pool::new(validation),
            ordering: Pool::new(ordering),
            signer,
            reviewer,
            description,
            backend: match (&args.endpoints, &args.postgres) {
                (Some(_), _) => "remote",
                (None, Some(_)) => "PostgreSQL",
                (None, None) => "SQLite",
            },
            stack,
        })
    }

    /// Stops the client first, then the servers.
    pub fn stop(self, target: std::sync::Arc<Target>) {
        let Runtimes { servers, client } = self;
        let stack = std::sync::Arc::into_inner(target).and_then(|t| t.stack);
        drop(client);
        if let Some(servers) = servers {
            // The stack's databases are dropped inside the servers' runtime.
            let _guard = servers.enter();
            drop(stack);
            drop(_guard);
            servers.shutdown_timeout(std::time::Duration::from_secs(2));
        }
    }
}

/// `URL` for all four services, or `service=URL` pairs naming each of them.
fn parse_endpoints(spec: &str) -> anyhow::Result<[String; 4]> {
    if !spec.contains('=') {
        return Ok([spec, spec, spec, spec].map(str::to_owned));
    }
    let mut urls: [Option<String>; 4] = Default::default();
    for pair in spec.split(',') {
        let (name, url) = pair.split_once('=').context("--endpoints: `service=URL` pairs")?;
        let i = match name.trim() {
            "partner" | "partner-eligibility" => 0,
            "relationships" => 1,
            "validation" | "customer-validation" => 2,
            "ordering" => 3,
            other => {
                anyhow::bail!("--endpoints: unknown service {other:?} (partner, relationships, validation, ordering)")
            }
        };
        urls[i] = Some(url.trim().to_owned());
    }
    let missing: Vec<&str> = ["partner", "relationships", "validation", "ordering"]
        .iter()
        .zip(&urls)
        .filter(|(_, u)| u.is_none())
        .map(|(n, _)| *n)
        .collect();
    anyhow::ensure!(missing.is_empty(), "--endpoints: no URL for {}", missing.join(", "));
    Ok(urls.map(Option::unwrap_or_default))
}

fn signer(args: &TargetArgs) -> anyhow::Result<Signer> {
    if let Some(path) = &args.token_hs256_secret_file {
        let secret = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
        let secret = secret.trim_ascii().to_vec();
        anyhow::ensure!(secret.len() >= 32, "the HS256 secret has fewer than 32 bytes");
        return Ok(Signer::hs256(&secret, &args.token_audience, &args.token_issuer));
    }
    if let Some(path) = &args.token_rs256_key_file {
        let pem = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).context("a PEM RSA private key")?;
        return Ok(Signer::with_key(key, jsonwebtoken::Algorithm::RS256, &args.token_audience, &args.token_issuer));
    }
    anyhow::ensure!(
        args.endpoints.is_none(),
        "--endpoints needs a token source: --token-hs256-secret-file or --token-rs256-key-file"
    );
    Ok(gcc_testkit::signer())
}

/// A service's connections, used in turn.
pub struct Pool {
    channels: Vec<Channel>,
    next: AtomicUsize,
}

impl Pool {
    fn new(channels: Vec<Channel>) -> Self {
        Self { channels, next: AtomicUsize::new(0) }
    }

    pub fn get(&self) -> Channel {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        self.channels[i % self.channels.len()].clone()
    }
}

pub struct Target {
    pub partner: Pool,
    pub relationships: Pool,
    pub validation: Pool,
    pub ordering: Pool,
    signer: Signer,
    pub reviewer: TenantId,
    pub description: String,
    pub backend: &'static str,
    stack: Option<Stack>,
}

/// Tokens live this long: longer than any run.
const TOKEN_TTL_SECS: i64 = 24 * 3600;

impl Target {
    pub fn in_process(&self) -> bool {
        self.stack.is_some()
    }

    /// The ordering service's database, in-process only.
    pub fn ordering_database(&self) -> Option<String> {
        self.stack.as_ref().map(|s| s.database_urls()[3].to_owned())
    }

    /// A partner's admin agent.
    pub fn admin(&self, tenant: TenantId) -> String {
        self.token(tenant, &[Role::AdminAgent])
    }

    /// A customer's own admin (who accepts invitations).
    pub fn customer_admin(&self, tenant: TenantId) -> String {
        self.token(tenant, &[Role::CustomerAdmin])
    }

    pub fn reviewer_token(&self) -> String {
        self.token(self.reviewer, &[Role::EligibilityReviewer])
    }

    fn token(&self, tenant: TenantId, roles: &[Role]) -> String {
        self.signer.token(&tenant.to_string(), &format!("load@{tenant}"), roles, TOKEN_TTL_SECS)
    }
}
