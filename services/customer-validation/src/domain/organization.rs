//! The organization being validated and how it qualifies (R8a).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub legal_name: String,
    /// Lower-case DNS name.
    pub domain: String,
    pub address_lines: Vec<String>,
    /// CLDR region code, upper-case.
    pub region_code: String,
    pub contact_name: String,
    pub contact_email: String,
}

/// Kinds of US government entity (R8a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityKind {
    Federal,
    State,
    Local,
    Tribal,
    RegionalOrInterstate,
    Ffrdc,
}

/// Government-regulated data (R8a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegulatedKind {
    Itar,
    Cui,
    DodUcni,
    DoeUcni,
    Cji,
    DodImpactLevel,
}

/// How the customer qualifies (R8a).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Eligibility {
    GovernmentEntity { kind: EntityKind, us_presence: Option<String> },
    RegulatedData { kinds: Vec<RegulatedKind>, us_presence: Option<String> },
}

impl Eligibility {
    /// R8a: an organization outside the US needs a proven US presence.
    pub fn needs_us_presence(&self, org: &Organization) -> bool {
        let presence = match self {
            Self::GovernmentEntity { us_presence, .. } | Self::RegulatedData { us_presence, .. } => us_presence,
        };
        org.region_code != "US" && presence.as_deref().is_none_or(|p| p.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(region: &str) -> Organization {
        Organization {
            legal_name: "x".into(),
            domain: "x.gov".into(),
            address_lines: vec!["1 Main St".into()],
            region_code: region.into(),
            contact_name: "A".into(),
            contact_email: "a@x.gov".into(),
        }
    }

    #[test]
    fn r8a_an_organization_outside_the_us_must_state_its_us_presence() {
        let without = Eligibility::RegulatedData { kinds: vec![RegulatedKind::Itar], us_presence: None };
        let with =
            Eligibility::RegulatedData { kinds: vec![RegulatedKind::Itar], us_presence: Some("Delaware LLC".into()) };
        assert!(without.needs_us_presence(&org("CA")));
        assert!(!with.needs_us_presence(&org("CA")));
        assert!(!without.needs_us_presence(&org("US")));
    }
}
