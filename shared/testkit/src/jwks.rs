//! Test-only token keys (committed under `fixtures/`, never used outside tests) and a
//! tiny HTTP server that publishes a JWKS, so that key rotation can be shown over TCP.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use gcc_platform::auth::{Claims, Signer};
use jsonwebtoken::{Algorithm, EncodingKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{AUDIENCE, ISSUER};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

/// A test key: signs tokens with its `kid`, and is published as its JWK.
pub struct TestKey {
    pub kid: &'static str,
    signer: Signer,
    pub jwk: String,
}

impl TestKey {
    /// `ed25519-a`, `ed25519-b` (EdDSA) or `rsa-a` (RS256), from the fixtures.
    pub fn load(name: &str) -> Self {
        let pem = std::fs::read(format!("{FIXTURES}/{name}.pem")).expect("fixture key");
        let jwk = std::fs::read_to_string(format!("{FIXTURES}/{name}.jwk.json")).expect("fixture jwk");
        let (key, alg) = if name.starts_with("rsa") {
            (EncodingKey::from_rsa_pem(&pem).expect("rsa key"), Algorithm::RS256)
        } else {
            (EncodingKey::from_ed_pem(&pem).expect("ed25519 key"), Algorithm::EdDSA)
        };
        let kid = match name {
            "ed25519-a" => "ed-a",
            "ed25519-b" => "ed-b",
            _ => "rsa-a",
        };
        Self { kid, signer: Signer::with_key(key, alg, AUDIENCE, ISSUER), jwk: jwk.trim().to_owned() }
    }

    /// Signs `claims` with this key's `kid` in the header.
    pub fn sign(&self, claims: &Claims) -> String {
        self.signer.sign_with_kid(claims, Some(self.kid))
    }
}

/// A JWKS document of `keys`.
pub fn key_set(keys: &[&TestKey]) -> String {
    let keys: Vec<&str> = keys.iter().map(|k| k.jwk.as_str()).collect();
    format!("{{\"keys\":[{}]}}", keys.join(","))
}

/// Serves one JWKS document at any path over HTTP/1.1 on 127.0.0.1; the document can be
/// replaced while it runs. Stops when dropped.
pub struct JwksServer {
    pub addr: SocketAddr,
    body: Arc<Mutex<String>>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub async fn start(document: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let body = Arc::new(Mutex::new(document));
        let served = body.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let served = served.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = served.lock().expect("body").clone();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { addr, body, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/.well-known/jwks.json", self.addr)
    }

    /// Publishes another document from now on.
    pub fn publish(&self, document: String) {
        *self.body.lock().expect("body") = document;
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
