//! Typed resource names (AIP-122): one type per collection, parsed once at the edge and
//! printed by `Display`, so that no caller spells `partners/{…}` by hand.
//!
//! Partners and customers are named by their Entra tenant ID; every other resource by the
//! opaque ID the service gave it.

use std::fmt;

use crate::error::Problem;
use crate::ids::{TenantId, parse_name};

/// A resource named by a tenant ID: `{collection}/{tenant_id}`.
macro_rules! tenant_name {
    ($(#[$doc:meta])* $ty:ident, $collection:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $ty(TenantId);

        impl $ty {
            pub const COLLECTION: &'static str = $collection;

            pub fn new(tenant: TenantId) -> Self {
                Self(tenant)
            }

            /// Parses a request field, naming the field in the refusal.
            pub fn parse(field: &str, name: &str) -> Result<Self, Problem> {
                if name.is_empty() {
                    return Err(Problem::field_required(field));
                }
                let id = name.strip_prefix(concat!($collection, "/")).ok_or_else(|| {
                    Problem::invalid_field(field, "NAME_INVALID", concat!("expected `", $collection, "/{tenant_id}`"))
                })?;
                TenantId::parse_field(field, id).map(Self)
            }

            pub fn tenant(&self) -> TenantId {
                self.0
            }
        }

        impl From<TenantId> for $ty {
            fn from(t: TenantId) -> Self {
                Self(t)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($collection, "/{}"), self.0)
            }
        }
    };
}

/// A resource named by a service-given ID: `{collection}/{id}`.
macro_rules! id_name {
    ($(#[$doc:meta])* $ty:ident, $collection:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $ty(String);

        impl $ty {
            pub const COLLECTION: &'static str = $collection;

            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// Parses a request field, naming the field in the refusal.
            pub fn parse(field: &str, name: &str) -> Result<Self, Problem> {
                parse_name(field, name, $collection).map(|id| Self(id.to_owned()))
            }

            pub fn id(&self) -> &str {
                &self.0
            }

            pub fn into_id(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($collection, "/{}"), self.0)
            }
        }
    };
}

tenant_name!(
    /// `partners/{tenant_id}`: a CSP partner organization.
    PartnerName,
    "partners"
);
tenant_name!(
    /// `customers/{tenant_id}`: a customer organization.
    CustomerName,
    "customers"
);
id_name!(
    /// `partnerValidations/{id}`: a partner's request for GCC eligibility (R1–R5).
    PartnerValidationName,
    "partnerValidations"
);
id_name!(
    /// `resellerLinks/{id}`: an indirect provider's link to a reseller (R1a).
    ResellerLinkName,
    "resellerLinks"
);
id_name!(
    /// `customerValidations/{id}`: a partner's submission of a customer (R7–R11).
    CustomerValidationName,
    "customerValidations"
);
id_name!(
    /// `validationCodes/{code}`: the code an approved customer validation issues (R12).
    ValidationCodeName,
    "validationCodes"
);
id_name!(
    /// `relationshipRequests/{id}`: a reseller-relationship invitation (R13–R16).
    RelationshipRequestName,
    "relationshipRequests"
);
id_name!(
    /// `offers/{id}`: an entry of the catalog (R21).
    OfferName,
    "offers"
);
id_name!(
    /// `orders/{id}`: a placed order (R18–R20).
    OrderName,
    "orders"
);
id_name!(
    /// `subscriptions/{id}`: what an order created.
    SubscriptionName,
    "subscriptions"
);
id_name!(
    /// `notifications/{id}`: one e-mail the service sent or tried to send.
    NotificationName,
    "notifications"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names_print_what_they_parse() {
        let t = TenantId::parse("8f4c1d2e-1b7a-4a53-9a0e-2f1c3d4b5a69").unwrap();
        let name = PartnerName::new(t);
        assert_eq!(name.to_string(), "partners/8f4c1d2e-1b7a-4a53-9a0e-2f1c3d4b5a69");
        assert_eq!(PartnerName::parse("name", &name.to_string()).unwrap(), name);
        assert_eq!(CustomerName::parse("name", &name.to_string()).unwrap_err().reason, "NAME_INVALID");
        assert_eq!(PartnerName::parse("name", "").unwrap_err().reason, "FIELD_REQUIRED");
        assert_eq!(PartnerName::parse("name", "partners/nope").unwrap_err().reason, "TENANT_ID_INVALID");
    }

    #[test]
    fn id_names_print_what_they_parse() {
        let name = OrderName::new("0190a1b2c3");
        assert_eq!(name.to_string(), "orders/0190a1b2c3");
        assert_eq!(OrderName::parse("name", "orders/0190a1b2c3").unwrap(), name);
        assert_eq!(OrderName::parse("name", "offers/0190a1b2c3").unwrap_err().reason, "NAME_INVALID");
        assert_eq!(OrderName::parse("name", "orders/a/b").unwrap_err().reason, "NAME_INVALID");
    }
}
