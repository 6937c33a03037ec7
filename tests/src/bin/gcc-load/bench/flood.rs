//! The `flood` row: PlaceOrder alone, beside a flood of health checks, and beside the same
//! rate of refused calls (each an audited denial), in one run.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gcc_e2e::steps::order;
use tonic::transport::Channel;

use super::{Args, Run, load};

/// PlaceOrder at the highest level of concurrency asked for, alone and then beside a
/// flood of refused calls at a fixed rate: refusals must not slow admitted calls down.
pub(crate) fn row(
    rt: &tokio::runtime::Runtime,
    args: &Args,
    addr: SocketAddr,
    customer: gcc_platform::TenantId,
    token: String,
) -> anyhow::Result<()> {
    let n = args.in_flight.iter().copied().max().unwrap_or(16);
    println!(
        "\nPlaceOrder at {n} in flight, alone and beside {} refused calls/s (ROLE_REQUIRED, audited)",
        args.flood_rate
    );
    let place = move |ch: Channel| {
        let token = token.clone();
        async move {
            let mut c = gcc_proto::ordering::ordering_service_client::OrderingServiceClient::new(ch);
            let req = order(customer, &[("o365-g3-gcc", 10)], &uuid::Uuid::new_v4().to_string());
            c.place_order(gcc_testkit::authed(req, &token)).await?;
            Ok(())
        }
    };
    let alone = rt.block_on(load(addr, n, args, place.clone()))?;
    // The same rate of calls that cost nothing (health checks) first: on a 2-core box
    // any call stream takes CPU from the orders, and the difference between the two
    // floods is what a refusal costs beyond a call.
    let (beside_bare, _) = beside(rt, args, addr, n, customer, Flood::Bare, place.clone())?;
    let (beside, refused) = beside(rt, args, addr, n, customer, Flood::Refused, place)?;
    let secs = (args.warmup + args.duration).as_secs_f64();
    println!("| run | orders/s | p50 ms | p99 ms | errors | refused calls/s |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| alone | {:.0} | {:.2} | {:.2} | {} | — |",
        alone.rate(),
        alone.ms(0.5),
        alone.ms(0.99),
        alone.errors.len()
    );
    println!(
        "| beside {} health checks/s | {:.0} | {:.2} | {:.2} | {} | — |",
        args.flood_rate,
        beside_bare.rate(),
        beside_bare.ms(0.5),
        beside_bare.ms(0.99),
        beside_bare.errors.len()
    );
    println!(
        "| beside the flood | {:.0} | {:.2} | {:.2} | {} | {:.0} |",
        beside.rate(),
        beside.ms(0.5),
        beside.ms(0.99),
        beside.errors.len(),
        refused as f64 / secs
    );
    println!(
        "orders/s with ÷ without the flood: {:.2}; p99 with ÷ without: {:.2}; orders/s beside refusals ÷ beside \
         health checks: {:.2}",
        beside.rate() / alone.rate(),
        beside.ms(0.99) / alone.ms(0.99),
        beside.rate() / beside_bare.rate()
    );
    Ok(())
}

/// Which calls a flood sends.
#[derive(Clone, Copy)]
enum Flood {
    Bare,
    Refused,
}

/// `place` in closed loop beside a `flood` of calls; the run and the flood's count.
fn beside<F, Fut>(
    rt: &tokio::runtime::Runtime,
    args: &Args,
    addr: SocketAddr,
    n: usize,
    customer: gcc_platform::TenantId,
    flood: Flood,
    place: F,
) -> anyhow::Result<(Run, u64)>
where
    F: Fn(Channel) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send,
{
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let calls = rt.spawn(refused_calls(addr, args.flood_rate, args.connections.max(1), customer, flood, stop.clone()));
    let run = rt.block_on(load(addr, n, args, place))?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    Ok((run, rt.block_on(calls)??))
}

/// Sends PlaceOrder calls with a token that lacks the role (or health checks), `rate` per second in open
/// loop over their own connections, until `stop`; at most 512 in flight. Returns how
/// many were refused with PERMISSION_DENIED.
async fn refused_calls(
    addr: SocketAddr,
    rate: u64,
    connections: usize,
    customer: gcc_platform::TenantId,
    flood: Flood,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<u64> {
    let mut channels = Vec::new();
    for _ in 0..connections {
        channels.push(Channel::from_shared(format!("http://{addr}"))?.tcp_nodelay(true).connect().await?);
    }
    let intruder = gcc_testkit::token(gcc_platform::TenantId::random(), &[gcc_platform::Role::CustomerAdmin]);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(512));
    let refused = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut i = 0usize;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        tick.tick().await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else { continue };
        let mut c =
            gcc_proto::ordering::ordering_service_client::OrderingServiceClient::new(channels[i % connections].clone());
        i += 1;
        let (token, refused) = (intruder.clone(), refused.clone());
        let health = tonic_health::pb::health_client::HealthClient::new(channels[(i - 1) % connections].clone());
        tokio::spawn(async move {
            let req = order(customer, &[("o365-g3-gcc", 10)], &uuid::Uuid::new_v4().to_string());
            let counted = match flood {
                Flood::Refused => c
                    .place_order(gcc_testkit::authed(req, &token))
                    .await
                    .is_err_and(|e| e.code() == tonic::Code::PermissionDenied),
                Flood::Bare => {
                    let mut h = health;
                    h.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.is_ok()
                }
            };
            if counted {
                refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            drop(permit);
        });
    }
    Ok(refused.load(std::sync::atomic::Ordering::Relaxed))
}
