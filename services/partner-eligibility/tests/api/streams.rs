//! What a client can hold open is bounded, over real TCP: Watch streams per tenant and
//! in total, health streams, HTTP/2 streams per connection, and the drain before shutdown.
//! (A client that stops reading is cut off: see the platform's `watch_limits` tests.)

use std::time::Duration;

use gcc_platform::TenantId;
use gcc_proto::partner as pb;
use gcc_testkit::{assert_refused, authed};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_types::StatusExt;

use crate::helpers::{Client, TestApp, admin};

const WAIT: Duration = Duration::from_secs(10);

async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f).await.expect("in time")
}

/// Opens a Watch on `name` and reads its first message.
async fn open_watch(
    client: &mut Client,
    name: &str,
    tenant: TenantId,
) -> Result<tonic::Streaming<pb::PartnerValidation>, tonic::Status> {
    let req = pb::WatchPartnerValidationRequest { name: name.to_owned() };
    let mut stream = client.watch_partner_validation(authed(req, &admin(tenant))).await?.into_inner();
    within(stream.message()).await?.expect("the current state first");
    Ok(stream)
}

async fn open_health_watch(ch: Channel) -> Result<tonic::Streaming<HealthCheckResponse>, tonic::Status> {
    let mut stream = HealthClient::new(ch).watch(HealthCheckRequest { service: String::new() }).await?.into_inner();
    within(stream.message()).await?.expect("the current status first");
    Ok(stream)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn limit_of(status: &tonic::Status) -> String {
    status.get_error_details().error_info().and_then(|i| i.metadata.get("limit").cloned()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_beyond_every_limit_are_refused_cleanly_and_memory_stays_bounded() {
    let app = TestApp::spawn_with(&[
        "--watch-streams-per-tenant",
        "4",
        "--watch-streams-total",
        "6",
        "--health-streams-limit",
        "8",
    ])
    .await;
    let (a, b) =
        (app.enrolled(pb::PartnerType::DirectReseller).await, app.enrolled(pb::PartnerType::IndirectProvider).await);
    let (va, vb) = (app.submit(a).await.unwrap().name, app.submit(b).await.unwrap().name);
    let mut client = app.client();
    let rss_before = rss_kib();

    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(open_watch(&mut client, &va, a).await.expect("within the tenant's limit"));
    }
    let err = open_watch(&mut client, &va, a).await.unwrap_err();
    assert_refused(&err, Code::ResourceExhausted, "WATCH_LIMIT_REACHED");
    assert_eq!(limit_of(&err), "per_tenant");
    assert!(err.get_error_details().retry_info().is_some());
    for _ in 0..2 {
        held.push(open_watch(&mut client, &vb, b).await.expect("within the total"));
    }
    let err = open_watch(&mut client, &vb, b).await.unwrap_err();
    assert_refused(&err, Code::ResourceExhausted, "WATCH_LIMIT_REACHED");
    assert_eq!(limit_of(&err), "total");

    let ch = gcc_testkit::channel(app.app.as_ref().unwrap().local_addr()).await;
    let mut health = Vec::new();
    for _ in 0..8 {
        health.push(open_health_watch(ch.clone()).await.expect("within the health stream limit"));
    }
    let err = open_health_watch(ch.clone()).await.unwrap_err();
    assert_refused(&err, Code::ResourceExhausted, "STREAM_LIMIT_REACHED");

    // 5,000 refused attempts, eight at a time, hold nothing.
    let refusals: Vec<_> = (0..8)
        .map(|i| {
            let (mut client, ch, name) = (app.client(), ch.clone(), va.clone());
            tokio::spawn(async move {
                for n in 0..625 {
                    let err = if (i + n) % 2 == 0 {
                        open_watch(&mut client, &name, a).await.unwrap_err()
                    } else {
                        open_health_watch(ch.clone()).await.unwrap_err()
                    };
                    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
                }
            })
        })
        .collect();
    for r in refusals {
        within(r).await.unwrap();
    }
    let grown_mib = rss_kib().saturating_sub(rss_before) as f64 / 1024.0;
    println!(
        "RSS growth after {} open streams and 5,000 refused attempts: {grown_mib:.1} MiB",
        held.len() + health.len()
    );
    assert!(grown_mib < 64.0, "RSS grew by {grown_mib:.1} MiB");

    // Ending a stream frees its slot.
    held.truncate(3);
    health.clear();
    within(async {
        while open_watch(&mut client, &va, a).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A health stream's slot is freed once the server sees it end, not at once.
        while open_health_watch(ch.clone()).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_streams_beyond_the_per_connection_limit_wait_for_a_free_one() {
    let app = TestApp::spawn_with(&["--max-concurrent-streams", "4", "--health-streams-limit", "50"]).await;
    let ch = gcc_testkit::channel(app.app.as_ref().unwrap().local_addr()).await;
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(open_health_watch(ch.clone()).await.unwrap());
    }
    // The server allows four streams on this connection: a fifth is not served...
    let fifth = tokio::spawn(open_health_watch(ch.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!fifth.is_finished(), "a fifth stream was opened on the connection");
    // ...until one of the four ends.
    open.pop();
    within(fifth).await.unwrap().expect("served once a stream is free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_not_serving_during_the_drain_delay_while_calls_still_succeed() {
    let mut app = TestApp::spawn_with(&["--drain-delay", "2s"]).await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let mut health = HealthClient::new(gcc_testkit::channel(app.app.as_ref().unwrap().local_addr()).await);
    let stopping = tokio::spawn(app.app.take().unwrap().shutdown());
    within(async {
        loop {
            let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
            if status == ServingStatus::NotServing as i32 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    app.get_partner(tenant, &admin(tenant)).await.expect("calls are served while draining");
    within(stopping).await.unwrap().expect("shutdown completes after the drain");
}
