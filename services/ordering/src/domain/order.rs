//! Orders: what a valid order is (1–50 lines, distinct offers, 1–100000 licences each),
//! which lines need the GCC gate (R18, R21), and who may see an order (the ordering
//! partner and its indirect provider).

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use serde::{Deserialize, Serialize};

use super::gate::Clearance;
use super::offer::{Offer, OfferFamily};
use super::refusal::Refusal;

pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i32 = 100_000;

/// A number of licences: 1 to 100000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(i32);

impl Quantity {
    pub fn parse(n: i32) -> Option<Self> {
        (1..=MAX_QUANTITY).contains(&n).then_some(Self(n))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// One parsed line: an offer from the catalog and a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub offer: Offer,
    pub quantity: Quantity,
}

/// A parsed order: a customer and 1–50 lines with distinct offers.
#[derive(Debug, Clone)]
pub struct NewOrder {
    customer: TenantId,
    lines: Vec<NewLine>,
}

impl NewOrder {
    /// Checked before the lines are parsed, so that a huge order is refused as such.
    pub fn check_line_count(n: usize) -> Result<(), Refusal> {
        match n {
            0 => Err(Refusal::NoLines),
            n if n > MAX_LINES => Err(Refusal::TooManyLines(n)),
            _ => Ok(()),
        }
    }

    pub fn new(customer: TenantId, lines: Vec<NewLine>) -> Result<Self, Refusal> {
        Self::check_line_count(lines.len())?;
        for (index, line) in lines.iter().enumerate() {
            if lines[..index].iter().any(|l| l.offer.id == line.offer.id) {
                return Err(Refusal::DuplicateOffer { index, offer: line.offer.id.clone() });
            }
        }
        Ok(Self { customer, lines })
    }

    pub fn customer(&self) -> TenantId {
        self.customer
    }

    pub fn lines(&self) -> &[NewLine] {
        &self.lines
    }

    /// The lines that need a GCC verdict (R18), with their index; commercial lines do not
    /// (R21).
    pub fn gcc_lines(&self) -> impl Iterator<Item = (usize, &NewLine)> {
        self.lines.iter().enumerate().filter(|(_, l)| l.offer.requires_gcc)
    }

    /// The families of the GCC lines, each once: the gate gives one verdict for all of
    /// them (R6). Empty for a commercial-only order, which is not gated.
    pub fn gcc_families(&self) -> Vec<OfferFamily> {
        let mut families: Vec<OfferFamily> = self.gcc_lines().map(|(_, l)| l.offer.family).collect();
        families.sort();
        families.dedup();
        families
    }
}

/// A placed order. All or nothing: every line has its subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub partner: TenantId,
    /// The ordering partner's indirect provider, which sees the order too.
    pub provider: Option<TenantId>,
    pub customer: TenantId,
    pub lines: Vec<OrderLine>,
    pub placed_by: String,
    pub gcc_checked: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub offer: String,
    pub quantity: Quantity,
    pub subscription: String,
}

/// A subscription created by one order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub order: String,
    pub partner: TenantId,
    pub provider: Option<TenantId>,
    pub customer: TenantId,
    pub offer: String,
    pub quantity: Quantity,
    pub created_at: DateTime<Utc>,
}

/// One audit entry and outbox event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// `order.placed`: who placed what for whom, and whether the gate was asked.
    Placed,
}

/// Everything placing an order writes, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub order: Order,
    pub subscriptions: Vec<Subscription>,
    pub events: Vec<Event>,
}

impl Order {
    /// R18–R21: what placing `new`, as cleared, does: the order, one subscription per
    /// line, and the event that records it. Ids come from `new_id`.
    pub fn place(
        new: &NewOrder,
        partner: TenantId,
        clearance: Clearance,
        placed_by: &str,
        now: DateTime<Utc>,
        mut new_id: impl FnMut() -> String,
    ) -> Placement {
        let order = Self {
            id: new_id(),
            partner,
            provider: clearance.provider.filter(|p| *p != partner),
            customer: new.customer,
            lines: new
                .lines
                .iter()
                .map(|l| OrderLine { offer: l.offer.id.clone(), quantity: l.quantity, subscription: new_id() })
                .collect(),
            placed_by: placed_by.to_owned(),
            gcc_checked: clearance.gcc_checked,
            created_at: now,
        };
        let subscriptions = order.subscriptions().collect();
        Placement { order, subscriptions, events: vec![Event::Placed] }
    }

    /// The ordering partner and its indirect provider see an order; nobody else.
    pub fn visible_to(&self, viewer: TenantId) -> bool {
        self.partner == viewer || self.provider == Some(viewer)
    }

    pub fn subscriptions(&self) -> impl Iterator<Item = Subscription> + '_ {
        self.lines.iter().map(|l| Subscription {
            id: l.subscription.clone(),
            order: self.id.clone(),
            partner: self.partner,
            provider: self.provider,
            customer: self.customer,
            offer: l.offer.clone(),
            quantity: l.quantity,
            created_at: self.created_at,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::Segment;

    pub(crate) fn line(id: &str, family: OfferFamily, requires_gcc: bool) -> NewLine {
        let segment = if requires_gcc { Segment::Government } else { Segment::Commercial };
        let offer = Offer { id: id.into(), display_name: id.into(), family, segment, requires_gcc };
        NewLine { offer, quantity: Quantity::parse(1).unwrap() }
    }

    #[test]
    fn quantities_are_one_to_one_hundred_thousand() {
        assert!(Quantity::parse(1).is_some() && Quantity::parse(MAX_QUANTITY).is_some());
        for bad in [0, -1, MAX_QUANTITY + 1, i32::MIN] {
            assert!(Quantity::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn an_order_has_one_to_fifty_lines_with_distinct_offers() {
        let c = TenantId::random();
        assert_eq!(NewOrder::new(c, vec![]).unwrap_err(), Refusal::NoLines);
        assert_eq!(NewOrder::check_line_count(51), Err(Refusal::TooManyLines(51)));
        let twice = vec![
            line("a", OfferFamily::Ems, false),
            line("b", OfferFamily::Ems, false),
            line("a", OfferFamily::Ems, false),
        ];
        assert_eq!(NewOrder::new(c, twice).unwrap_err(), Refusal::DuplicateOffer { index: 2, offer: "a".into() });
    }

    #[test]
    fn r6_r21_only_government_lines_are_gated_and_their_families_are_asked_once() {
        let c = TenantId::random();
        let order = NewOrder::new(
            c,
            vec![
                line("ems-e3", OfferFamily::Ems, false),
                line("power-bi-pro-gcc", OfferFamily::PowerBi, true),
                line("o365-g3-gcc", OfferFamily::Office365, true),
                line("o365-g5-gcc", OfferFamily::Office365, true),
            ],
        )
        .unwrap();
        assert_eq!(order.gcc_lines().map(|(i, _)| i).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(order.gcc_families(), [OfferFamily::Office365, OfferFamily::PowerBi]);
        let commercial = NewOrder::new(c, vec![line("ems-e3", OfferFamily::Ems, false)]).unwrap();
        assert!(commercial.gcc_families().is_empty());
    }

    #[test]
    fn an_order_is_seen_by_its_partner_and_that_partners_indirect_provider_only() {
        let (reseller, provider, other) = (TenantId::random(), TenantId::random(), TenantId::random());
        let new = NewOrder::new(TenantId::random(), vec![line("ems-e3", OfferFamily::Ems, false)]).unwrap();
        let mut n = 0;
        let cleared = Clearance { provider: Some(provider), gcc_checked: false };
        let placed = Order::place(&new, reseller, cleared, "agent", Utc::now(), || {
            n += 1;
            n.to_string()
        });
        let order = &placed.order;
        assert!(order.visible_to(reseller) && order.visible_to(provider) && !order.visible_to(other));
        assert_eq!(placed.subscriptions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["2"]);
        assert_eq!(placed.events, [Event::Placed]);
        let own = Order::place(&new, provider, cleared, "agent", Utc::now(), || "x".into());
        assert_eq!(own.order.provider, None, "a partner is not its own indirect provider");
    }
}
