//! Server TLS over real TCP, with a CA and certificates made by the test: a client that
//! trusts the CA is served; one that does not, or that speaks plaintext, is refused with
//! a clear error and the server keeps serving; a replaced certificate reaches new
//! connections without a restart while the old ones keep working; and a TLS server still
//! drains and stops on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use gcc_platform::config::LimitArgs;
use gcc_platform::runtime::{RuntimeConfig, ServerBuilder, ServerHandle, ServerTls};
use gcc_testkit::pki::{Issued, TestCa, TlsFiles, tls_channel};
use gcc_testkit::{eventually_eq, listener};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[derive(Parser)]
struct Limits {
    #[command(flatten)]
    limits: LimitArgs,
}

async fn tls_server(files: &TlsFiles) -> ServerHandle {
    let config = RuntimeConfig {
        domain: "gcc.test.v1",
        request_timeout: Duration::from_secs(5),
        concurrency_limit: 16,
        shutdown_grace: Duration::from_secs(2),
        limits: Limits::parse_from(["test"]).limits,
        service: "tls-test",
        metrics: gcc_platform::metrics::Metrics::disabled(),
    };
    let tls = ServerTls::load(&files.cert(), &files.key(), Duration::from_millis(50)).expect("TLS loads");
    ServerBuilder::new(config).unwrap().tls(Some(tls)).start(listener().await, None).await.expect("server starts")
}

async fn health(channel: tonic::transport::Channel) -> Result<i32, tonic::Status> {
    let mut client = HealthClient::new(channel);
    let answer =
        tokio::time::timeout(Duration::from_secs(5), client.check(HealthCheckRequest { service: String::new() }))
            .await
            .expect("an answer within 5 s")?;
    Ok(answer.into_inner().status)
}

/// The certificate a new TLS connection to `addr` is shown (checked against `ca_pem` for
/// `localhost`).
async fn presented(addr: SocketAddr, ca_pem: &str) -> Vec<u8> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap().to_owned();
    let tls = tokio::time::timeout(Duration::from_secs(5), connector.connect(name, tcp)).await.unwrap().unwrap();
    tls.get_ref().1.peer_certificates().expect("a certificate")[0].to_vec()
}

fn pki() -> (TestCa, Issued) {
    let ca = TestCa::new("GCC test CA");
    let server = ca.issue(&["localhost", "127.0.0.1"], "first");
    (ca, server)
}

#[tokio::test]
async fn a_client_trusting_the_ca_is_served_over_tls() {
    let (ca, server) = pki();
    let files = TlsFiles::new(&ca, &server);
    let s = tls_server(&files).await;
    let channel = tls_channel(s.local_addr(), "localhost", &ca.pem()).await.expect("TLS connection");
    assert_eq!(health(channel).await.unwrap(), ServingStatus::Serving as i32);
    // The certificate's IP address name serves clients that dial the address.
    let channel = tls_channel(s.local_addr(), "127.0.0.1", &ca.pem()).await.expect("TLS connection by address");
    assert_eq!(health(channel).await.unwrap(), ServingStatus::Serving as i32);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn clients_that_do_not_trust_the_server_or_speak_plaintext_are_refused_and_others_still_served() {
    let (ca, server) = pki();
    let files = TlsFiles::new(&ca, &server);
    let s = tls_server(&files).await;

    let stranger = TestCa::new("another CA");
    let err = tls_channel(s.local_addr(), "localhost", &stranger.pem()).await.expect_err("untrusted");
    let shown = format!("{:?}", std::error::Error::source(&err));
    assert!(shown.contains("InvalidCertificate(UnknownIssuer)"), "{shown}");

    let err = tls_channel(s.local_addr(), "gcc.example", &ca.pem()).await.expect_err("wrong name");
    let shown = format!("{:?}", std::error::Error::source(&err));
    assert!(shown.contains("InvalidCertificate(NotValidForName"), "{shown}");

    let plain = tonic::transport::Endpoint::from_shared(format!("http://{}", s.local_addr()))
        .unwrap()
        .connect_timeout(Duration::from_secs(2))
        .connect_lazy();
    // The client reads the server's TLS alert as a broken HTTP/2 frame: a transport error.
    let status = health(plain).await.expect_err("plaintext is not served");
    assert!(
        matches!(status.code(), tonic::Code::Internal | tonic::Code::Unavailable)
            && std::error::Error::source(&status).is_some(),
        "{status:?}"
    );

    let channel = tls_channel(s.local_addr(), "localhost", &ca.pem()).await.expect("TLS connection");
    assert_eq!(health(channel).await.unwrap(), ServingStatus::Serving as i32);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_replaced_certificate_reaches_new_connections_without_a_restart() {
    let (ca, first) = pki();
    let files = TlsFiles::new(&ca, &first);
    let s = tls_server(&files).await;
    assert_eq!(presented(s.local_addr(), &ca.pem()).await, first.cert_der);
    let old = tls_channel(s.local_addr(), "localhost", &ca.pem()).await.expect("TLS connection");
    assert_eq!(health(old.clone()).await.unwrap(), ServingStatus::Serving as i32);

    // A rotation: a new key and certificate from the same CA, renamed into place.
    let second = ca.issue(&["localhost"], "second");
    files.replace(&second);
    let addr = s.local_addr();
    let pem = ca.pem();
    let is_second = || async { i64::from(presented(addr, &pem).await == second.cert_der) };
    assert_eq!(eventually_eq(1, is_second).await, 1, "a new connection gets the new certificate");
    // The connection made before goes on.
    assert_eq!(health(old).await.unwrap(), ServingStatus::Serving as i32);

    // A broken pair (the first key with the second certificate) is not taken: the second
    // certificate stays.
    std::fs::write(files.key(), &first.key_pem).unwrap();
    // Nothing to wait for when nothing should happen: give the reloader a few rounds.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(presented(addr, &pem).await, second.cert_der, "the broken pair is not taken");
    let third = ca.issue(&["localhost"], "third");
    // Then a good pair again is.
    files.replace(&third);
    let is_third = || async { i64::from(presented(addr, &pem).await == third.cert_der) };
    assert_eq!(eventually_eq(1, is_third).await, 1);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_bad_certificate_or_key_stops_the_start_with_a_clear_message() {
    let (ca, server) = pki();
    let files = TlsFiles::new(&ca, &server);
    let other = ca.issue(&["localhost"], "other");
    std::fs::write(files.key(), other.key_pem).unwrap();
    let err = ServerTls::load(&files.cert(), &files.key(), Duration::from_secs(1)).err().expect("mismatch refused");
    assert!(format!("{err:#}").contains("the key does not belong to the certificate"), "{err:#}");

    std::fs::write(files.cert(), "not a certificate").unwrap();
    let err = ServerTls::load(&files.cert(), &files.key(), Duration::from_secs(1)).err().expect("no certificate");
    assert!(format!("{err:#}").contains("holds no certificate"), "{err:#}");

    let missing = files.dir().join("missing.pem");
    let err = ServerTls::load(&missing, &files.key(), Duration::from_secs(1)).err().expect("missing file");
    assert!(format!("{err:#}").contains("cannot read"), "{err:#}");
}

#[tokio::test]
async fn a_tls_server_with_an_open_connection_shuts_down_within_its_grace() {
    let (ca, server) = pki();
    let files = TlsFiles::new(&ca, &server);
    let s = tls_server(&files).await;
    let addr = s.local_addr();
    let channel = tls_channel(addr, "localhost", &ca.pem()).await.expect("TLS connection");
    assert_eq!(health(channel.clone()).await.unwrap(), ServingStatus::Serving as i32);
    tokio::time::timeout(Duration::from_secs(5), s.shutdown()).await.expect("stops within the grace").unwrap();
    let refused = tokio::net::TcpStream::connect(addr).await.expect_err("no longer accepting");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "{refused}");
}
