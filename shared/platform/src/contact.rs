//! Parsed contact details shared by the services: DNS domains, e-mail addresses and
//! region codes, each with one `parse` constructor.

use serde::{Deserialize, Serialize};

/// A DNS domain such as `agency.example.gov`: stored lower-case, at least two labels of
/// letters, digits and inner hyphens, and a top-level label that is not all digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DnsDomain(String);

impl DnsDomain {
    pub fn parse(s: &str) -> Option<Self> {
        let d = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = d.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        let ok = d.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(label_ok)
            && labels.last().is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
        ok.then_some(Self(d))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address good enough to reach a person; stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (local, domain) = s.split_once('@')?;
        let ok = s.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && local.bytes().all(|b| b.is_ascii_graphic() && b != b'@')
            && DnsDomain::parse(domain).is_some_and(|d| d.as_str() == domain.to_ascii_lowercase());
        ok.then(|| Self(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A CLDR region code: two upper-case letters, such as `US`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())).then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_lower_case_with_at_least_two_labels() {
        assert_eq!(DnsDomain::parse("Agency.Example.GOV.").unwrap().as_str(), "agency.example.gov");
        for bad in ["", "gov", "-a.gov", "a..gov", "a b.gov", "a_b.gov", "host.123"] {
            assert!(DnsDomain::parse(bad).is_none(), "{bad} must be refused");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_real_domain() {
        assert_eq!(EmailAddress::parse("It.Admin@Agency.gov").unwrap().as_str(), "it.admin@agency.gov");
        for bad in ["", "no-at-sign", "a@b", "@contoso.com", "a@.com", "a@contoso..com", "a b@contoso.com", "a@b@c.com"]
        {
            assert!(EmailAddress::parse(bad).is_none(), "{bad} must be refused");
        }
    }

    #[test]
    fn region_codes_are_two_upper_case_letters() {
        assert!(RegionCode::parse("US").is_some());
        assert!(RegionCode::parse("us").is_none() && RegionCode::parse("USA").is_none());
    }
}
