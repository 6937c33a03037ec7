//! Offers: their families (R6), segments, and the catalog (R21).

use std::collections::BTreeMap;

pub use gcc_platform::OfferFamily;
use serde::{Deserialize, Serialize};

/// Who an offer is sold to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Segment {
    /// Gated by GCC eligibility (R18).
    Government,
    /// Not gated (R21).
    Commercial,
}

impl Segment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Government => "GOVERNMENT",
            Self::Commercial => "COMMERCIAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Government, Self::Commercial].into_iter().find(|g| g.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub id: String,
    pub display_name: String,
    pub family: OfferFamily,
    pub segment: Segment,
    pub requires_gcc: bool,
}

/// Every offer, by id. Seeded by migration, so it is read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Catalog(BTreeMap<String, Offer>);

impl Catalog {
    pub fn new(offers: impl IntoIterator<Item = Offer>) -> Self {
        Self(offers.into_iter().map(|o| (o.id.clone(), o)).collect())
    }

    pub fn get(&self, id: &str) -> Option<&Offer> {
        self.0.get(id)
    }

    /// What a customer can be sold now: commercial offers always (R21), government ones
    /// only when the gate says eligible (R18). In id order.
    pub fn purchasable(&self, gcc_eligible: bool) -> Vec<Offer> {
        self.0.values().filter(|o| gcc_eligible || !o.requires_gcc).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(id: &str, requires_gcc: bool) -> Offer {
        Offer {
            id: id.into(),
            display_name: id.into(),
            family: OfferFamily::Office365,
            segment: if requires_gcc { Segment::Government } else { Segment::Commercial },
            requires_gcc,
        }
    }

    #[test]
    fn r21_commercial_offers_are_always_purchasable_and_government_ones_only_when_eligible() {
        let catalog = Catalog::new([offer("o365-g3-gcc", true), offer("o365-e3", false)]);
        let ids = |eligible| catalog.purchasable(eligible).into_iter().map(|o| o.id).collect::<Vec<_>>();
        assert_eq!(ids(false), ["o365-e3"]);
        assert_eq!(ids(true), ["o365-e3", "o365-g3-gcc"]);
    }

    #[test]
    fn segment_names_round_trip() {
        assert_eq!(Segment::parse("GOVERNMENT"), Some(Segment::Government));
        assert_eq!(Segment::parse("government"), None);
    }
}
