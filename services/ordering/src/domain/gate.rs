//! What ordering decides from the facts its owners give (R18, R21): whether an order may
//! be placed, for whom it is visible, and whether the gate was asked.

use gcc_platform::TenantId;

use super::order::NewOrder;
use super::refusal::{GatedLine, Refusal};

/// How the caller manages a customer (R15, R17), as relationships answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Management {
    pub managed: bool,
    /// The indirect provider recorded on the relationship, which sees the orders too.
    pub provider: Option<TenantId>,
}

impl Management {
    /// R15/R17: a customer the caller does not manage is refused as if missing; `name` is
    /// the customer as the caller named it.
    pub fn require(&self, name: impl FnOnce() -> String) -> Result<(), Refusal> {
        if self.managed { Ok(()) } else { Err(Refusal::CustomerNotManaged { name: name() }) }
    }
}

/// The gate's answer, with its reasons by name (such as `CUSTOMER_NOT_VALIDATED`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    pub eligible: bool,
    pub reasons: Vec<String>,
}

/// What the facts allow an order: the indirect provider that sees it, and whether the
/// gate was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clearance {
    pub provider: Option<TenantId>,
    pub gcc_checked: bool,
}

impl NewOrder {
    /// R18: whether this order may be placed, given how the caller manages the customer
    /// and the gate's verdict for the GCC families (`None` when none was needed, R21).
    pub fn clear(
        &self,
        management: &Management,
        verdict: Option<&Eligibility>,
        customer_name: impl FnOnce() -> String,
    ) -> Result<Clearance, Refusal> {
        management.require(customer_name)?;
        if let Some(verdict) = verdict
            && !verdict.eligible
        {
            return Err(Refusal::GccEligibilityRequired {
                customer: self.customer(),
                reasons: verdict.reasons.clone(),
                lines: self.gcc_lines().map(|(index, l)| GatedLine { index, offer: l.offer.id.clone() }).collect(),
            });
        }
        Ok(Clearance { provider: management.provider, gcc_checked: verdict.is_some() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OfferFamily;
    use crate::domain::order::tests::line;

    fn order() -> NewOrder {
        let lines = vec![line("ems-e3", OfferFamily::Ems, false), line("o365-g3-gcc", OfferFamily::Office365, true)];
        NewOrder::new(TenantId::random(), lines).unwrap()
    }

    fn managed(provider: Option<TenantId>) -> Management {
        Management { managed: true, provider }
    }

    #[test]
    fn r18_an_unmanaged_customer_is_refused_as_missing() {
        let refused = order().clear(&Management { managed: false, provider: None }, None, || "customers/x".into());
        assert_eq!(refused, Err(Refusal::CustomerNotManaged { name: "customers/x".into() }));
    }

    #[test]
    fn r18_a_no_from_the_gate_refuses_the_whole_order_naming_its_gcc_lines() {
        let new = order();
        let no = Eligibility { eligible: false, reasons: vec!["CUSTOMER_NOT_VALIDATED".into()] };
        let refused = new.clear(&managed(None), Some(&no), String::new).unwrap_err();
        let lines = vec![GatedLine { index: 1, offer: "o365-g3-gcc".into() }];
        assert_eq!(
            refused,
            Refusal::GccEligibilityRequired { customer: new.customer(), reasons: no.reasons.clone(), lines }
        );
    }

    #[test]
    fn r18_a_yes_clears_the_order_for_the_managing_provider_too() {
        let provider = Some(TenantId::random());
        let yes = Eligibility { eligible: true, reasons: vec![] };
        let cleared = order().clear(&managed(provider), Some(&yes), String::new).unwrap();
        assert_eq!(cleared, Clearance { provider, gcc_checked: true });
    }

    #[test]
    fn r21_a_commercial_order_is_cleared_without_the_gate() {
        let cleared = order().clear(&managed(None), None, String::new).unwrap();
        assert_eq!(cleared, Clearance { provider: None, gcc_checked: false });
    }
}
