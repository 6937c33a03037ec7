//! R21: commercial offers are not gated by GCC validation, and do not need the gate to be
//! up.

use gcc_proto::partner as ppb;

use crate::helpers::{World, admin};

#[tokio::test]
async fn r21_commercial_offers_are_ordered_for_an_unvalidated_customer() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;

    let lines = [("o365-e3", 50), ("m365-business-premium", 10), ("d365-sales-enterprise", 3)];
    let order = w.place(&admin(partner), customer, &lines, "").await.expect("not gated");
    assert!(!order.gcc_checked, "the gate was not asked");
    assert_eq!(order.lines.len(), 3);
    assert_eq!(w.count("subscriptions").await, 3);
}

#[tokio::test]
async fn r21_commercial_orders_go_through_while_customer_validation_is_stopped() {
    let mut w = World::spawn().await;
    let partner = w.enrolled(ppb::PartnerType::DirectReseller, None).await;
    let customer = w.customer_of(partner).await;
    w.stop_validation().await;

    let order = w.place(&admin(partner), customer, &[("power-bi-pro", 7), ("ems-e3", 7)], "").await;
    assert!(!order.expect("the gate is not needed").gcc_checked);
    assert_eq!(w.count("orders").await, 1);
}
