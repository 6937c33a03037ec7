//! Wire ↔ domain at the edge of ordering: requests are parsed once into domain types (or
//! refused with the field at fault); domain objects become messages on the way out.

use gcc_platform::names::{CustomerName, OfferName, OrderName, PartnerName, SubscriptionName};
use gcc_platform::time::to_timestamp;
use gcc_platform::{Problem, TenantId};
use gcc_proto::ordering as pb;

use crate::domain::order::MAX_QUANTITY;
use crate::domain::*;
use crate::error::OrderingError;

/// `customers/{tenant_id}` → the tenant ID.
pub fn parse_customer_name(field: &str, name: &str) -> Result<TenantId, Problem> {
    CustomerName::parse(field, name).map(|n| n.tenant())
}

/// An optional customer filter: empty means any.
pub fn parse_customer_filter(field: &str, name: &str) -> Result<Option<TenantId>, Problem> {
    if name.is_empty() { Ok(None) } else { parse_customer_name(field, name).map(Some) }
}

pub fn segment_from(s: pb::Segment) -> Option<Segment> {
    match s {
        pb::Segment::Unspecified => None,
        pb::Segment::Government => Some(Segment::Government),
        pb::Segment::Commercial => Some(Segment::Commercial),
    }
}

fn segment_to(s: Segment) -> pb::Segment {
    match s {
        Segment::Government => pb::Segment::Government,
        Segment::Commercial => pb::Segment::Commercial,
    }
}

/// The order of a PlaceOrder request: a customer and 1–50 lines, each with an offer from
/// `catalog` (once) and 1–100000 licences. Output-only fields are ignored.
pub fn parse_new_order(order: Option<pb::Order>, catalog: &Catalog) -> Result<NewOrder, OrderingError> {
    let order = order.ok_or_else(|| Problem::field_required("order"))?;
    let customer = parse_customer_name("order.customer", &order.customer)?;
    NewOrder::check_line_count(order.lines.len())?;
    let mut lines = Vec::with_capacity(order.lines.len());
    for (i, line) in order.lines.iter().enumerate() {
        let field = format!("order.lines[{i}].offer");
        let id = OfferName::parse(&field, &line.offer)?;
        let offer = catalog.get(id.id()).ok_or_else(|| {
            Problem::invalid_field(&field, "OFFER_NOT_FOUND", "no such offer in the catalog")
                .with_meta("offer", &line.offer)
        })?;
        let quantity = Quantity::parse(line.quantity).ok_or_else(|| {
            Problem::invalid_field(
                &format!("order.lines[{i}].quantity"),
                "QUANTITY_OUT_OF_RANGE",
                format!("1 to {MAX_QUANTITY} licences"),
            )
        })?;
        lines.push(NewLine { offer: offer.clone(), quantity });
    }
    Ok(NewOrder::new(customer, lines)?)
}

pub fn offer(o: &Offer) -> pb::Offer {
    pb::Offer {
        name: OfferName::new(o.id.clone()).to_string(),
        display_name: o.display_name.clone(),
        family: i32::from(o.family),
        segment: segment_to(o.segment) as i32,
        requires_gcc: o.requires_gcc,
    }
}

pub fn order(o: &Order) -> pb::Order {
    pb::Order {
        name: OrderName::new(o.id.clone()).to_string(),
        partner: PartnerName::new(o.partner).to_string(),
        customer: CustomerName::new(o.customer).to_string(),
        lines: o
            .lines
            .iter()
            .map(|l| pb::OrderLine {
                offer: OfferName::new(l.offer.clone()).to_string(),
                quantity: l.quantity.get(),
                subscription: SubscriptionName::new(l.subscription.clone()).to_string(),
            })
            .collect(),
        placed_by: o.placed_by.clone(),
        gcc_checked: o.gcc_checked,
        create_time: Some(to_timestamp(o.created_at)),
    }
}

pub fn subscription(s: &Subscription) -> pb::Subscription {
    pb::Subscription {
        name: SubscriptionName::new(s.id.clone()).to_string(),
        order: OrderName::new(s.order.clone()).to_string(),
        customer: CustomerName::new(s.customer).to_string(),
        partner: PartnerName::new(s.partner).to_string(),
        offer: OfferName::new(s.offer.clone()).to_string(),
        quantity: s.quantity.get(),
        create_time: Some(to_timestamp(s.created_at)),
    }
}
