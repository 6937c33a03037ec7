//! Ordering's orders, each with its one GCC line and its subscription, as `PlaceOrder`
//! writes them (the list and gate queries read only these three tables).

use super::{Rows, V, now_micros, write};

const OFFER: &str = "o365-g3-gcc";

/// Adds `rows` orders, one GCC line and one subscription each; `owner(i)` gives the
/// `i`th order's partner and customer tenant IDs.
pub async fn orders(url: &str, rows: usize, owner: impl Fn(usize) -> (String, String)) -> anyhow::Result<()> {
    let now = now_micros();
    write(url, rows, |range| {
        let mut orders = Rows::new("orders (id, partner_tenant, customer_tenant, placed_by, gcc_checked, created_at)");
        let mut subscriptions =
            Rows::new("subscriptions (id, order_id, partner_tenant, customer_tenant, offer_id, quantity, created_at)");
        let mut lines = Rows::new("order_lines (order_id, line_no, offer_id, quantity, subscription_id)");
        for i in range {
            let (partner, customer) = owner(i);
            let (order, subscription) = (gcc_platform::ids::new_id(), gcc_platform::ids::new_id());
            orders.push([
                order.clone().into(),
                partner.clone().into(),
                customer.clone().into(),
                "bulk".into(),
                V::Flag(true),
                now.into(),
            ]);
            subscriptions.push([
                subscription.clone().into(),
                order.clone().into(),
                partner.into(),
                customer.into(),
                OFFER.into(),
                10i64.into(),
                now.into(),
            ]);
            lines.push([order.into(), 0i64.into(), OFFER.into(), 10i64.into(), subscription.into()]);
        }
        vec![orders, subscriptions, lines]
    })
    .await
}
