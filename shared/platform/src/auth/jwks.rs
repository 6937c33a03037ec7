//! A JSON Web Key Set read from a file or an `http(s)://` URL and refreshed in the
//! background, so that the issuer can rotate its keys without a restart of the servers.
//! Keys are chosen by the token header's `kid`; RS256 and EdDSA keys are used.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use anyhow::Context;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

/// An unknown `kid` refreshes the set early at most this often, so that tokens with
/// made-up key ids cannot turn the servers into a flood against the issuer.
const EARLY_REFRESH_EVERY: Duration = Duration::from_secs(30);
/// Longest wait for the key set's URL.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest key set accepted (a set holds a handful of keys).
const MAX_SET_BYTES: usize = 1 << 20;

/// Where the key set comes from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    File(PathBuf),
    Url(String),
}

type KeyMap = HashMap<String, (DecodingKey, Algorithm)>;

/// The current key set.
pub struct Jwks {
    source: JwksSource,
    keys: RwLock<Arc<KeyMap>>,
    /// When the last early refresh ran; also serialises early refreshes.
    last_early: tokio::sync::Mutex<Option<Instant>>,
    client: reqwest::Client,
}

impl Jwks {
    /// Reads the set once (a failure stops the server from starting), then refreshes it
    /// every `every` for as long as the set is in use.
    pub async fn load(source: JwksSource, every: Duration) -> anyhow::Result<Arc<Self>> {
        if let JwksSource::Url(url) = &source {
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "the JWKS URL must start with http:// or https://"
            );
        }
        let client = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build().context("HTTP client")?;
        let set = Arc::new(Self {
            source,
            keys: RwLock::new(Arc::new(KeyMap::new())),
            last_early: tokio::sync::Mutex::new(None),
            client,
        });
        let n = set.refresh().await.context("cannot read the JWKS")?;
        tracing::info!(keys = n, "token key set loaded");
        tokio::spawn(refresh_periodically(Arc::downgrade(&set), every.max(Duration::from_millis(100))));
        Ok(set)
    }

    /// The key with this `kid`, and its algorithm.
    pub fn key(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).get(kid).cloned()
    }

    /// Re-reads the set now unless an early refresh ran within [`EARLY_REFRESH_EVERY`].
    /// Returns whether the set may have changed (a refresh ran, here or in a concurrent
    /// caller that this one waited for).
    pub async fn refresh_early(&self) -> bool {
        let mut last = self.last_early.lock().await;
        if last.is_some_and(|t| t.elapsed() < EARLY_REFRESH_EVERY) {
            return last.is_some_and(|t| t.elapsed() < Duration::from_secs(1));
        }
        *last = Some(Instant::now());
        match self.refresh().await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "early refresh of the token key set failed; keeping the last one");
                false
            }
        }
    }

    /// Reads the set and replaces the current one; on failure the current set stays.
    pub async fn refresh(&self) -> anyhow::Result<usize> {
        let bytes = match &self.source {
            JwksSource::File(path) => std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
            JwksSource::Url(url) => self.fetch(url).await?,
        };
        anyhow::ensure!(bytes.len() <= MAX_SET_BYTES, "the key set is larger than {MAX_SET_BYTES} bytes");
        let keys = parse_set(&bytes)?;
        let n = keys.len();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
        Ok(n)
    }

    async fn fetch(&self, url: &str) -> anyhow::Result<Vec<u8>> {
        let response = self.client.get(url).send().await.with_context(|| format!("cannot fetch {url}"))?;
        anyhow::ensure!(response.status().is_success(), "{url} answered {}", response.status());
        if response.content_length().is_some_and(|n| n > MAX_SET_BYTES as u64) {
            anyhow::bail!("the key set at {url} is larger than {MAX_SET_BYTES} bytes");
        }
        Ok(response.bytes().await.with_context(|| format!("cannot read {url}"))?.to_vec())
    }
}

async fn refresh_periodically(set: Weak<Jwks>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(set) = set.upgrade() else { return };
        if let Err(e) = set.refresh().await {
            tracing::warn!(error = %format!("{e:#}"), "refresh of the token key set failed; keeping the last one");
        }
    }
}

/// The usable keys of a set: those with a `kid` and an RS256 or EdDSA key. A set
/// without one usable key is an error, so that a broken set never replaces a good one.
fn parse_set(bytes: &[u8]) -> anyhow::Result<KeyMap> {
    let set: JwkSet = serde_json::from_slice(bytes).context("the key set is not a JWKS document")?;
    let mut keys = KeyMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone() else { continue };
        let Some(alg) = algorithm(jwk) else {
            tracing::debug!(kid, "skipping a key that is neither RS256 nor EdDSA");
            continue;
        };
        match DecodingKey::from_jwk(jwk) {
            Ok(key) => {
                keys.insert(kid, (key, alg));
            }
            Err(e) => tracing::warn!(kid, error = %e, "skipping an unusable key"),
        }
    }
    anyhow::ensure!(!keys.is_empty(), "the key set has no usable RS256 or EdDSA key with a kid");
    Ok(keys)
}

/// The algorithm a key is for: its `alg`, or what its type implies when it has none.
fn algorithm(jwk: &Jwk) -> Option<Algorithm> {
    match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::RS256) | None) => Some(Algorithm::RS256),
        (AlgorithmParameters::OctetKeyPair(p), Some(KeyAlgorithm::EdDSA) | None)
            if p.curve == EllipticCurve::Ed25519 =>
        {
            Some(Algorithm::EdDSA)
        }
        _ => None,
    }
}
