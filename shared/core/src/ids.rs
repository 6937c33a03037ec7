//! Parsed identifiers: tenant IDs (lower-case GUIDs, never nil) and request IDs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Problem;

/// A Microsoft Entra tenant ID: a GUID in its 36-character form, stored lower-case,
/// never the nil GUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(Uuid);

/// Why a string is not a tenant ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TenantIdError {
    #[error("a tenant ID is a GUID such as 8f4c1d2e-1b7a-4a53-9a0e-2f1c3d4b5a69")]
    Invalid,
    #[error("the nil GUID is not a tenant ID")]
    Nil,
}

impl TenantId {
    pub fn parse(s: &str) -> Result<Self, TenantIdError> {
        // Only the hyphenated form: braces, URNs and the 32-digit form are refused so that
        // one tenant has one spelling.
        if s.len() != 36 {
            return Err(TenantIdError::Invalid);
        }
        let id = Uuid::try_parse(s).map_err(|_| TenantIdError::Invalid)?;
        if id.is_nil() {
            return Err(TenantIdError::Nil);
        }
        Ok(Self(id))
    }

    /// Parses a request field, naming the field in the error.
    pub fn parse_field(field: &str, s: &str) -> Result<Self, Problem> {
        if s.is_empty() {
            return Err(Problem::field_required(field));
        }
        Self::parse(s).map_err(|e| match e {
            TenantIdError::Invalid => Problem::invalid_field(field, "TENANT_ID_INVALID", e.to_string()),
            TenantIdError::Nil => Problem::invalid_field(field, "TENANT_ID_NIL", e.to_string()),
        })
    }

    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({self})")
    }
}

impl FromStr for TenantId {
    type Err = TenantIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for TenantId {
    type Error = TenantIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.to_string()
    }
}

/// A new time-ordered identifier for a stored object (UUID v7), so that ordering by ID
/// is ordering by creation.
pub fn new_id() -> String {
    Uuid::now_v7().simple().to_string()
}

/// Checks the ID part of a resource name such as `partnerValidations/{id}`.
pub fn parse_name<'a>(field: &str, name: &'a str, collection: &str) -> Result<&'a str, Problem> {
    if name.is_empty() {
        return Err(Problem::field_required(field));
    }
    let id = name
        .strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .ok_or_else(|| Problem::invalid_field(field, "NAME_INVALID", format!("expected `{collection}/{{id}}`")))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_lower_case_and_never_nil() {
        let t = TenantId::parse("8F4C1D2E-1B7A-4A53-9A0E-2F1C3D4B5A69").unwrap();
        assert_eq!(t.to_string(), "8f4c1d2e-1b7a-4a53-9a0e-2f1c3d4b5a69");
        assert_eq!(TenantId::parse("00000000-0000-0000-0000-000000000000"), Err(TenantIdError::Nil));
        assert_eq!(TenantId::parse("8f4c1d2e1b7a4a539a0e2f1c3d4b5a69"), Err(TenantIdError::Invalid));
        assert_eq!(TenantId::parse("{8f4c1d2e-1b7a-4a53-9a0e-2f1c3d4b5a6}"), Err(TenantIdError::Invalid));
        assert_eq!(TenantId::parse("not-a-guid-at-all-not-a-guid-at-all!"), Err(TenantIdError::Invalid));
    }

    #[test]
    fn resource_names_must_match_their_collection() {
        assert_eq!(parse_name("name", "partners/abc-1", "partners").unwrap(), "abc-1");
        assert!(parse_name("name", "orders/abc", "partners").is_err());
        assert!(parse_name("name", "partners/", "partners").is_err());
        assert!(parse_name("name", "partners/a/b", "partners").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any non-nil GUID, in either case, parses to the one lower-case spelling, which
        /// parses back to the same tenant, also through JSON.
        #[test]
        fn tenant_ids_round_trip(bits in 1u128.., upper in proptest::bool::ANY) {
            let id = Uuid::from_u128(bits).hyphenated().to_string();
            let spelled = if upper { id.to_ascii_uppercase() } else { id.clone() };
            let t = TenantId::parse(&spelled).expect("a GUID");
            proptest::prop_assert_eq!(t.to_string(), id);
            proptest::prop_assert_eq!(TenantId::parse(&t.to_string()), Ok(t));
            let json = serde_json::to_string(&t).expect("encodes");
            proptest::prop_assert_eq!(serde_json::from_str::<TenantId>(&json).expect("decodes"), t);
        }
    }
}
