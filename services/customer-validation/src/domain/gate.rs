//! The eligibility gate's verdict (R18): every reason that applies, from facts gathered
//! elsewhere. It never guesses: a fact that could not be read is an error before this
//! point, never a verdict.

use gcc_platform::TenantId;

/// Why a partner may not sell GCC offers to a customer now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    PartnerNotEnrolled,
    ResellerLinkPending,
    ResellerLinkEnded,
    PartnerNotGccQualified,
    CustomerNotManaged,
    CustomerNotValidated,
    ValidationPending,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PartnerNotEnrolled => "PARTNER_NOT_ENROLLED",
            Self::ResellerLinkPending => "RESELLER_LINK_PENDING",
            Self::ResellerLinkEnded => "RESELLER_LINK_ENDED",
            Self::PartnerNotGccQualified => "PARTNER_NOT_GCC_QUALIFIED",
            Self::CustomerNotManaged => "CUSTOMER_NOT_MANAGED",
            Self::CustomerNotValidated => "CUSTOMER_NOT_VALIDATED",
            Self::ValidationPending => "VALIDATION_PENDING",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::PartnerNotEnrolled => "the partner is not an enrolled CSP partner",
            Self::ResellerLinkPending => {
                "the indirect reseller's link with its provider waits for one side to agree (R1a)"
            }
            Self::ResellerLinkEnded => "the indirect reseller's link with its provider was ended (R1a)",
            Self::PartnerNotGccQualified => "the transacting partner does not hold Government_community_cloud (R5, R7)",
            Self::CustomerNotManaged => "the partner does not manage this customer (R15, R17)",
            Self::CustomerNotValidated => {
                "the customer holds no Government Community Cloud special qualification (R12)"
            }
            Self::ValidationPending => "a validation of this customer is still under review (R11, R13)",
        }
    }
}

/// Who transacts for the partner asked about (R1a, R5, R7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerFact {
    NotEnrolled,
    /// An indirect reseller whose link with its provider is pending or ended.
    LinkNotActive {
        ended: bool,
    },
    /// The transacting partner, and whether it holds GCC.
    Transacting {
        tenant: TenantId,
        gcc: bool,
    },
}

/// What the gate knows, each fact read from its owner.
#[derive(Debug, Clone)]
pub struct Facts {
    pub partner: PartnerFact,
    pub managed: bool,
    pub customer_qualified: bool,
    pub validation_open: bool,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub reasons: Vec<Reason>,
}

impl Verdict {
    pub fn from_facts(f: &Facts) -> Self {
        let mut reasons = Vec::new();
        match f.partner {
            PartnerFact::NotEnrolled => reasons.push(Reason::PartnerNotEnrolled),
            PartnerFact::LinkNotActive { ended: false } => reasons.push(Reason::ResellerLinkPending),
            PartnerFact::LinkNotActive { ended: true } => reasons.push(Reason::ResellerLinkEnded),
            PartnerFact::Transacting { gcc: false, .. } => reasons.push(Reason::PartnerNotGccQualified),
            PartnerFact::Transacting { gcc: true, .. } => {}
        }
        if !f.managed {
            reasons.push(Reason::CustomerNotManaged);
        }
        if !f.customer_qualified {
            reasons.push(if f.validation_open { Reason::ValidationPending } else { Reason::CustomerNotValidated });
        }
        Self { reasons }
    }

    pub fn eligible(&self) -> bool {
        self.reasons.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            partner: PartnerFact::Transacting { tenant: TenantId::random(), gcc: true },
            managed: true,
            customer_qualified: true,
            validation_open: false,
        }
    }

    #[test]
    fn r18_eligible_only_when_every_fact_holds() {
        assert!(Verdict::from_facts(&facts()).eligible());
        let none = Facts {
            partner: PartnerFact::Transacting { tenant: TenantId::random(), gcc: false },
            managed: false,
            customer_qualified: false,
            validation_open: true,
        };
        assert_eq!(
            Verdict::from_facts(&none).reasons,
            vec![Reason::PartnerNotGccQualified, Reason::CustomerNotManaged, Reason::ValidationPending]
        );
        let unenrolled = Facts { partner: PartnerFact::NotEnrolled, ..facts() };
        assert_eq!(Verdict::from_facts(&unenrolled).reasons, vec![Reason::PartnerNotEnrolled]);
        let unvalidated = Facts { customer_qualified: false, ..facts() };
        assert_eq!(Verdict::from_facts(&unvalidated).reasons, vec![Reason::CustomerNotValidated]);
    }

    #[test]
    fn r1a_a_reseller_without_an_active_link_is_never_eligible() {
        let pending = Facts { partner: PartnerFact::LinkNotActive { ended: false }, ..facts() };
        assert_eq!(Verdict::from_facts(&pending).reasons, vec![Reason::ResellerLinkPending]);
        let ended = Facts { partner: PartnerFact::LinkNotActive { ended: true }, ..facts() };
        assert_eq!(Verdict::from_facts(&ended).reasons, vec![Reason::ResellerLinkEnded]);
    }
}
