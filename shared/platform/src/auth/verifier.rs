//! Verifies bearer tokens: one configured key or a rotating JWKS, the audience and
//! issuer, `exp` and `nbf`, a maximum lifetime, and who may hold the reviewer role.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};

use super::jwks::Jwks;
use super::{Caller, Claims, Role, unauthenticated};
use crate::error::Problem;
use crate::ids::TenantId;

/// Clock skew tolerated on `exp` and `nbf` between the issuer and this server.
const LEEWAY_SECS: u64 = 30;
/// How long a verified token is taken at its word again without checking its signature,
/// and how many such tokens are kept: a caller's every call no longer pays for the HMAC
/// or signature check and the JSON of its token, and a flood of calls with one token
/// costs little more than the calls themselves.
const VERIFIED_TTL: Duration = Duration::from_secs(30);
const VERIFIED_CAPACITY: usize = 10_000;
/// The lifetime limit when none is configured.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The key that verifies tokens.
#[derive(Clone)]
pub enum VerifyingKey {
    Hs256(Vec<u8>),
    Rs256Pem(Vec<u8>),
    EdDsaPem(Vec<u8>),
    /// A key set chosen by the token's `kid`, refreshed in the background.
    Jwks(Arc<Jwks>),
}

enum Keys {
    One(DecodingKey, Algorithm),
    Set(Arc<Jwks>),
}

/// Verifies bearer tokens against its keys, audience and issuer.
pub struct Verifier {
    keys: Keys,
    audience: String,
    issuer: String,
    max_lifetime: Duration,
    /// The only tenants whose tokens may carry `eligibility_reviewer`.
    reviewer_tenants: HashSet<TenantId>,
    /// Tokens verified with the one configured key, with their `exp`. Not used with a
    /// JWKS, where a withdrawn key must stop counting at once.
    verified: crate::cache::TtlCache<Arc<str>, (Caller, u64)>,
}

impl Verifier {
    /// A verifier with the default lifetime limit and no reviewer tenants (the reviewer
    /// role then never counts); see [`Verifier::with_reviewer_tenants`].
    pub fn new(key: &VerifyingKey, audience: &str, issuer: &str) -> anyhow::Result<Self> {
        let keys = match key {
            VerifyingKey::Hs256(secret) => {
                anyhow::ensure!(secret.len() >= 32, "an HS256 secret must be at least 32 bytes");
                Keys::One(DecodingKey::from_secret(secret), Algorithm::HS256)
            }
            VerifyingKey::Rs256Pem(pem) => Keys::One(DecodingKey::from_rsa_pem(pem)?, Algorithm::RS256),
            VerifyingKey::EdDsaPem(pem) => Keys::One(DecodingKey::from_ed_pem(pem)?, Algorithm::EdDSA),
            VerifyingKey::Jwks(set) => Keys::Set(set.clone()),
        };
        Ok(Self {
            keys,
            audience: audience.to_owned(),
            issuer: issuer.to_owned(),
            max_lifetime: DEFAULT_MAX_LIFETIME,
            reviewer_tenants: HashSet::new(),
            verified: crate::cache::TtlCache::new(VERIFIED_TTL, VERIFIED_CAPACITY),
        })
    }

    /// Tokens whose `exp` lies further than `max` after their `iat` (or after now, when
    /// they carry no `iat`) are refused: a stolen long-lived token is worth less.
    pub fn with_max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = max;
        self
    }

    /// The reviewer role counts only for tokens of these tenants (the eligibility team's
    /// own), so that a partner cannot grant its own users reviewer authority.
    pub fn with_reviewer_tenants(mut self, tenants: impl IntoIterator<Item = TenantId>) -> Self {
        self.reviewer_tenants = tenants.into_iter().collect();
        self
    }

    /// Verifies with the keys at hand. A token whose `kid` is not in the key set is
    /// `TOKEN_KEY_UNKNOWN`; [`Verifier::verify_async`] refreshes the set first.
    pub fn verify(&self, token: &str) -> Result<Caller, Problem> {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        if let Some(((caller, exp), _)) = self.verified.get(&Arc::from(token))
            && now < exp + LEEWAY_SECS
        {
            return Ok(caller);
        }
        if header_alg(token).is_some_and(|a| a.eq_ignore_ascii_case("none")) {
            return Err(unauthenticated("TOKEN_ALGORITHM_NOT_ALLOWED", "unsigned tokens are refused"));
        }
        let (key, alg) = self.key_for(token)?;
        // Only the key's own algorithm is accepted, so `alg: none` and algorithm
        // confusion (an RS256 public key used as an HS256 secret) are refused.
        let mut validation = Validation::new(alg);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(decode_problem)?.claims;
        self.check_lifetime(&claims)?;
        let exp = claims.exp;
        let caller = self.caller(claims, token)?;
        if matches!(self.keys, Keys::One(..)) {
            self.verified.insert(caller.token.clone(), (caller.clone(), exp), std::time::Instant::now());
        }
        Ok(caller)
    }

    /// Verifies; a `kid` missing from the key set first triggers one early, rate-limited
    /// refresh of the set, so that a key published a moment ago is found.
    pub async fn verify_async(&self, token: &str) -> Result<Caller, Problem> {
        match self.verify(token) {
            Err(p) if p.reason == "TOKEN_KEY_UNKNOWN" => match &self.keys {
                Keys::Set(set) if set.refresh_early().await => self.verify(token),
                _ => Err(p),
            },
            other => other,
        }
    }

    fn key_for(&self, token: &str) -> Result<(DecodingKey, Algorithm), Problem> {
        match &self.keys {
            Keys::One(key, alg) => Ok((key.clone(), *alg)),
            Keys::Set(set) => {
                let header = jsonwebtoken::decode_header(token)
                    .map_err(|_| unauthenticated("TOKEN_MALFORMED", "the token is not a well-formed JWT"))?;
                let kid =
                    header.kid.ok_or_else(|| unauthenticated("TOKEN_KEY_UNKNOWN", "the token names no key (kid)"))?;
                let (key, alg) = set
                    .key(&kid)
                    .ok_or_else(|| unauthenticated("TOKEN_KEY_UNKNOWN", "the token's key (kid) is not published"))?;
                if header.alg != alg {
                    return Err(unauthenticated(
                        "TOKEN_ALGORITHM_NOT_ALLOWED",
                        "the token's algorithm is not its key's algorithm",
                    ));
                }
                Ok((key, alg))
            }
        }
    }

    fn check_lifetime(&self, claims: &Claims) -> Result<(), Problem> {
        let from = claims.iat.unwrap_or_else(|| u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0));
        if claims.exp.saturating_sub(from) > self.max_lifetime.as_secs() + LEEWAY_SECS {
            return Err(unauthenticated("TOKEN_LIFETIME_TOO_LONG", "the token is valid for longer than accepted")
                .with_meta("max_lifetime_seconds", self.max_lifetime.as_secs()));
        }
        Ok(())
    }

    fn caller(&self, claims: Claims, token: &str) -> Result<Caller, Problem> {
        let tenant = TenantId::parse(&claims.tid)
            .map_err(|_| unauthenticated("TOKEN_CLAIMS_INVALID", "the token's tid is not a tenant ID"))?;
        if claims.sub.is_empty() {
            return Err(unauthenticated("TOKEN_CLAIMS_INVALID", "the token has no subject"));
        }
        let reviewer_tenant = self.reviewer_tenants.contains(&tenant);
        let roles = claims
            .roles
            .iter()
            .filter_map(|r| Role::parse(r))
            .filter(|r| *r != Role::EligibilityReviewer || reviewer_tenant)
            .collect();
        Ok(Caller { tenant, subject: claims.sub, roles, token: Arc::from(token) })
    }
}

fn decode_problem(e: jsonwebtoken::errors::Error) -> Problem {
    let (reason, message) = match e.kind() {
        ErrorKind::ExpiredSignature => ("TOKEN_EXPIRED", "the token has expired"),
        ErrorKind::ImmatureSignature => ("TOKEN_NOT_YET_VALID", "the token is not valid yet (nbf)"),
        ErrorKind::InvalidSignature => ("TOKEN_SIGNATURE_INVALID", "the token's signature does not verify"),
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm | ErrorKind::InvalidAlgorithmName => {
            ("TOKEN_ALGORITHM_NOT_ALLOWED", "the token's algorithm is not accepted")
        }
        ErrorKind::InvalidAudience => ("TOKEN_AUDIENCE_MISMATCH", "the token is for another audience"),
        ErrorKind::InvalidIssuer => ("TOKEN_ISSUER_MISMATCH", "the token is from another issuer"),
        ErrorKind::MissingRequiredClaim(_) => ("TOKEN_CLAIMS_INVALID", "the token's claims are incomplete"),
        _ => ("TOKEN_MALFORMED", "the token is not a well-formed JWT"),
    };
    unauthenticated(reason, message)
}

fn header_alg(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("alg")?.as_str().map(str::to_owned)
}
