//! Bearer tokens: their claims, and minting them (for the development key, tools and
//! tests). Verifying them is the servers' business (`gcc_platform::auth`).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// The claims a token carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub tid: String,
    pub sub: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub aud: String,
    pub iss: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// Mints tokens: for the development key and for tests.
pub struct Signer {
    key: EncodingKey,
    alg: Algorithm,
    pub audience: String,
    pub issuer: String,
}

impl Signer {
    pub fn hs256(secret: &[u8], audience: &str, issuer: &str) -> Self {
        Self {
            key: EncodingKey::from_secret(secret),
            alg: Algorithm::HS256,
            audience: audience.to_owned(),
            issuer: issuer.to_owned(),
        }
    }

    pub fn with_key(key: EncodingKey, alg: Algorithm, audience: &str, issuer: &str) -> Self {
        Self { key, alg, audience: audience.to_owned(), issuer: issuer.to_owned() }
    }

    /// A token for `tenant` with `roles`, valid for `ttl_secs` (negative: already expired).
    pub fn token(&self, tenant: &str, subject: &str, roles: &[Role], ttl_secs: i64) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let claims = Claims {
            tid: tenant.to_owned(),
            sub: subject.to_owned(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            aud: self.audience.clone(),
            iss: self.issuer.clone(),
            exp: u64::try_from(now + ttl_secs).unwrap_or(0),
            iat: u64::try_from(now).ok(),
            nbf: None,
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        self.sign_with_kid(claims, None)
    }

    /// Signs with a `kid` in the header, as an issuer that publishes a JWKS does.
    pub fn sign_with_kid(&self, claims: &Claims, kid: Option<&str>) -> String {
        let mut header = Header::new(self.alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.key).unwrap_or_default()
    }
}
