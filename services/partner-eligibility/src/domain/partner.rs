//! CSP partners (R1), their types, qualifications (R5, R6) and transacting partner.

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use serde::{Deserialize, Serialize};

/// The reseller qualification that approval grants (R5).
pub const GCC_QUALIFICATION: &str = "Government_community_cloud";

/// The offer families one GCC qualification covers (R6).
pub const GCC_FAMILIES: [OfferFamily; 4] =
    [OfferFamily::Office365, OfferFamily::Dynamics365, OfferFamily::Ems, OfferFamily::PowerBi];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfferFamily {
    Office365,
    Dynamics365,
    Ems,
    PowerBi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartnerType {
    DirectReseller,
    IndirectProvider,
    IndirectReseller,
}

impl PartnerType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirectReseller => "DIRECT_RESELLER",
            Self::IndirectProvider => "INDIRECT_PROVIDER",
            Self::IndirectReseller => "INDIRECT_RESELLER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::DirectReseller, Self::IndirectProvider, Self::IndirectReseller].into_iter().find(|t| t.as_str() == s)
    }

    /// Direct-bill partners transact for themselves (DOMAIN.md, "Partner types").
    pub fn is_direct_bill(self) -> bool {
        !matches!(self, Self::IndirectReseller)
    }
}

/// A reseller qualification held by a partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualification {
    pub name: String,
    pub validation_id: String,
    pub granted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub tenant: TenantId,
    pub legal_name: String,
    pub partner_type: PartnerType,
    pub azure_gcc_tenant: Option<TenantId>,
    pub indirect_provider: Option<TenantId>,
    pub qualifications: Vec<Qualification>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Partner {
    pub fn holds_gcc(&self) -> bool {
        self.qualifications.iter().any(|q| q.name == GCC_QUALIFICATION)
    }

    /// Whether `viewer` may see this partner: itself, or the indirect provider it sells
    /// through.
    pub fn visible_to(&self, viewer: TenantId) -> bool {
        self.tenant == viewer || self.indirect_provider == Some(viewer)
    }
}

/// A parsed enrollment.
#[derive(Debug, Clone)]
pub struct NewPartner {
    pub legal_name: String,
    pub partner_type: PartnerType,
    pub azure_gcc_tenant: Option<TenantId>,
    pub indirect_provider: Option<TenantId>,
}

/// Who transacts for a partner (R7, R9 downstream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactingPartner {
    pub partner: TenantId,
    pub partner_type: PartnerType,
    pub transacting: TenantId,
    pub gcc_qualified: bool,
    pub azure_gcc_tenants: Vec<TenantId>,
}

impl TransactingPartner {
    /// `provider` must be given for an indirect reseller.
    pub fn of(partner: &Partner, provider: Option<&Partner>) -> Self {
        let transacting = match (partner.partner_type.is_direct_bill(), provider) {
            (false, Some(p)) => p,
            _ => partner,
        };
        let azure_gcc_tenants =
            [partner.azure_gcc_tenant, provider.and_then(|p| p.azure_gcc_tenant)].into_iter().flatten().collect();
        Self {
            partner: partner.tenant,
            partner_type: partner.partner_type,
            transacting: transacting.tenant,
            gcc_qualified: transacting.holds_gcc(),
            azure_gcc_tenants,
        }
    }
}
