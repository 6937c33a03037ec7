//! `gccctl offers …`, `gccctl order …` and `gccctl subscriptions …`.

use gcc_core::TenantId;
use gcc_proto::ordering as pb;
use gcc_proto::types::OfferFamily;

use super::Global;
use super::token::parse_tenant;
use super::validation::FamilyArg;
use crate::output::print;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SegmentArg {
    Government,
    Commercial,
}

/// One order line, given as `OFFER=QUANTITY`.
#[derive(Debug, Clone)]
pub struct LineArg {
    offer: String,
    quantity: i32,
}

fn parse_line(s: &str) -> Result<LineArg, String> {
    let (offer, quantity) = s.split_once('=').ok_or_else(|| format!("{s:?} is not OFFER=QUANTITY"))?;
    let offer = offer.trim().trim_start_matches("offers/");
    if offer.is_empty() {
        return Err(format!("{s:?} names no offer"));
    }
    let quantity = quantity.trim().parse().map_err(|_| format!("{quantity:?} is not a number of licences"))?;
    Ok(LineArg { offer: format!("offers/{offer}"), quantity })
}

#[derive(Debug, clap::Subcommand)]
pub enum OffersCommand {
    /// The catalog, by segment and family.
    List {
        #[arg(long, value_enum)]
        segment: Option<SegmentArg>,
        #[arg(long, value_enum)]
        family: Option<FamilyArg>,
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
    /// What a customer can be sold now: commercial offers, and government ones when the
    /// eligibility gate says yes.
    Purchasable {
        /// The customer's tenant ID.
        #[arg(value_parser = parse_tenant)]
        customer: TenantId,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum OrderCommand {
    /// Place an order for a customer the caller manages; GCC lines are checked by the gate.
    Place {
        /// The customer's tenant ID.
        #[arg(long, value_parser = parse_tenant)]
        customer: TenantId,
        /// `OFFER=QUANTITY`, such as `o365-g3-gcc=25`; repeat for each line.
        #[arg(long = "line", value_parser = parse_line, required = true)]
        lines: Vec<LineArg>,
        /// A UUID that makes a retry safe.
        /// Makes retries safe; a new one when not given.
        #[arg(long, default_value_t = gcc_client::retry::new_request_id(), hide_default_value = true)]
        request_id: String,
    },
    /// Show one order (`orders/…`).
    Get { name: String },
    /// List the caller's orders (an indirect provider: also its resellers').
    List {
        /// Only this customer's (tenant ID).
        #[arg(long, value_parser = parse_tenant)]
        customer: Option<TenantId>,
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum SubscriptionsCommand {
    /// List the caller's subscriptions (an indirect provider: also its resellers').
    List {
        /// Only this customer's (tenant ID).
        #[arg(long, value_parser = parse_tenant)]
        customer: Option<TenantId>,
        #[arg(long, default_value_t = 50)]
        page_size: i32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
}

fn customer_filter(customer: Option<TenantId>) -> String {
    customer.map(|c| format!("customers/{c}")).unwrap_or_default()
}

impl OffersCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let c = g.connect(&g.ordering_endpoint)?.ordering();
        match self {
            Self::List { segment, family, page_size, page_token } => {
                let segment = segment.map_or(pb::Segment::Unspecified, |s| match s {
                    SegmentArg::Government => pb::Segment::Government,
                    SegmentArg::Commercial => pb::Segment::Commercial,
                });
                let family = family.map_or(OfferFamily::Unspecified, OfferFamily::from);
                let req =
                    pb::ListOffersRequest { page_size, page_token, segment: segment as i32, family: family as i32 };
                print(read!(c.list_offers(req))?.get_ref(), g.json)
            }
            Self::Purchasable { customer } => {
                let req = pb::ListPurchasableOffersRequest { customer: format!("customers/{customer}") };
                print(read!(c.list_purchasable_offers(req))?.get_ref(), g.json)
            }
        }
    }
}

impl OrderCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let c = g.connect(&g.ordering_endpoint)?.ordering();
        match self {
            Self::Place { customer, lines, request_id } => {
                let order = pb::Order {
                    customer: format!("customers/{customer}"),
                    lines: lines
                        .into_iter()
                        .map(|l| pb::OrderLine { offer: l.offer, quantity: l.quantity, subscription: String::new() })
                        .collect(),
                    ..Default::default()
                };
                let req = pb::PlaceOrderRequest { order: Some(order), request_id };
                print(mutate!(c.place_order(req))?.get_ref(), g.json)
            }
            Self::Get { name } => print(read!(c.get_order(pb::GetOrderRequest { name }))?.get_ref(), g.json),
            Self::List { customer, page_size, page_token } => {
                let req = pb::ListOrdersRequest { page_size, page_token, customer: customer_filter(customer) };
                print(read!(c.list_orders(req))?.get_ref(), g.json)
            }
        }
    }
}

impl SubscriptionsCommand {
    pub async fn run(self, g: &Global) -> anyhow::Result<()> {
        let c = g.connect(&g.ordering_endpoint)?.ordering();
        match self {
            Self::List { customer, page_size, page_token } => {
                let req = pb::ListSubscriptionsRequest { page_size, page_token, customer: customer_filter(customer) };
                print(read!(c.list_subscriptions(req))?.get_ref(), g.json)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_lines_are_offer_equals_quantity() {
        let l = parse_line("o365-g3-gcc=25").unwrap();
        assert_eq!((l.offer.as_str(), l.quantity), ("offers/o365-g3-gcc", 25));
        assert_eq!(parse_line("offers/ems-e3 = 2").unwrap().offer, "offers/ems-e3");
        for bad in ["o365-g3-gcc", "=3", "o365-e3=many"] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}
