//! Calls to a dependency over real TCP: relationships asks partner-eligibility (one
//! lookup per customer it creates) over https:// with a CA the test made; and, without a
//! mesh, spreads those calls over two replicas behind one name.
//!
//! What the balancing test proves: with `--dependency-balance dns`, a service re-resolves
//! its dependency's name and spreads calls over every address of the answer, following
//! the answer as it changes. The name is resolved by a resolver the test controls (one
//! name cannot resolve to two local servers through the system resolver without editing
//! /etc/hosts); that the system resolver returns every address of a headless Service is
//! getaddrinfo's behaviour, not shown here. Which replica took a call is counted by a
//! TCP forwarder in front of each one, which counts HTTP/2 request HEADERS frames: one
//! per gRPC call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use clap::Parser;
use gcc_client::dependency::{Resolver, StaticResolver};
use gcc_platform::TenantId;
use gcc_platform::time::SystemClock;
use gcc_proto::partner as ppb;
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::relationships as rpb;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_testkit::pki::{TestCa, TlsFiles, tls_channel};
use gcc_testkit::walk::{InvitationKeyFile, admin, company_profile, enrollment};
use gcc_testkit::{
    POSTGRES_ENV, REVIEWER_TENANT, TestDb, assert_refused, authed, channel, eventually_eq, listener, verifier,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tonic::transport::Channel;

fn postgres() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())
}

async fn partner_server(db: &TestDb, extra: &[&str]) -> partner_eligibility::Application {
    let mut argv = vec!["partner-eligibility", "--database-url", &db.url, "--reviewer-tenants", REVIEWER_TENANT];
    argv.extend_from_slice(extra);
    let config = partner_eligibility::Config::try_parse_from(argv).expect("partner-eligibility flags");
    partner_eligibility::build(&config, listener().await, Arc::new(SystemClock), verifier()).await.expect("starts")
}

fn relationships_config(db: &TestDb, key: &InvitationKeyFile, extra: &[&str]) -> relationships::Config {
    let key = key.path().display().to_string();
    let mut argv = vec!["relationships", "--database-url", &db.url, "--invitation-key-file", &key];
    argv.extend_from_slice(extra);
    relationships::Config::try_parse_from(argv).expect("relationships flags")
}

async fn enroll(partners: Channel) -> TenantId {
    let tenant = TenantId::random();
    let req = enrollment(tenant, ppb::PartnerType::DirectReseller, None);
    PartnerEligibilityServiceClient::new(partners).enroll_partner(authed(req, &admin(tenant))).await.expect("enroll");
    tenant
}

/// CreateCustomer, which asks partner-eligibility who the caller is.
async fn create_customer(relationships: &Channel, partner: TenantId) -> Result<rpb::Customer, tonic::Status> {
    let domain = format!("agency-{}.example.gov", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let req = rpb::CreateCustomerRequest {
        customer: Some(rpb::Customer { company_profile: Some(company_profile(&domain)), ..Default::default() }),
        request_id: String::new(),
    };
    let mut client = RelationshipsServiceClient::new(relationships.clone());
    let call = client.create_customer(authed(req, &admin(partner)));
    Ok(tokio::time::timeout(Duration::from_secs(10), call).await.expect("an answer within 10 s")?.into_inner())
}

#[tokio::test]
async fn a_service_calls_its_dependency_over_https_trusting_the_configured_ca() {
    let pg = postgres();
    let ca = TestCa::new("GCC test CA");
    let files = TlsFiles::new(&ca, &ca.issue(&["localhost"], "partner-eligibility"));
    let (cert, key) = (files.cert().display().to_string(), files.key().display().to_string());
    let partner_db = TestDb::fresh_on(pg.as_deref()).await;
    let partner = partner_server(&partner_db, &["--tls-cert", &cert, "--tls-key", &key]).await;
    let partners = tls_channel(partner.local_addr(), "localhost", &ca.pem()).await.expect("TLS to partner-eligibility");
    let tenant = enroll(partners).await;

    let endpoint = format!("https://localhost:{}", partner.local_addr().port());
    let ca_file = files.ca().display().to_string();
    let invitation_key = InvitationKeyFile::new();
    let db = TestDb::fresh_on(pg.as_deref()).await;
    let trusting = relationships_config(
        &db,
        &invitation_key,
        &["--partner-endpoint", &endpoint, "--dependency-ca-file", &ca_file],
    );
    let rel = relationships::build(&trusting, listener().await, Arc::new(SystemClock), verifier()).await.unwrap();
    let customer = create_customer(&channel(rel.local_addr()).await, tenant).await.expect("created over https");
    assert!(!customer.tenant_id.is_empty());
    rel.shutdown().await.unwrap();

    // Without the CA (the public roots only), the dependency is not trusted: the caller
    // is told it is unavailable, and nothing is written.
    let db = TestDb::fresh_on(pg.as_deref()).await;
    let public_roots = relationships_config(&db, &invitation_key, &["--partner-endpoint", &endpoint]);
    let rel = relationships::build(&public_roots, listener().await, Arc::new(SystemClock), verifier()).await.unwrap();
    let refused = create_customer(&channel(rel.local_addr()).await, tenant).await.expect_err("untrusted dependency");
    assert_refused(&refused, tonic::Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    assert_eq!(gcc_testkit::count_rows(&db.url, "customers").await, 0);
    rel.shutdown().await.unwrap();
    partner.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_dependency_tls_settings_stop_the_start_with_a_clear_message() {
    let db = TestDb::fresh_on(postgres().as_deref()).await;
    let key = InvitationKeyFile::new();
    let dir = tempfile_dir();
    let not_pem = dir.join("ca.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let not_pem = not_pem.display().to_string();
    let config = relationships_config(
        &db,
        &key,
        &["--partner-endpoint", "https://partners.example:443", "--dependency-ca-file", &not_pem],
    );
    let err = relationships::build(&config, listener().await, Arc::new(SystemClock), verifier()).await.err().unwrap();
    assert!(format!("{err:#}").contains("--dependency-ca-file: the CA file holds no PEM certificate"), "{err:#}");

    let config = relationships_config(&db, &key, &["--partner-endpoint", "ftp://partners.example"]);
    let err = relationships::build(&config, listener().await, Arc::new(SystemClock), verifier()).await.err().unwrap();
    assert!(format!("{err:#}").contains("must start with http:// or https://"), "{err:#}");

    let err = partner_eligibility::Config::try_parse_from(["partner-eligibility", "--tls-cert", "cert.pem"])
        .expect_err("a certificate without its key is refused");
    assert!(err.to_string().contains("--tls-key"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gcc-deps-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A TCP forwarder to `upstream` that counts the gRPC calls it carries.
struct CountingProxy {
    addr: SocketAddr,
    calls: Arc<AtomicI64>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingProxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let calls = Arc::new(AtomicI64::new(0));
        let counter = calls.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else { continue };
                let (client_read, mut client_write) = client.into_split();
                let (mut server_read, server_write) = server.into_split();
                tokio::spawn(count_requests(client_read, server_write, counter.clone()));
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                });
            }
        });
        Self { addr, calls, task }
    }

    fn calls(&self) -> i64 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Forwards the client's HTTP/2 bytes, counting request HEADERS frames (type 1): a
/// client sends exactly one per call (gRPC clients send no trailers).
async fn count_requests(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    calls: Arc<AtomicI64>,
) {
    let mut preface = [0u8; 24];
    if from.read_exact(&mut preface).await.is_err() || to.write_all(&preface).await.is_err() {
        return;
    }
    loop {
        let mut head = [0u8; 9];
        if from.read_exact(&mut head).await.is_err() {
            return;
        }
        let len = (usize::from(head[0]) << 16) | (usize::from(head[1]) << 8) | usize::from(head[2]);
        let mut payload = vec![0u8; len];
        if from.read_exact(&mut payload).await.is_err() {
            return;
        }
        if head[3] == 0x1 {
            calls.fetch_add(1, Ordering::SeqCst);
        }
        if to.write_all(&head).await.is_err() || to.write_all(&payload).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn calls_spread_over_every_address_of_the_dependency_name_and_follow_its_changes() {
    let pg = postgres();
    // Two replicas of partner-eligibility on one database, each behind a counter.
    let partner_db = TestDb::fresh_on(pg.as_deref()).await;
    let first = partner_server(&partner_db, &[]).await;
    let second = partner_server(&partner_db, &[]).await;
    let tenant = enroll(channel(first.local_addr()).await).await;
    let (a, b) = (CountingProxy::start(first.local_addr()).await, CountingProxy::start(second.local_addr()).await);

    // One name for both; relationships re-resolves it every 50 ms.
    let names = StaticResolver::default();
    names.set("partner-eligibility.gcc.svc", vec![a.addr, b.addr]);
    let db = TestDb::fresh_on(pg.as_deref()).await;
    let key = InvitationKeyFile::new();
    let mut config = relationships_config(
        &db,
        &key,
        &[
            "--partner-endpoint",
            "http://partner-eligibility.gcc.svc:50051",
            "--dependency-balance",
            "dns",
            "--dependency-resolve-interval",
            "50ms",
        ],
    );
    config.dependencies.resolver = Some(Resolver::new(names.clone()));
    let rel = relationships::build(&config, listener().await, Arc::new(SystemClock), verifier()).await.unwrap();
    let rel_channel = channel(rel.local_addr()).await;

    const CALLS: i64 = 40;
    for _ in 0..CALLS {
        create_customer(&rel_channel, tenant).await.expect("created");
    }
    let (on_a, on_b) = (a.calls(), b.calls());
    assert_eq!(on_a + on_b, CALLS, "one lookup per customer");
    // Power of two choices over two idle replicas: each gets a share. The chance that 40
    // calls all go one way is far below one in a billion.
    assert!(on_a > 0 && on_b > 0, "both replicas were called: {on_a} and {on_b}");

    // The name now has only the second replica: calls stop reaching the first.
    names.set("partner-eligibility.gcc.svc", vec![b.addr]);
    let rel_for_batch = rel_channel.clone();
    let a_calls = a.calls.clone();
    let batch_on_a = || {
        let (ch, a_calls) = (rel_for_batch.clone(), a_calls.clone());
        async move {
            let before = a_calls.load(Ordering::SeqCst);
            for _ in 0..10 {
                create_customer(&ch, tenant).await.expect("created");
            }
            a_calls.load(Ordering::SeqCst) - before
        }
    };
    assert_eq!(eventually_eq(0, batch_on_a).await, 0, "the removed address gets no calls");
    let before = (a.calls(), b.calls());
    for _ in 0..CALLS {
        create_customer(&rel_channel, tenant).await.expect("created");
    }
    assert_eq!((a.calls(), b.calls()), (before.0, before.1 + CALLS), "all calls on the remaining replica");

    // And back: the first replica is called again.
    names.set("partner-eligibility.gcc.svc", vec![a.addr, b.addr]);
    let a_calls = a.calls.clone();
    let batch_reaches_a = || {
        let (ch, a_calls) = (rel_channel.clone(), a_calls.clone());
        async move {
            let before = a_calls.load(Ordering::SeqCst);
            for _ in 0..10 {
                create_customer(&ch, tenant).await.expect("created");
            }
            i64::from(a_calls.load(Ordering::SeqCst) > before)
        }
    };
    assert_eq!(eventually_eq(1, batch_reaches_a).await, 1, "the returned address is called again");

    rel.shutdown().await.unwrap();
    first.shutdown().await.unwrap();
    second.shutdown().await.unwrap();
}
