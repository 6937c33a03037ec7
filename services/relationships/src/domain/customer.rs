//! Customer accounts and the parsed parts of their company profile.

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use serde::{Deserialize, Serialize};

pub use gcc_platform::contact::{DnsDomain, EmailAddress, RegionCode};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    pub region_code: RegionCode,
    pub administrative_area: String,
    pub locality: String,
    pub postal_code: String,
    /// One to three street lines.
    pub address_lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyProfile {
    pub legal_name: String,
    pub domain: DnsDomain,
    pub postal_address: PostalAddress,
    pub contact_email: EmailAddress,
}

impl CompanyProfile {
    /// The legal name folded for prefix filters that ignore case.
    pub fn name_key(&self) -> String {
        fold(&self.legal_name)
    }
}

/// Case folding for name filters, the same for stored names and for prefixes.
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// A customer account (its tenant ID is the customer's Microsoft Entra tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub tenant: TenantId,
    pub profile: CompanyProfile,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
