//! Identity: the claims of a JWT bearer token, the `Caller` that handlers see, role
//! checks, and minting tokens. Verification is in `verifier`, rotating key sets in
//! `jwks`, and the check in front of every service in `layer`. Health and reflection are
//! served outside that check and need no token.

mod jwks;
mod layer;
mod verifier;

use std::sync::Arc;

use tonic::{Code, Request};

use crate::error::Problem;
use crate::ids::TenantId;

pub use gcc_core::roles::Role;
pub use gcc_core::token::{Claims, Signer};
pub use jwks::{Jwks, JwksSource};
pub use layer::Authenticated;
pub use verifier::{Verifier, VerifyingKey};

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
