//! The steady load: workers that each place GCC and commercial orders (every one with a
//! `request_id`), check the gate and read orders, in turn, at a fixed pace, through the
//! well-behaved client (`gcc_client::retry`: backoff, jitter, budget; mutations retried
//! only because they carry a `request_id`). Every call is recorded with what the caller
//! saw in the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gcc_client::Connection;
use gcc_client::retry::{Replay, new_request_id, retry};
use gcc_platform::{Role, TenantId};
use gcc_proto::ordering as opb;
use gcc_proto::types::OfferFamily;
use gcc_proto::validation as vpb;
use tokio::task::JoinHandle;
use tonic::Code;

/// The caller's deadline for each attempt: longer than what ordering gives the gate
/// (its `--dependency-timeout`, 2 s), so that a slow gate is ordering's answer, and long
/// enough for a service to give its own answer while a dependency or the database is away.
pub const CALL_DEADLINE: Duration = Duration::from_secs(5);
pub const GCC_OFFER: &str = "o365-g3-gcc";
pub const COMMERCIAL_OFFER: &str = "o365-e3";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    GccOrder,
    CommercialOrder,
    Gate,
    Read,
}

impl Op {
    pub fn is_order(self) -> bool {
        matches!(self, Self::GccOrder | Self::CommercialOrder)
    }
}

/// What the caller saw: the order's name (orders), or the refusal.
pub type Outcome = Result<String, (Code, String)>;

#[derive(Debug, Clone)]
pub struct Call {
    pub op: Op,
    pub partner: TenantId,
    pub customer: TenantId,
    pub request_id: String,
    /// Wall clock, microseconds (comparable with the services' `created_at`).
    pub start_us: i64,
    pub end_us: i64,
    pub latency: Duration,
    pub outcome: Outcome,
}

pub fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// A partner and one of its GCC-validated customers.
#[derive(Debug, Clone, Copy)]
pub struct Account {
    pub partner: TenantId,
    pub customer: TenantId,
}

#[derive(Clone)]
pub struct Targets {
    pub ordering: String,
    pub validation: String,
}

pub struct Load {
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<Vec<Call>>>,
}

impl Load {
    /// One worker per account, each starting a call every `pace`, until stopped or until
    /// `max_calls` calls in all.
    pub fn start(targets: &Targets, accounts: &[Account], pace: Duration, max_calls: usize) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        for (i, a) in accounts.iter().copied().enumerate() {
            let token = gcc_testkit::token(a.partner, &[Role::AdminAgent]);
            let ordering = Connection::lazy(&targets.ordering, Some(&token), CALL_DEADLINE)?;
            let validation = Connection::lazy(&targets.validation, Some(&token), CALL_DEADLINE)?;
            let (stop, count) = (stop.clone(), count.clone());
            workers.push(tokio::spawn(async move {
                let mut calls = Vec::new();
                let mut last_order: Option<String> = None;
                let mut tick = tokio::time::interval(pace);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                // Workers start out of step, and each cycles through the four kinds.
                let ops = [Op::GccOrder, Op::Gate, Op::CommercialOrder, Op::Read];
                let mut n = i;
                while !stop.load(Ordering::SeqCst) && count.fetch_add(1, Ordering::SeqCst) < max_calls {
                    tick.tick().await;
                    let op = ops[n % ops.len()];
                    n += 1;
                    let call = match op {
                        Op::GccOrder | Op::CommercialOrder => place(&ordering, a, op, new_request_id()).await,
                        Op::Gate => gate(&validation, a).await,
                        Op::Read => read(&ordering, a, last_order.as_deref()).await,
                    };
                    if let (true, Ok(name)) = (op.is_order(), &call.outcome) {
                        last_order = Some(name.clone());
                    }
                    calls.push(call);
                }
                calls
            }));
        }
        Ok(Self { stop, workers })
    }

    /// Stops the workers; every call they made, each finished.
    pub async fn stop(self) -> Vec<Call> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for w in self.workers {
            if let Ok(calls) = w.await {
                all.extend(calls);
            }
        }
        all.sort_by_key(|c| c.start_us);
        all
    }
}

fn reason(status: &tonic::Status) -> String {
    gcc_testkit::reason(status)
}

async fn timed<F>(op: Op, a: Account, request_id: String, call: F) -> Call
where
    F: std::future::Future<Output = Outcome>,
{
    let (start_us, started) = (now_us(), Instant::now());
    let outcome = call.await;
    Call {
        op,
        partner: a.partner,
        customer: a.customer,
        request_id,
        start_us,
        end_us: now_us(),
        latency: started.elapsed(),
        outcome,
    }
}

/// Places (or, with the same `request_id`, places again) an order of one line.
pub async fn place(ordering: &Connection, a: Account, op: Op, request_id: String) -> Call {
    let offer = if op == Op::GccOrder { GCC_OFFER } else { COMMERCIAL_OFFER };
    let id = request_id.clone();
    timed(op, a, request_id, async move {
        let answer = retry(Replay::Mutation { has_request_id: true }, || {
            let mut c = ordering.ordering();
            let req = gcc_testkit::walk::order(a.customer, &[(offer, 1)], &id);
            async move { c.place_order(req).await }
        })
        .await;
        answer.map(|r| r.into_inner().name).map_err(|s| (s.code(), reason(&s)))
    })
    .await
}

async fn gate(validation: &Connection, a: Account) -> Call {
    timed(Op::Gate, a, String::new(), async move {
        let answer = retry(Replay::Read, || {
            let mut c = validation.validation();
            let req = vpb::CheckEligibilityRequest {
                customer: format!("customers/{}", a.customer),
                offer_families: vec![OfferFamily::Office365 as i32],
                partner: String::new(),
            };
            async move { c.check_eligibility(req).await }
        })
        .await;
        match answer {
            Ok(v) if v.get_ref().eligible => Ok(String::new()),
            // The customer is validated: any other verdict is wrong.
            Ok(v) => Err((Code::Ok, format!("NOT_ELIGIBLE {:?}", v.into_inner().reasons))),
            Err(s) => Err((s.code(), reason(&s))),
        }
    })
    .await
}

async fn read(ordering: &Connection, a: Account, last: Option<&str>) -> Call {
    let last = last.map(str::to_owned);
    timed(Op::Read, a, String::new(), async move {
        let answer = match last {
            Some(name) => {
                retry(Replay::Read, || {
                    let mut c = ordering.ordering();
                    let req = opb::GetOrderRequest { name: name.clone() };
                    async move { c.get_order(req).await.map(|_| ()) }
                })
                .await
            }
            None => {
                retry(Replay::Read, || {
                    let mut c = ordering.ordering();
                    let req = opb::ListOrdersRequest { page_size: 5, ..Default::default() };
                    async move { c.list_orders(req).await.map(|_| ()) }
                })
                .await
            }
        };
        answer.map(|()| String::new()).map_err(|s| (s.code(), reason(&s)))
    })
    .await
}
