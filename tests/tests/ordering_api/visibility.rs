//! Who sees an order: the ordering partner and its indirect provider. Anyone else gets
//! NOT_FOUND, exactly like a missing order.

use gcc_proto::partner as ppb;
use gcc_testkit::assert_refused;
use tonic::Code;

use crate::helpers::{World, admin, sales};

#[tokio::test]
async fn another_partners_order_is_not_found_like_a_missing_one() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let other = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;
    let order = w.place(&admin(partner), customer, &[("o365-e3", 1)], "").await.unwrap();

    for name in [order.name.as_str(), "orders/0195f0c2a1b27c3d8e9f0a1b2c3d4e5f"] {
        let err = w.get_order(&admin(other), name).await.unwrap_err();
        assert_refused(&err, Code::NotFound, "ORDER_NOT_FOUND");
    }
    assert!(w.list_orders(&admin(other), None).await.is_empty());
    assert!(w.list_subscriptions(&admin(other), None).await.is_empty());
    assert!(w.list_orders(&admin(other), Some(customer)).await.is_empty());
    assert_eq!(w.list_orders(&sales(partner), None).await, [order]);
}

#[tokio::test]
async fn an_indirect_provider_sees_its_resellers_orders_and_subscriptions() {
    let w = World::spawn().await;
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None).await;
    w.qualify(provider).await;
    let reseller = w.enrolled(ppb::PartnerType::IndirectReseller, Some(provider)).await;
    let stranger = w.gcc_partner().await;
    // R9: the reseller names its provider as the transacting partner.
    let customer = w.validated_customer_via(reseller, provider).await;

    let order = w.place(&admin(reseller), customer, &[("o365-g3-gcc", 12), ("power-bi-pro", 3)], "").await.unwrap();
    assert!(order.gcc_checked);

    assert_eq!(w.list_orders(&sales(provider), None).await, std::slice::from_ref(&order));
    assert_eq!(w.list_orders(&sales(provider), Some(customer)).await, std::slice::from_ref(&order));
    assert_eq!(w.get_order(&admin(provider), &order.name).await.unwrap(), order);
    assert_eq!(w.list_subscriptions(&admin(provider), Some(customer)).await.len(), 2);
    assert_eq!(w.list_subscriptions(&admin(reseller), None).await.len(), 2);

    let err = w.get_order(&admin(stranger), &order.name).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "ORDER_NOT_FOUND");
    assert!(w.list_subscriptions(&admin(stranger), None).await.is_empty());
}
