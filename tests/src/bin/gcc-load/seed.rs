//! The data the journeys act on: GCC-qualified partners, their customers (validated,
//! pending, or without a validation) and orders, seeded through the public RPCs with
//! IDs, domains and request IDs drawn from `--seed`, so that the same seed gives the same
//! data and seeding again against the same servers replays instead of duplicating.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use gcc_client::retry::{Replay, RetryBudget, RetryPolicy, retry_with};
use gcc_platform::TenantId;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient;
use gcc_proto::{partner as ppb, relationships as rpb, validation as vpb};
use gcc_testkit::authed;
use gcc_testkit::walk::{company_profile, enrollment, order, submission_for};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tonic::Status;

use crate::SeedArgs;
use crate::target::Target;

/// Order IDs kept per partner, for GetOrder.
const KEPT_ORDERS: usize = 8;

/// What `gcc-load seed` prints: the IDs the scenarios use, and tokens (valid 24 h) for
/// other tools such as ghz and k6.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataSet {
    pub seed: u64,
    /// How each kind of row was written.
    pub phases: Vec<Phase>,
    pub reviewer_tenant: String,
    pub reviewer_token: String,
    pub partners: Vec<PartnerData>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phase {
    pub what: String,
    pub count: usize,
    pub via: String,
    pub seconds: f64,
    pub rpcs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerData {
    pub tenant: String,
    pub token: String,
    /// Customers holding GCC.
    pub validated: Vec<String>,
    /// Customers whose validation waits for review: `(tenant, customerValidations/…)`.
    pub pending: Vec<(String, String)>,
    /// Customers without a validation (commercial offers only).
    pub plain: Vec<String>,
    /// Some of the partner's orders (`orders/…`).
    pub orders: Vec<String>,
}

/// The data set, parsed for the journeys.
pub struct Fixture {
    pub data: DataSet,
    pub partners: Vec<Partner>,
    pub orders: usize,
    pub customers: usize,
}

pub struct Partner {
    pub tenant: TenantId,
    pub token: String,
    pub validated: Vec<TenantId>,
    pub pending: Vec<(TenantId, String)>,
    pub plain: Vec<TenantId>,
    pub orders: Vec<String>,
}

impl Fixture {
    fn from_data(data: DataSet, target: &Target, orders: usize) -> anyhow::Result<Self> {
        let parse = |s: &String| TenantId::parse(s).with_context(|| format!("a tenant ID in the data set: {s}"));
        let mut partners = Vec::new();
        let mut customers = 0;
        for p in &data.partners {
            let tenant = parse(&p.tenant)?;
            let validated = p.validated.iter().map(parse).collect::<anyhow::Result<Vec<_>>>()?;
            let pending =
                p.pending.iter().map(|(c, v)| Ok((parse(c)?, v.clone()))).collect::<anyhow::Result<Vec<_>>>()?;
            let plain = p.plain.iter().map(parse).collect::<anyhow::Result<Vec<_>>>()?;
            customers += validated.len() + pending.len() + plain.len();
            partners.push(Partner {
                tenant,
                token: target.admin(tenant),
                validated,
                pending,
                plain,
                orders: p.orders.clone(),
            });
        }
        anyhow::ensure!(
            partners.iter().all(|p| !p.validated.is_empty() && !p.pending.is_empty() && !p.plain.is_empty()),
            "every partner of the data set needs validated, pending and plain customers"
        );
        Ok(Self { data, partners, orders, customers })
    }
}

/// The data set from `--fixture`, or seeded now.
pub async fn obtain(target: &Target, args: &SeedArgs) -> anyhow::Result<Fixture> {
    if let Some(path) = &args.fixture {
        let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        let data: DataSet = serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
        let orders = data.phases.iter().filter(|p| p.what == "orders").map(|p| p.count).sum();
        return Fixture::from_data(data, target, orders);
    }
    anyhow::ensure!(args.partners >= 1, "--partners: at least 1");
    anyhow::ensure!(
        args.customers >= 5 * args.partners,
        "--customers: at least 5 per partner, so that each has validated, pending and plain customers"
    );
    let mut data = seed(target, args).await?;
    if args.bulk_orders > 0 {
        bulk(target, args.bulk_orders, &mut data).await?;
    }
    Fixture::from_data(data, target, args.orders + args.bulk_orders)
}

/// Writes `rows` orders straight into ordering's tables, round-robin over the partners
/// and their validated customers.
async fn bulk(target: &Target, rows: usize, data: &mut DataSet) -> anyhow::Result<()> {
    let url = target
        .ordering_database()
        .ok_or_else(|| anyhow::anyhow!("--bulk-orders writes into ordering's database: the in-process stack only"))?;
    let owners: Vec<Vec<(String, String)>> =
        data.partners.iter().map(|p| p.validated.iter().map(|c| (p.tenant.clone(), c.clone())).collect()).collect();
    let started = Instant::now();
    gcc_e2e::bulk::orders(&url, rows, |i| {
        let of = &owners[i % owners.len()];
        of[(i / owners.len()) % of.len()].clone()
    })
    .await
    .context("write orders into ordering's tables")?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {rows} orders in {seconds:.1} s ({:.0}/s) straight into ordering's tables (not through the RPCs)",
        rows as f64 / seconds.max(1e-9)
    );
    data.phases.push(Phase { what: "orders".into(), count: rows, via: "ordering's tables".into(), seconds, rpcs: 0 });
    Ok(())
}

/// A UUID drawn from the seed, for the `i`th row of `kind`.
fn uuid_of(seed: u64, kind: u64, i: u64) -> uuid::Uuid {
    let mut rng = rand::rngs::StdRng::seed_from_u64(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ kind.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ i,
    );
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

fn tenant_of(seed: u64, kind: u64, i: u64) -> TenantId {
    TenantId::parse(&uuid_of(seed, kind, i).to_string()).expect("a random v4 UUID is a tenant ID")
}

fn request_id(seed: u64, kind: u64, i: u64) -> String {
    uuid_of(seed, kind, i).to_string()
}

// Kinds of seeded IDs.
const PARTNER: u64 = 1;
const ENROLL: u64 = 2;
const PARTNER_VALIDATION: u64 = 3;
const PARTNER_APPROVAL: u64 = 4;
const CUSTOMER: u64 = 5;
const CUSTOMER_VALIDATION: u64 = 6;
const CUSTOMER_APPROVAL: u64 = 7;
const CODE: u64 = 8;
const ORDER: u64 = 9;

/// What a seeded customer is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Validated,
    Pending,
    Plain,
}

/// The `k`th customer of a partner: three in five validated, one pending, one plain.
fn kind_of(k: usize) -> Kind {
    match k % 5 {
        3 => Kind::Pending,
        4 => Kind::Plain,
        _ => Kind::Validated,
    }
}

/// A call of `$method` on a connection of `$pool`, made anew for each attempt.
macro_rules! rpc {
    ($client:ident, $pool:expr, $method:ident, $msg:expr, $token:expr) => {
        || {
            let mut c = $client::new($pool.get());
            let req = authed($msg.clone(), $token);
            async move { c.$method(req).await }
        }
    };
}

/// Retries a seeding call the servers shed or could not serve for a moment, as the typed
/// clients do (full jitter, the server's `RetryInfo` honoured), with more patience: a
/// seeder keeps many calls in flight against servers that may admit only a few. Its
/// request ID makes the retry safe.
async fn retried<T, F, Fut>(rpcs: &AtomicU64, mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    static BUDGET: LazyLock<RetryBudget> = LazyLock::new(|| RetryBudget::new(1.0, 1000.0));
    let policy = RetryPolicy {
        max_attempts: 40,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(1),
        deadline: Duration::from_secs(60),
    };
    retry_with(&policy, &BUDGET, Replay::Mutation { has_request_id: true }, || {
        rpcs.fetch_add(1, Ordering::Relaxed);
        call()
    })
    .await
}

/// Prints `done/total` once a second while a phase runs.
fn progress(what: &'static str, total: usize, done: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = Instant::now();
        let tty = std::io::stderr().is_terminal();
        let mut tick = tokio::time::interval(Duration::from_secs(if tty { 1 } else { 10 }));
        tick.tick().await;
        loop {
            tick.tick().await;
            let n = done.load(Ordering::Relaxed);
            let rate = n as f64 / start.elapsed().as_secs_f64();
            let eta = if rate > 0.0 { (total as f64 - n as f64) / rate } else { f64::NAN };
            let line = format!("seeding {what}: {n}/{total} ({rate:.0}/s, {eta:.0} s to go)");
            if tty {
                eprint!("\r{line}    ");
            } else {
                eprintln!("{line}");
            }
        }
    })
}

async fn phase<T, F, Fut>(
    what: &'static str,
    total: usize,
    concurrency: usize,
    rpcs: &Arc<AtomicU64>,
    phases: &mut Vec<Phase>,
    job: F,
) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let start = Instant::now();
    let before = rpcs.load(Ordering::Relaxed);
    let done = Arc::new(AtomicU64::new(0));
    let ticker = progress(what, total, done.clone());
    let results: Vec<anyhow::Result<T>> = futures::stream::iter(0..total)
        .map(|i| {
            let done = done.clone();
            let fut = job(i);
            async move {
                let r = fut.await;
                done.fetch_add(1, Ordering::Relaxed);
                r
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    ticker.abort();
    let seconds = start.elapsed().as_secs_f64();
    let calls = rpcs.load(Ordering::Relaxed) - before;
    if total > 0 {
        eprintln!(
            "\rseeded {total} {what} in {seconds:.1} s ({:.0}/s, {calls} calls) through the public RPCs",
            total as f64 / seconds
        );
    }
    phases.push(Phase { what: what.to_owned(), count: total, via: "public RPCs".into(), seconds, rpcs: calls });
    results.into_iter().collect()
}

/// Seeds partners, customers and orders through the public RPCs, as the roles the
/// source document gives each step.
pub async fn seed(target: &Target, args: &SeedArgs) -> anyhow::Result<DataSet> {
    let s = args.seed;
    let rpcs = Arc::new(AtomicU64::new(0));
    let mut phases = Vec::new();
    let reviewer = target.reviewer_token();
    let c = args.seed_concurrency;

    let partners: Vec<TenantId> = phase("partners", args.partners, c, &rpcs, &mut phases, |i| {
        let (rpcs, reviewer) = (rpcs.clone(), reviewer.clone());
        async move {
            let i = i as u64;
            let tenant = tenant_of(s, PARTNER, i);
            let token = target.admin(tenant);
            let mut enroll = enrollment(tenant, ppb::PartnerType::DirectReseller, None);
            enroll.request_id = request_id(s, ENROLL, i);
            retried(&rpcs, rpc!(PartnerEligibilityServiceClient, target.partner, enroll_partner, enroll, &token))
                .await
                .context("enroll a partner")?;
            let submit = ppb::SubmitPartnerValidationRequest {
                partner_validation: Some(ppb::PartnerValidation {
                    tenant_id: tenant.to_string(),
                    qualifying_basis: ppb::QualifyingBasis::GovernmentEntities as i32,
                    contact_email: "gov@partner.example".into(),
                    ..Default::default()
                }),
                request_id: request_id(s, PARTNER_VALIDATION, i),
            };
            let v = retried(
                &rpcs,
                rpc!(PartnerEligibilityServiceClient, target.partner, submit_partner_validation, submit, &token),
            )
            .await
            .context("submit a partner validation")?
            .into_inner();
            let approve =
                ppb::ApprovePartnerValidationRequest { name: v.name, request_id: request_id(s, PARTNER_APPROVAL, i) };
            retried(
                &rpcs,
                rpc!(PartnerEligibilityServiceClient, target.partner, approve_partner_validation, approve, &reviewer),
            )
            .await
            .context("approve a partner validation")?;
            anyhow::Ok(tenant)
        }
    })
    .await?;

    let n_partners = partners.len();
    let customers: Vec<(usize, Kind, TenantId, String)> =
        phase("customers", args.customers, c, &rpcs, &mut phases, |j| {
            let (rpcs, reviewer) = (rpcs.clone(), reviewer.clone());
            let p = j % n_partners;
            let partner = partners[p];
            async move {
                let kind = kind_of(j / n_partners);
                let j = j as u64;
                let token = target.admin(partner);
                let domain = format!("s{s}-c{j}.example.gov");
                let create = rpb::CreateCustomerRequest {
                    customer: Some(rpb::Customer {
                        company_profile: Some(company_profile(&domain)),
                        ..Default::default()
                    }),
                    request_id: request_id(s, CUSTOMER, j),
                };
                let customer = retried(
                    &rpcs,
                    rpc!(RelationshipsServiceClient, target.relationships, create_customer, create, &token),
                )
                .await
                .context("create a customer")?
                .into_inner();
                let customer = TenantId::parse(&customer.tenant_id).context("the customer's tenant ID")?;
                let named = if kind == Kind::Pending { Some(customer) } else { None };
                if kind == Kind::Plain {
                    return Ok((p, kind, customer, String::new()));
                }
                let mut submit = submission_for(partner, &domain, named);
                submit.request_id = request_id(s, CUSTOMER_VALIDATION, j);
                let v = retried(
                    &rpcs,
                    rpc!(
                        CustomerValidationServiceClient,
                        target.validation,
                        submit_customer_validation,
                        submit,
                        &token
                    ),
                )
                .await
                .context("submit a customer validation")?
                .into_inner();
                if kind == Kind::Pending {
                    return Ok((p, kind, customer, v.name));
                }
                let approve = vpb::ApproveCustomerValidationRequest {
                    name: v.name.clone(),
                    code_uses: 1,
                    request_id: request_id(s, CUSTOMER_APPROVAL, j),
                };
                let approved = retried(
                    &rpcs,
                    rpc!(
                        CustomerValidationServiceClient,
                        target.validation,
                        approve_customer_validation,
                        approve,
                        &reviewer
                    ),
                )
                .await
                .context("approve a customer validation")?
                .into_inner();
                let apply = vpb::ApplyValidationCodeRequest {
                    validation_code: approved.validation_code,
                    customer: format!("customers/{customer}"),
                    request_id: request_id(s, CODE, j),
                };
                retried(
                    &rpcs,
                    rpc!(CustomerValidationServiceClient, target.validation, apply_validation_code, apply, &token),
                )
                .await
                .context("apply a validation code")?;
                Ok((p, kind, customer, v.name))
            }
        })
        .await?;

    let mut data: Vec<PartnerData> = partners
        .iter()
        .map(|t| PartnerData {
            tenant: t.to_string(),
            token: target.admin(*t),
            validated: Vec::new(),
            pending: Vec::new(),
            plain: Vec::new(),
            orders: Vec::new(),
        })
        .collect();
    for (p, kind, customer, validation) in customers {
        match kind {
            Kind::Validated => data[p].validated.push(customer.to_string()),
            Kind::Pending => data[p].pending.push((customer.to_string(), validation)),
            Kind::Plain => data[p].plain.push(customer.to_string()),
        }
    }

    let placed: Vec<Option<(usize, String)>> = phase("orders", args.orders, c, &rpcs, &mut phases, |n| {
        let rpcs = rpcs.clone();
        let p = n % n_partners;
        let k = n / n_partners;
        let partner = &data[p];
        // Four in five GCC orders for validated customers, one commercial for a plain one.
        let (customer, offer) = if n % 5 == 4 {
            (&partner.plain[k % partner.plain.len()], "o365-e3")
        } else {
            (&partner.validated[k % partner.validated.len()], "o365-g3-gcc")
        };
        let customer = TenantId::parse(customer).expect("seeded above");
        let token = partner.token.clone();
        async move {
            let req = order(customer, &[(offer, 10)], &request_id(s, ORDER, n as u64));
            let o = retried(&rpcs, rpc!(OrderingServiceClient, target.ordering, place_order, req, &token))
                .await
                .context("place an order")?
                .into_inner();
            // Only the first few of each partner are kept, for GetOrder.
            Ok((k < KEPT_ORDERS).then_some((p, o.name)))
        }
    })
    .await?;
    for (p, name) in placed.into_iter().flatten() {
        if data[p].orders.len() < KEPT_ORDERS {
            data[p].orders.push(name);
        }
    }

    Ok(DataSet {
        seed: s,
        phases,
        reviewer_tenant: target.reviewer.to_string(),
        reviewer_token: reviewer,
        partners: data,
    })
}
