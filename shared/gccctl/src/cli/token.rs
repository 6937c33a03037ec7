//! `gccctl dev-token`: development tokens for each role.

use std::path::PathBuf;
use std::time::Duration;

use gcc_core::TenantId;
use gcc_core::roles::Role;
use gcc_core::token::Signer;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    #[value(name = "admin_agent", alias = "admin-agent")]
    AdminAgent,
    #[value(name = "sales_agent", alias = "sales-agent")]
    SalesAgent,
    #[value(name = "eligibility_reviewer", alias = "eligibility-reviewer")]
    EligibilityReviewer,
    #[value(name = "customer_admin", alias = "customer-admin")]
    CustomerAdmin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::AdminAgent => Role::AdminAgent,
            RoleArg::SalesAgent => Role::SalesAgent,
            RoleArg::EligibilityReviewer => Role::EligibilityReviewer,
            RoleArg::CustomerAdmin => Role::CustomerAdmin,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct DevToken {
    /// Role(s) of the caller; repeat for several.
    #[arg(long = "role", value_enum, required = true)]
    pub roles: Vec<RoleArg>,
    /// The caller's tenant ID (a partner's commercial tenant, or a customer's tenant).
    /// Reviewers default to the reviewer tenant that gcc-stack wrote beside its key.
    #[arg(long, value_parser = parse_tenant)]
    pub tenant: Option<TenantId>,
    /// The caller's subject (user).
    #[arg(long, default_value = "dev-user")]
    pub subject: String,
    /// How long the token is valid.
    #[arg(long, default_value = "8h", value_parser = gcc_core::duration::parse_duration)]
    pub ttl: Duration,
    /// The development HS256 key that gcc-stack created.
    #[arg(long, env = "GCC_DEV_KEY_FILE", default_value = "data/dev-jwt-hs256.key")]
    pub key_file: PathBuf,
    #[arg(long, env = "GCC_JWT_AUDIENCE", default_value = "gcc")]
    pub audience: String,
    #[arg(long, env = "GCC_JWT_ISSUER", default_value = "gcc")]
    pub issuer: String,
}

/// Written by gcc-stack beside its development key: the development reviewer tenant.
const REVIEWER_TENANT_FILE: &str = "dev-reviewer-tenant";

pub fn parse_tenant(s: &str) -> Result<TenantId, String> {
    TenantId::parse(s).map_err(|e| e.to_string())
}

impl DevToken {
    pub fn run(self) -> anyhow::Result<()> {
        let secret = std::fs::read_to_string(&self.key_file).map_err(|e| {
            anyhow::anyhow!("cannot read {} ({e}); start gcc-stack once to create it", self.key_file.display())
        })?;
        let signer = Signer::hs256(secret.trim().as_bytes(), &self.audience, &self.issuer);
        let roles: Vec<Role> = self.roles.iter().copied().map(Role::from).collect();
        let tenant = self.tenant()?;
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        println!("{}", signer.token(&tenant.to_string(), &self.subject, &roles, ttl));
        Ok(())
    }

    /// `--tenant`, or for a reviewer the development reviewer tenant (a file beside the
    /// development key), since the reviewer role counts only from that tenant.
    fn tenant(&self) -> anyhow::Result<TenantId> {
        if let Some(t) = self.tenant {
            return Ok(t);
        }
        anyhow::ensure!(
            self.roles.iter().any(|r| matches!(r, RoleArg::EligibilityReviewer)),
            "--tenant is required (only eligibility_reviewer tokens default to the development reviewer tenant)"
        );
        let path = self.key_file.with_file_name(REVIEWER_TENANT_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!("cannot read {} ({e}); start gcc-stack once to create it, or pass --tenant", path.display())
        })?;
        TenantId::parse(text.trim()).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}
