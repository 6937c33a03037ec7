//! The ordering domain: the catalog, parsed orders and the rules on their lines, what the
//! facts of an order allow, and the stored orders and subscriptions with who may see them
//! (R18–R21). No tonic, no SQL.

pub mod gate;
pub mod offer;
pub mod order;
pub mod refusal;

pub use gate::{Clearance, Eligibility, Management};
pub use offer::{Catalog, Offer, OfferFamily, Segment};
pub use order::{Event, NewLine, NewOrder, Order, OrderLine, Placement, Quantity, Subscription};
pub use refusal::{GatedLine, Refusal};
