//! CSP partners (R1), their types, qualifications (R5, R6) and transacting partner.

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use serde::{Deserialize, Serialize};

use super::link::{LinkState, ResellerLink};
use super::refusal::Refusal;

/// The reseller qualification that approval grants (R5).
pub const GCC_QUALIFICATION: &str = "Government_community_cloud";

/// The offer families one GCC qualification covers (R6).
pub const GCC_FAMILIES: [OfferFamily; 4] =
    [OfferFamily::Office365, OfferFamily::Dynamics365, OfferFamily::Ems, OfferFamily::PowerBi];

pub use gcc_platform::OfferFamily;

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

impl NewPartner {
    /// What an enrollment by `caller` may not state about the caller's own tenants.
    pub fn check(&self, caller: TenantId) -> Result<(), Refusal> {
        if self.azure_gcc_tenant == Some(caller) {
            return Err(Refusal::AzureGccTenantIsCommercial);
        }
        if self.indirect_provider == Some(caller) {
            return Err(Refusal::OwnIndirectProvider);
        }
        Ok(())
    }

    /// The enrolled partner, holding no qualification yet.
    pub fn into_partner(self, tenant: TenantId, now: DateTime<Utc>) -> Partner {
        Partner {
            tenant,
            legal_name: self.legal_name,
            partner_type: self.partner_type,
            azure_gcc_tenant: self.azure_gcc_tenant,
            indirect_provider: self.indirect_provider,
            qualifications: Vec::new(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// Who transacts for a partner (R7, R9 downstream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactingPartner {
    pub partner: TenantId,
    pub partner_type: PartnerType,
    /// `None` for an indirect reseller without an active link (R1a).
    pub transacting: Option<TenantId>,
    pub gcc_qualified: bool,
    pub azure_gcc_tenants: Vec<TenantId>,
    /// An indirect reseller's current (or last) link and its state.
    pub link: Option<(String, LinkState)>,
}

impl TransactingPartner {
    /// `link` is an indirect reseller's current (or last) link; `provider` its provider,
    /// read only when that link is active. Nothing of the provider reaches a reseller
    /// whose link is not active (R1a).
    pub fn of(partner: &Partner, link: Option<&ResellerLink>, provider: Option<&Partner>) -> Self {
        let active_provider = provider.filter(|_| link.is_some_and(|l| l.state == LinkState::Active));
        let transacting = if partner.partner_type.is_direct_bill() { Some(partner) } else { active_provider };
        let azure_gcc_tenants = [partner.azure_gcc_tenant, active_provider.and_then(|p| p.azure_gcc_tenant)]
            .into_iter()
            .flatten()
            .collect();
        Self {
            partner: partner.tenant,
            partner_type: partner.partner_type,
            transacting: transacting.map(|t| t.tenant),
            gcc_qualified: transacting.is_some_and(Partner::holds_gcc),
            azure_gcc_tenants,
            link: if partner.partner_type.is_direct_bill() { None } else { link.map(|l| (l.id.clone(), l.state)) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::link::Side;

    fn partner(t: PartnerType, gcc: bool) -> Partner {
        let now = Utc::now();
        Partner {
            tenant: TenantId::random(),
            legal_name: "p".into(),
            partner_type: t,
            azure_gcc_tenant: None,
            indirect_provider: None,
            qualifications: if gcc {
                vec![Qualification { name: GCC_QUALIFICATION.into(), validation_id: "v".into(), granted_at: now }]
            } else {
                vec![]
            },
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn r1a_a_reseller_borrows_nothing_from_a_provider_without_an_active_link() {
        let provider = partner(PartnerType::IndirectProvider, true);
        let reseller = partner(PartnerType::IndirectReseller, false);
        let requested = ResellerLink::open("l".into(), provider.tenant, reseller.tenant, Side::Reseller, Utc::now());
        for link in [Some(&requested), None] {
            let t = TransactingPartner::of(&reseller, link, Some(&provider));
            assert_eq!((t.transacting, t.gcc_qualified), (None, false));
        }
        let active =
            requested.apply(&crate::domain::LinkMove::Approve, Side::Provider, Utc::now()).expect("provider approves");
        let t = TransactingPartner::of(&reseller, Some(&active), Some(&provider));
        assert_eq!((t.transacting, t.gcc_qualified), (Some(provider.tenant), true));
        assert_eq!(t.link, Some(("l".to_owned(), LinkState::Active)));
    }

    #[test]
    fn r1_an_enrollment_names_other_tenants_than_the_callers_own() {
        let caller = TenantId::random();
        let new = |azure_gcc_tenant, indirect_provider| NewPartner {
            legal_name: "p".into(),
            partner_type: PartnerType::IndirectReseller,
            azure_gcc_tenant,
            indirect_provider,
        };
        assert_eq!(new(Some(caller), None).check(caller), Err(Refusal::AzureGccTenantIsCommercial));
        assert_eq!(new(None, Some(caller)).check(caller), Err(Refusal::OwnIndirectProvider));
        assert_eq!(new(Some(TenantId::random()), Some(TenantId::random())).check(caller), Ok(()));
    }

    #[test]
    fn r7_a_direct_bill_partner_transacts_for_itself() {
        let direct = partner(PartnerType::DirectReseller, true);
        let t = TransactingPartner::of(&direct, None, None);
        assert_eq!((t.transacting, t.gcc_qualified, t.link), (Some(direct.tenant), true, None));
    }
}
