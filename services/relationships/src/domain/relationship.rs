//! Who manages a customer: a partner with an active relationship (R15, R17), and the
//! indirect provider of an indirect reseller that holds one.

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use serde::{Deserialize, Serialize};

/// The calling partner as partner-eligibility knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActingPartner {
    pub tenant: TenantId,
    /// For an indirect reseller: its indirect provider (its transacting partner).
    pub provider: Option<TenantId>,
}

impl ActingPartner {
    /// From the transacting partner: it differs from the partner itself exactly when the
    /// partner is an indirect reseller.
    pub fn new(tenant: TenantId, transacting: TenantId) -> Self {
        Self { tenant, provider: (transacting != tenant).then_some(transacting) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ManagementKind {
    /// The partner holds the active relationship.
    Direct,
    /// The partner is the indirect provider of the reseller that holds it.
    IndirectProvider,
}

impl ManagementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "DIRECT",
            Self::IndirectProvider => "INDIRECT_PROVIDER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Direct, Self::IndirectProvider].into_iter().find(|k| k.as_str() == s)
    }
}

/// How a partner manages a customer, and through whose relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Management {
    pub kind: ManagementKind,
    pub managing_partner: TenantId,
    /// The indirect provider recorded on that relationship.
    pub provider: Option<TenantId>,
}

impl Management {
    /// `holder` holds an active relationship, recorded with `provider`, that `asker` sees
    /// (as itself, or as that provider).
    pub fn of(asker: TenantId, holder: TenantId, provider: Option<TenantId>) -> Self {
        let kind = if holder == asker { ManagementKind::Direct } else { ManagementKind::IndirectProvider };
        Self { kind, managing_partner: holder, provider }
    }
}

/// A partner–customer relationship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    pub partner: TenantId,
    pub customer: TenantId,
    pub provider: Option<TenantId>,
    pub active: bool,
}

impl Relationship {
    /// The events of a change, one for the partner and one for its provider.
    pub fn events(&self, kind: EventKind, at: DateTime<Utc>) -> Vec<RelationshipEvent> {
        [Some(self.partner), self.provider]
            .into_iter()
            .flatten()
            .map(|partner| RelationshipEvent { partner, customer: self.customer, kind, at })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    Activated,
    Revoked,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activated => "activated",
            Self::Revoked => "revoked",
        }
    }
}

/// A change in who manages a customer, addressed to one partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationshipEvent {
    pub partner: TenantId,
    pub customer: TenantId,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r17_an_indirect_resellers_provider_is_its_transacting_partner() {
        let (reseller, provider) = (TenantId::random(), TenantId::random());
        assert_eq!(ActingPartner::new(reseller, provider).provider, Some(provider));
        assert_eq!(ActingPartner::new(provider, provider).provider, None);
        assert_eq!(Management::of(provider, reseller, Some(provider)).kind, ManagementKind::IndirectProvider);
        assert_eq!(Management::of(reseller, reseller, Some(provider)).kind, ManagementKind::Direct);
    }

    #[test]
    fn events_reach_the_partner_and_its_provider() {
        let r = Relationship {
            partner: TenantId::random(),
            customer: TenantId::random(),
            provider: Some(TenantId::random()),
            active: true,
        };
        let to: Vec<TenantId> = r.events(EventKind::Activated, Utc::now()).iter().map(|e| e.partner).collect();
        assert_eq!(to, vec![r.partner, r.provider.unwrap()]);
    }
}
