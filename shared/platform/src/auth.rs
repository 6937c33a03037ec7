//! Identity: the claims of a JWT bearer token, the `Caller` that handlers see, role
//! checks, and minting tokens. Verification is in `verifier`, rotating key sets in
//! `jwks`, and the check in front of every service in `layer`. Health and reflection are
//! served outside that check and need no token.

mod jwks;
mod layer;
mod verifier;

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use tonic::{Code, Request};

use crate::error::Problem;
use crate::ids::TenantId;

pub use jwks::{Jwks, JwksSource};
pub use layer::Authenticated;
pub use verifier::{Verifier, VerifyingKey};

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// The verified caller of an RPC.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: TenantId,
    pub subject: String,
    roles: Vec<Role>,
    token: Arc<str>,
}

pub(crate) fn unauthenticated(reason: &'static str, message: &str) -> Problem {
    Problem::new(Code::Unauthenticated, reason, message)
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

    /// The caller of a request that passed [`Authenticated`].
    pub fn of<T>(request: &Request<T>) -> Result<Caller, Problem> {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| unauthenticated("TOKEN_MISSING", "a bearer token is required"))
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
