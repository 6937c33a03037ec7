//! A certificate authority made for one test, and server certificates it issues, written
//! to files as a server reads them.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

/// A test CA.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate and its key, in PEM and DER.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        Self { issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate") }
    }

    /// The CA certificate in PEM, what a client trusts.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names` (DNS names or IP addresses), with `common_name`.
    pub fn issue(&self, names: &[&str], common_name: &str) -> Issued {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("server certificate parameters");
        params.distinguished_name.push(DnType::CommonName, common_name);
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server certificate");
        Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem(), cert_der: cert.der().to_vec() }
    }
}

/// A folder holding a server's `cert.pem` and `key.pem` and the CA's `ca.pem`.
pub struct TlsFiles {
    dir: tempfile::TempDir,
}

impl TlsFiles {
    pub fn new(ca: &TestCa, server: &Issued) -> Self {
        let files = Self { dir: tempfile::tempdir().expect("temp dir") };
        std::fs::write(files.ca(), ca.pem()).expect("write the CA");
        files.replace(server);
        files
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Puts another certificate in place, as a rotation does: each file is written beside
    /// and renamed over the old one.
    pub fn replace(&self, server: &Issued) {
        let swap = |path: PathBuf, text: &str| {
            let next = path.with_extension("next");
            std::fs::write(&next, text).expect("write");
            std::fs::rename(&next, &path).expect("rename");
        };
        swap(self.key(), &server.key_pem);
        swap(self.cert(), &server.cert_pem);
    }
}

/// A TLS channel to `addr` checking the server's certificate for `name` against `ca_pem`.
pub async fn tls_channel(
    addr: std::net::SocketAddr,
    name: &str,
    ca_pem: &str,
) -> Result<Channel, tonic::transport::Error> {
    let tls = ClientTlsConfig::new().domain_name(name).ca_certificate(Certificate::from_pem(ca_pem));
    Endpoint::from_shared(format!("https://{addr}")).expect("endpoint").tls_config(tls)?.connect().await
}
