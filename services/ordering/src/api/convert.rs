//! Wire ↔ domain at the edge of ordering: requests are parsed once into domain types (or
//! refused with the field at fault); domain objects become messages on the way out.

use gcc_platform::ids::parse_name;
use gcc_platform::time::to_timestamp;
use gcc_platform::{Problem, TenantId};
use gcc_proto::ordering as pb;
use gcc_proto::types::OfferFamily as PbFamily;

use crate::domain::order::{MAX_LINES, MAX_QUANTITY};
use crate::domain::*;

pub fn customer_name(t: TenantId) -> String {
    format!("customers/{t}")
}

fn partner_name(t: TenantId) -> String {
    format!("partners/{t}")
}

fn offer_name(id: &str) -> String {
    format!("offers/{id}")
}

pub fn order_name(id: &str) -> String {
    format!("orders/{id}")
}

/// `customers/{tenant_id}` → the tenant ID.
pub fn parse_customer_name(field: &str, name: &str) -> Result<TenantId, Problem> {
    if name.is_empty() {
        return Err(Problem::field_required(field));
    }
    let id = name
        .strip_prefix("customers/")
        .ok_or_else(|| Problem::invalid_field(field, "NAME_INVALID", "expected `customers/{tenant_id}`"))?;
    TenantId::parse_field(field, id)
}

/// An optional customer filter: empty means any.
pub fn parse_customer_filter(field: &str, name: &str) -> Result<Option<TenantId>, Problem> {
    if name.is_empty() { Ok(None) } else { parse_customer_name(field, name).map(Some) }
}

/// An optional enum filter: 0 means any; unknown numbers are refused.
pub fn parse_enum_filter<E: TryFrom<i32>>(field: &str, value: i32) -> Result<Option<E>, Problem> {
    if value == 0 {
        return Ok(None);
    }
    E::try_from(value)
        .map(Some)
        .map_err(|_| Problem::invalid_field(field, "ENUM_VALUE_INVALID", format!("{value} is not a known value")))
}

pub fn segment_from(s: pb::Segment) -> Option<Segment> {
    match s {
        pb::Segment::Unspecified => None,
        pb::Segment::Government => Some(Segment::Government),
        pb::Segment::Commercial => Some(Segment::Commercial),
    }
}

pub fn family_from(f: PbFamily) -> Option<OfferFamily> {
    match f {
        PbFamily::Unspecified => None,
        PbFamily::Office365 => Some(OfferFamily::Office365),
        PbFamily::Dynamics365 => Some(OfferFamily::Dynamics365),
        PbFamily::Ems => Some(OfferFamily::Ems),
        PbFamily::PowerBi => Some(OfferFamily::PowerBi),
    }
}

fn family_to(f: OfferFamily) -> PbFamily {
    match f {
        OfferFamily::Office365 => PbFamily::Office365,
        OfferFamily::Dynamics365 => PbFamily::Dynamics365,
        OfferFamily::Ems => PbFamily::Ems,
        OfferFamily::PowerBi => PbFamily::PowerBi,
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
pub fn parse_new_order(order: Option<pb::Order>, catalog: &Catalog) -> Result<NewOrder, Problem> {
    let order = order.ok_or_else(|| Problem::field_required("order"))?;
    let customer = parse_customer_name("order.customer", &order.customer)?;
    NewOrder::check_line_count(order.lines.len()).map_err(line_problem)?;
    let mut lines = Vec::with_capacity(order.lines.len());
    for (i, line) in order.lines.iter().enumerate() {
        let field = format!("order.lines[{i}].offer");
        let id = parse_name(&field, &line.offer, "offers")?;
        let offer = catalog.get(id).ok_or_else(|| {
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
    NewOrder::new(customer, lines).map_err(line_problem)
}

fn line_problem(refusal: LineRefusal) -> Problem {
    match refusal {
        LineRefusal::NoLines => Problem::field_required("order.lines"),
        LineRefusal::TooManyLines(n) => {
            Problem::invalid_field("order.lines", "TOO_MANY_LINES", format!("at most {MAX_LINES} lines"))
                .with_meta("lines", n)
        }
        LineRefusal::DuplicateOffer { index, offer } => Problem::invalid_field(
            &format!("order.lines[{index}].offer"),
            "DUPLICATE_OFFER",
            "each offer appears on one line only; raise its quantity instead",
        )
        .with_meta("offer", offer_name(&offer)),
    }
}

pub fn offer(o: &Offer) -> pb::Offer {
    pb::Offer {
        name: offer_name(&o.id),
        display_name: o.display_name.clone(),
        family: family_to(o.family) as i32,
        segment: segment_to(o.segment) as i32,
        requires_gcc: o.requires_gcc,
    }
}

pub fn order(o: &Order) -> pb::Order {
    pb::Order {
        name: order_name(&o.id),
        partner: partner_name(o.partner),
        customer: customer_name(o.customer),
        lines: o
            .lines
            .iter()
            .map(|l| pb::OrderLine {
                offer: offer_name(&l.offer),
                quantity: l.quantity.get(),
                subscription: format!("subscriptions/{}", l.subscription),
            })
            .collect(),
        placed_by: o.placed_by.clone(),
        gcc_checked: o.gcc_checked,
        create_time: Some(to_timestamp(o.created_at)),
    }
}

pub fn subscription(s: &Subscription) -> pb::Subscription {
    pb::Subscription {
        name: format!("subscriptions/{}", s.id),
        order: order_name(&s.order),
        customer: customer_name(s.customer),
        partner: partner_name(s.partner),
        offer: offer_name(&s.offer),
        quantity: s.quantity.get(),
        create_time: Some(to_timestamp(s.created_at)),
    }
}
