//! Offer families (R6): one type for every service, with its contract mapping.

use gcc_proto::types::OfferFamily as PbFamily;
use serde::{Deserialize, Serialize};

use crate::error::Problem;

/// A family of government offers; one GCC validation covers all four (R6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OfferFamily {
    Office365,
    Dynamics365,
    Ems,
    PowerBi,
}

impl OfferFamily {
    pub const ALL: [Self; 4] = [Self::Office365, Self::Dynamics365, Self::Ems, Self::PowerBi];

    /// The stored spelling, which is also the contract's value name without its prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Office365 => "OFFICE_365",
            Self::Dynamics365 => "DYNAMICS_365",
            Self::Ems => "EMS",
            Self::PowerBi => "POWER_BI",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// A required family field of a request: UNSPECIFIED and unknown numbers are refused.
    pub fn from_field(field: &str, value: i32) -> Result<Self, Problem> {
        let f = PbFamily::try_from(value).map_err(|_| {
            Problem::invalid_field(field, "ENUM_VALUE_INVALID", format!("{value} is not a known value"))
        })?;
        Self::try_from(f).map_err(|()| Problem::field_required(field))
    }
}

impl From<OfferFamily> for PbFamily {
    fn from(f: OfferFamily) -> Self {
        match f {
            OfferFamily::Office365 => Self::Office365,
            OfferFamily::Dynamics365 => Self::Dynamics365,
            OfferFamily::Ems => Self::Ems,
            OfferFamily::PowerBi => Self::PowerBi,
        }
    }
}

impl From<OfferFamily> for i32 {
    fn from(f: OfferFamily) -> Self {
        PbFamily::from(f) as i32
    }
}

/// UNSPECIFIED has no family.
impl TryFrom<PbFamily> for OfferFamily {
    type Error = ();
    fn try_from(f: PbFamily) -> Result<Self, ()> {
        match f {
            PbFamily::Unspecified => Err(()),
            PbFamily::Office365 => Ok(Self::Office365),
            PbFamily::Dynamics365 => Ok(Self::Dynamics365),
            PbFamily::Ems => Ok(Self::Ems),
            PbFamily::PowerBi => Ok(Self::PowerBi),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_round_trips_through_its_spelling_and_the_contract() {
        for f in OfferFamily::ALL {
            assert_eq!(OfferFamily::parse(f.as_str()), Some(f));
            assert_eq!(OfferFamily::try_from(PbFamily::from(f)), Ok(f));
            assert_eq!(OfferFamily::from_field("family", i32::from(f)).map_err(|p| p.reason), Ok(f));
        }
        assert_eq!(OfferFamily::from_field("family", 0).unwrap_err().reason, "FIELD_REQUIRED");
        assert_eq!(OfferFamily::from_field("family", 99).unwrap_err().reason, "ENUM_VALUE_INVALID");
    }
}
