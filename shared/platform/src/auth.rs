//! Identity: JWT bearer verification, the `Caller` that handlers see, and role checks.
//! Health and reflection are served outside the interceptor and need no token.

use std::sync::Arc;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use tonic::{Code, Request, Status, service::Interceptor};

use crate::error::Problem;
use crate::ids::TenantId;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    AdminAgent,
    SalesAgent,
    EligibilityReviewer,
    CustomerAdmin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::AdminAgent, Role::SalesAgent, Role::EligibilityReviewer, Role::CustomerAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::AdminAgent => "admin_agent",
            Role::SalesAgent => "sales_agent",
            Role::EligibilityReviewer => "eligibility_reviewer",
            Role::CustomerAdmin => "customer_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

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
}

/// The verified caller of an RPC.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: TenantId,
    pub subject: String,
    roles: Vec<Role>,
    token: Arc<str>,
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// PERMISSION_DENIED ROLE_REQUIRED unless the caller holds one of `any_of`.
    pub fn require(&self, any_of: &[Role]) -> Result<(), Problem> {
        if any_of.iter().any(|r| self.has(*r)) {
            return Ok(());
        }
        let names: Vec<&str> = any_of.iter().map(|r| r.as_str()).collect();
        Err(Problem::new(
            Code::PermissionDenied,
            "ROLE_REQUIRED",
            format!("this call needs one of the roles: {}", names.join(", ")),
        )
        .with_meta("required_roles", names.join(",")))
    }

    /// The bearer token, to forward on calls to other services.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The caller of a request that passed the `AuthInterceptor`.
    pub fn of<T>(request: &Request<T>) -> Result<Caller, Problem> {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| unauthenticated("TOKEN_MISSING", "a bearer token is required"))
    }
}

/// The key that verifies tokens.
#[derive(Clone)]
pub enum VerifyingKey {
    Hs256(Vec<u8>),
    Rs256Pem(Vec<u8>),
    EdDsaPem(Vec<u8>),
}

/// Verifies bearer tokens against one key, audience and issuer.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Verifier {
    pub fn new(key: &VerifyingKey, audience: &str, issuer: &str) -> anyhow::Result<Self> {
        let (key, alg) = match key {
            VerifyingKey::Hs256(secret) => {
                anyhow::ensure!(secret.len() >= 32, "an HS256 secret must be at least 32 bytes");
                (DecodingKey::from_secret(secret), Algorithm::HS256)
            }
            VerifyingKey::Rs256Pem(pem) => (DecodingKey::from_rsa_pem(pem)?, Algorithm::RS256),
            VerifyingKey::EdDsaPem(pem) => (DecodingKey::from_ed_pem(pem)?, Algorithm::EdDSA),
        };
        // Only the configured algorithm is accepted, so `alg: none` and algorithm
        // confusion (an RS256 public key used as an HS256 secret) are refused.
        let mut validation = Validation::new(alg);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 30;
        Ok(Self { key, validation })
    }

    pub fn verify(&self, token: &str) -> Result<Caller, Problem> {
        if header_alg(token).is_some_and(|a| a.eq_ignore_ascii_case("none")) {
            return Err(unauthenticated("TOKEN_ALGORITHM_NOT_ALLOWED", "unsigned tokens are refused"));
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            let (reason, message) = match e.kind() {
                ErrorKind::ExpiredSignature => ("TOKEN_EXPIRED", "the token has expired"),
                ErrorKind::InvalidSignature => ("TOKEN_SIGNATURE_INVALID", "the token's signature does not verify"),
                ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    ("TOKEN_ALGORITHM_NOT_ALLOWED", "the token's algorithm is not accepted")
                }
                ErrorKind::InvalidAudience => ("TOKEN_AUDIENCE_MISMATCH", "the token is for another audience"),
                ErrorKind::InvalidIssuer => ("TOKEN_ISSUER_MISMATCH", "the token is from another issuer"),
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::ImmatureSignature => {
                    ("TOKEN_CLAIMS_INVALID", "the token's claims are incomplete")
                }
                _ => ("TOKEN_MALFORMED", "the token is not a well-formed JWT"),
            };
            unauthenticated(reason, message)
        })?;
        let claims = data.claims;
        let tenant = TenantId::parse(&claims.tid)
            .map_err(|_| unauthenticated("TOKEN_CLAIMS_INVALID", "the token's tid is not a tenant ID"))?;
        if claims.sub.is_empty() {
            return Err(unauthenticated("TOKEN_CLAIMS_INVALID", "the token has no subject"));
        }
        Ok(Caller {
            tenant,
            subject: claims.sub,
            roles: claims.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            token: Arc::from(token),
        })
    }
}

fn header_alg(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("alg")?.as_str().map(str::to_owned)
}

fn unauthenticated(reason: &'static str, message: &str) -> Problem {
    Problem::new(Code::Unauthenticated, reason, message)
}

/// Verifies the bearer token of every call and puts the `Caller` in its extensions.
#[derive(Clone)]
pub struct AuthInterceptor {
    verifier: Arc<Verifier>,
    domain: &'static str,
}

impl AuthInterceptor {
    pub fn new(verifier: Arc<Verifier>, domain: &'static str) -> Self {
        Self { verifier, domain }
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| unauthenticated("TOKEN_MISSING", "a bearer token is required").into_status(self.domain))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                unauthenticated("TOKEN_MALFORMED", "expected `authorization: Bearer <token>`").into_status(self.domain)
            })?;
        let caller = self.verifier.verify(token).map_err(|p| p.into_status(self.domain))?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
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
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            tid: tenant.to_owned(),
            sub: subject.to_owned(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            aud: self.audience.clone(),
            iss: self.issuer.clone(),
            exp: u64::try_from(now + ttl_secs).unwrap_or(0),
            iat: u64::try_from(now).ok(),
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(self.alg), claims, &self.key).unwrap_or_default()
    }
}
