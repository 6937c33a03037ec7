//! Request fields that every service parses the same way.

use crate::error::Problem;

/// A required enum field: unknown numbers and UNSPECIFIED (0) are refused.
pub fn parse_enum<E: TryFrom<i32>>(field: &str, value: i32) -> Result<E, Problem> {
    if value == 0 {
        return Err(Problem::field_required(field));
    }
    E::try_from(value)
        .map_err(|_| Problem::invalid_field(field, "ENUM_VALUE_INVALID", format!("{value} is not a known value")))
}

/// An optional enum filter: 0 means "any"; unknown numbers are refused.
pub fn parse_enum_filter<E: TryFrom<i32>>(field: &str, value: i32) -> Result<Option<E>, Problem> {
    if value == 0 { Ok(None) } else { parse_enum(field, value).map(Some) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gcc_proto::types::OfferFamily as PbFamily;

    #[test]
    fn enums_refuse_unspecified_and_unknown_numbers() {
        assert_eq!(parse_enum::<PbFamily>("f", 2).unwrap(), PbFamily::Dynamics365);
        assert_eq!(parse_enum::<PbFamily>("f", 0).unwrap_err().reason, "FIELD_REQUIRED");
        assert_eq!(parse_enum::<PbFamily>("f", 77).unwrap_err().reason, "ENUM_VALUE_INVALID");
        assert_eq!(parse_enum_filter::<PbFamily>("f", 0).unwrap(), None);
        assert_eq!(parse_enum_filter::<PbFamily>("f", 77).unwrap_err().reason, "ENUM_VALUE_INVALID");
    }
}
