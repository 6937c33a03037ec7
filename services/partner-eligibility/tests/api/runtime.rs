//! The shared runtime as a client sees it: load shedding, deadlines, unknown methods,
//! and a graceful shutdown that drains in-flight calls.

use std::time::Duration;

use gcc_platform::TenantId;
use gcc_proto::partner as pb;
use gcc_testkit::{assert_refused, authed};
use sqlx::{Connection, Executor};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_types::StatusExt;

use crate::helpers::{TestApp, admin};

/// Holds the database's write lock until dropped or released, so that a write stays in
/// flight for as long as a test needs.
struct WriteLock(sqlx::AnyConnection);

impl WriteLock {
    async fn take(url: &str) -> Self {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        if url.starts_with("sqlite") {
            conn.execute("BEGIN IMMEDIATE").await.unwrap();
        } else {
            conn.execute("BEGIN").await.unwrap();
            conn.execute("LOCK TABLE partners IN ACCESS EXCLUSIVE MODE").await.unwrap();
        }
        Self(conn)
    }

    async fn release(mut self) {
        self.0.execute("ROLLBACK").await.unwrap();
    }
}

/// Enrolls `tenant`, again while shed: a probe of [`shed_probe`] may hold the only slot
/// for the moment it takes to refuse.
async fn enroll_until_admitted(
    mut client: pb::partner_eligibility_service_client::PartnerEligibilityServiceClient<tonic::transport::Channel>,
    tenant: TenantId,
) -> Result<tonic::Response<pb::Partner>, tonic::Status> {
    loop {
        match client.enroll_partner(authed(enroll_req(), &admin(tenant))).await {
            Err(e) if e.code() == Code::ResourceExhausted => tokio::time::sleep(Duration::from_millis(10)).await,
            other => return other,
        }
    }
}

/// Calls without a token (refused before any database work, so they never wait on the
/// lock) until one is shed: the slow call then holds the only slot. Its refusal.
async fn shed_probe(app: &TestApp) -> tonic::Status {
    let probe = async {
        loop {
            let req = tonic::Request::new(pb::GetPartnerRequest { name: format!("partners/{}", TenantId::random()) });
            match app.client().get_partner(req).await {
                Err(e) if e.code() == Code::ResourceExhausted => return e,
                _ => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), probe).await.expect("the slow call holds the slot within 10 s")
}

fn enroll_req() -> pb::EnrollPartnerRequest {
    pb::EnrollPartnerRequest {
        partner: Some(pb::Partner {
            legal_name: "Contoso".into(),
            partner_type: pb::PartnerType::DirectReseller as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_concurrency_limit_are_shed_with_retry_info() {
    let app = TestApp::spawn_with(&["--concurrency-limit", "1"]).await;
    let tenant = TenantId::random();
    let lock = WriteLock::take(&app.db_url).await;
    let slow = tokio::spawn(enroll_until_admitted(app.client(), tenant));

    // Once the slow call holds the only slot, every other call is shed at once.
    let shed = shed_probe(&app).await;
    assert_refused(&shed, Code::ResourceExhausted, "OVERLOADED");
    assert!(shed.get_error_details().retry_info().is_some());

    lock.release().await;
    slow.await.unwrap().expect("the admitted call completes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_the_request_timeout_is_deadline_exceeded_and_writes_nothing() {
    let app = TestApp::spawn_with(&["--request-timeout", "300ms"]).await;
    let lock = WriteLock::take(&app.db_url).await;
    let err = app.client().enroll_partner(authed(enroll_req(), &admin(TenantId::random()))).await.unwrap_err();
    assert_refused(&err, Code::DeadlineExceeded, "DEADLINE_EXCEEDED");
    lock.release().await;
    assert_eq!(app.count("partners").await, 0);
}

#[tokio::test]
async fn an_unknown_method_is_unimplemented_with_a_reason() {
    let app = TestApp::spawn().await;
    let addr = app.app.as_ref().unwrap().local_addr();
    let mut grpc = tonic::client::Grpc::new(gcc_testkit::channel(addr).await);
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/gcc.partner.v1.PartnerEligibilityService/DropEverything");
    let codec = tonic_prost::ProstCodec::<pb::GetPartnerRequest, pb::Partner>::default();
    let tenant = TenantId::random();
    let err = grpc.unary(authed(pb::GetPartnerRequest::default(), &admin(tenant)), path, codec).await.unwrap_err();
    assert_refused(&err, Code::Unimplemented, "METHOD_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_calls_finish() {
    let mut app = TestApp::spawn_with(&["--concurrency-limit", "1"]).await;
    let tenant = TenantId::random();
    let lock = WriteLock::take(&app.db_url).await;
    let slow = tokio::spawn(enroll_until_admitted(app.client(), tenant));
    // Wait until the slow call is admitted (it then holds the only slot).
    assert_refused(&shed_probe(&app).await, Code::ResourceExhausted, "OVERLOADED");
    let server = app.app.take().unwrap();
    let mut health = HealthClient::new(gcc_testkit::channel(server.local_addr()).await);
    let stopping = tokio::spawn(server.shutdown());
    // Shutdown has begun once health stops answering SERVING; the call is still in flight.
    let begun = async {
        loop {
            match health.check(HealthCheckRequest { service: String::new() }).await {
                Ok(r) if r.get_ref().status == ServingStatus::Serving as i32 => {
                    tokio::time::sleep(Duration::from_millis(10)).await
                }
                _ => break,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), begun).await.expect("shutdown begins within 10 s");
    assert!(!slow.is_finished(), "the slow call waits for the lock");
    lock.release().await;
    let enrolled = slow.await.unwrap().expect("the in-flight call completes during shutdown").into_inner();
    assert_eq!(enrolled.tenant_id, tenant.to_string());
    stopping.await.unwrap().expect("shutdown completes");
}
