//! Server TLS with rustls, for where no mesh sidecar provides it: handshakes run
//! concurrently beside the accept loop (bounded, each within a timeout), and the
//! certificate can be replaced while serving: the files are re-read every
//! `--tls-reload-interval` and on SIGHUP, and new connections get the new certificate.
//! A pair that does not load (a key written before its certificate, say) leaves the
//! current one in place.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use anyhow::Context;
use futures::{Stream, StreamExt};
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::TlsArgs;

/// Longest time a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; past this, new connections wait in the listen backlog.
const MAX_HANDSHAKES: usize = 128;

/// The TLS side of one server: its acceptor and the certificate it presents.
pub struct ServerTls {
    acceptor: TlsAcceptor,
    certificate: Arc<CurrentCertificate>,
    cert_path: PathBuf,
    key_path: PathBuf,
    reload_interval: Duration,
}

impl ServerTls {
    /// The configured TLS, or `None` for plaintext.
    pub fn from_args(args: &TlsArgs) -> anyhow::Result<Option<Self>> {
        match (&args.tls_cert, &args.tls_key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Self::load(cert, key, args.tls_reload_interval).map(Some),
            _ => anyhow::bail!("--tls-cert and --tls-key go together: give both, or neither for plaintext"),
        }
    }

    /// Loads the certificate chain and key; fails if they do not load or do not match.
    pub fn load(cert_path: &Path, key_path: &Path, reload_interval: Duration) -> anyhow::Result<Self> {
        let (cert_pem, key_pem) = read_pair(cert_path, key_path)?;
        let key = certified_key(&cert_pem, &key_pem)
            .with_context(|| format!("TLS certificate {} with key {}", cert_path.display(), key_path.display()))?;
        let certificate =
            Arc::new(CurrentCertificate { key: RwLock::new(Arc::new(key)), seen: RwLock::new((cert_pem, key_pem)) });
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_cert_resolver(certificate.clone());
        // gRPC is HTTP/2 only.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificate,
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            reload_interval: reload_interval.max(Duration::from_millis(10)),
        })
    }

    /// TLS connections from accepted TCP connections. Failed or slow handshakes are
    /// dropped (logged at debug: a client that does not trust us is its own problem).
    /// Also starts the reloader, which stops once the stream is gone.
    pub(super) fn accept<S>(self, tcp: S) -> impl Stream<Item = io::Result<TlsStream<TcpStream>>> + Send + 'static
    where
        S: Stream<Item = io::Result<TcpStream>> + Send + 'static,
    {
        tokio::spawn(reload(
            Arc::downgrade(&self.certificate),
            self.cert_path.clone(),
            self.key_path.clone(),
            self.reload_interval,
        ));
        let acceptor = self.acceptor;
        // The stream holds the certificate: when the server is gone, so is the reloader.
        let certificate = self.certificate;
        tcp.map(move |accepted| {
            let acceptor = acceptor.clone();
            async move {
                let tcp = accepted?;
                let peer = tcp.peer_addr().ok();
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => Ok(Some(tls)),
                    Ok(Err(e)) => {
                        tracing::debug!(?peer, error = %e, "TLS handshake failed");
                        Ok(None)
                    }
                    Err(_) => {
                        tracing::debug!(?peer, "TLS handshake timed out");
                        Ok(None)
                    }
                }
            }
        })
        .buffer_unordered(MAX_HANDSHAKES)
        .filter_map(move |r| {
            let _held = &certificate;
            futures::future::ready(r.transpose())
        })
    }
}

/// The certificate new connections get, and the file contents it was last loaded from
/// (or last failed to load from).
#[derive(Debug)]
struct CurrentCertificate {
    key: RwLock<Arc<CertifiedKey>>,
    seen: RwLock<(Vec<u8>, Vec<u8>)>,
}

impl ResolvesServerCert for CurrentCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.key.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }
}

impl CurrentCertificate {
    /// Loads the files if they changed since last time; true if a new certificate is in use.
    fn refresh(&self, cert_path: &Path, key_path: &Path) -> bool {
        let (cert_pem, key_pem) = match read_pair(cert_path, key_path) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "cannot re-read the TLS certificate; keeping the current one");
                return false;
            }
        };
        {
            let mut seen = self.seen.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            if seen.0 == cert_pem && seen.1 == key_pem {
                return false;
            }
            *seen = (cert_pem.clone(), key_pem.clone());
        }
        match certified_key(&cert_pem, &key_pem) {
            Ok(key) => {
                *self.key.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(key);
                tracing::info!(cert = %cert_path.display(), "TLS certificate reloaded; new connections get it");
                true
            }
            Err(e) => {
                tracing::warn!(
                    cert = %cert_path.display(),
                    error = %format!("{e:#}"),
                    "the changed TLS certificate does not load; keeping the current one"
                );
                false
            }
        }
    }
}

/// Re-reads the files every `interval` and on SIGHUP until the server is gone.
async fn reload(certificate: Weak<CurrentCertificate>, cert_path: PathBuf, key_path: PathBuf, interval: Duration) {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        #[cfg(unix)]
        let hup = async {
            match hangup.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let hup = std::future::pending::<()>();
        tokio::select! {
            _ = tick.tick() => {}
            () = hup => {}
        }
        let Some(current) = certificate.upgrade() else { return };
        current.refresh(&cert_path, &key_path);
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_pair(cert_path: &Path, key_path: &Path) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let cert = std::fs::read(cert_path).with_context(|| format!("cannot read {}", cert_path.display()))?;
    let key = std::fs::read(key_path).with_context(|| format!("cannot read {}", key_path.display()))?;
    Ok((cert, key))
}

/// A certificate chain with its key, checked to belong together.
fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("the certificate file is not PEM: {e}"))?;
    anyhow::ensure!(!chain.is_empty(), "the certificate file holds no certificate");
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| anyhow::anyhow!("the key file holds no private key: {e}"))?;
    let signing =
        provider().key_provider.load_private_key(key).map_err(|e| anyhow::anyhow!("unsupported private key: {e}"))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| anyhow::anyhow!("the key does not belong to the certificate: {e}"))?;
    Ok(certified)
}
