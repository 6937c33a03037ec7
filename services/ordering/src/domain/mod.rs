//! The ordering domain: the catalog, parsed orders and the rules on their lines, and the
//! stored orders and subscriptions with who may see them (R18–R21). No tonic, no SQL.

pub mod offer;
pub mod order;

pub use offer::{Catalog, Offer, OfferFamily, Segment};
pub use order::{LineRefusal, NewLine, NewOrder, Order, OrderLine, Quantity, Subscription};
