//! R18: GCC offers only for a validated customer that the caller manages, by a partner
//! whose transacting partner holds GCC; every refusal names the gate's reasons and each
//! GCC line, and writes nothing.

use gcc_proto::partner as ppb;
use gcc_testkit::assert_refused;
use tonic::Code;

use crate::helpers::{World, admin, gcc_refusal, sales};

#[tokio::test]
async fn r18_a_validated_managed_customer_of_a_gcc_partner_gets_one_subscription_per_line() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;

    let lines = [("o365-g3-gcc", 25), ("ems-e3-gcc", 10), ("power-bi-pro", 5)];
    let order = w.place(&sales(partner), customer, &lines, "").await.expect("order placed");

    assert!(order.name.starts_with("orders/"));
    assert_eq!(order.partner, format!("partners/{partner}"));
    assert_eq!(order.customer, format!("customers/{customer}"));
    assert!(order.gcc_checked, "the gate was asked");
    let offers: Vec<_> = order.lines.iter().map(|l| (l.offer.as_str(), l.quantity)).collect();
    assert_eq!(offers, [("offers/o365-g3-gcc", 25), ("offers/ems-e3-gcc", 10), ("offers/power-bi-pro", 5)]);
    assert!(order.lines.iter().all(|l| l.subscription.starts_with("subscriptions/")));

    let subscriptions = w.list_subscriptions(&admin(partner), Some(customer)).await;
    assert_eq!(subscriptions.len(), 3);
    for line in &order.lines {
        let s = subscriptions.iter().find(|s| s.name == line.subscription).expect("a subscription per line");
        assert_eq!(
            (s.offer.as_str(), s.quantity, s.order.as_str()),
            (line.offer.as_str(), line.quantity, order.name.as_str())
        );
    }
    assert_eq!(w.get_order(&admin(partner), &order.name).await.unwrap(), order);
    assert_eq!(w.count("orders").await, 1);
    assert_eq!(w.count("audit_log WHERE action = 'order.place'").await, 1);
    assert_eq!(w.count("outbox WHERE topic = 'gcc.ordering.v1.order.placed'").await, 1);
}

#[tokio::test]
async fn r18_an_unvalidated_customer_is_refused_with_one_violation_per_gcc_line() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;

    let err = w.place(&admin(partner), customer, &[("o365-g3-gcc", 1), ("d365-sales-enterprise-gcc", 2)], "").await;
    let (reasons, violations) = gcc_refusal(&err.unwrap_err());
    assert_eq!(reasons, "CUSTOMER_NOT_VALIDATED");
    let expected = [("CUSTOMER_NOT_VALIDATED", "lines[0]"), ("CUSTOMER_NOT_VALIDATED", "lines[1]")];
    assert_eq!(violations, expected.map(|(t, s)| (t.to_owned(), s.to_owned())));
    w.assert_nothing_written().await;
    assert_eq!(
        gcc_testkit::eventually_eq(1, || w.count("audit_log WHERE outcome = 'GCC_ELIGIBILITY_REQUIRED'")).await,
        1,
        "the denial is audited"
    );
}

#[tokio::test]
async fn r18_a_pending_validation_is_refused() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;
    w.submitted(partner, partner, Some(customer)).await;

    let err = w.place(&admin(partner), customer, &[("o365-g5-gcc", 3)], "").await.unwrap_err();
    let (reasons, violations) = gcc_refusal(&err);
    assert_eq!(reasons, "VALIDATION_PENDING");
    assert_eq!(violations, [("VALIDATION_PENDING".to_owned(), "lines[0]".to_owned())]);
    w.assert_nothing_written().await;
}

#[tokio::test]
async fn r18_a_partner_without_gcc_is_refused_with_every_reason() {
    let w = World::spawn().await;
    let partner = w.enrolled(ppb::PartnerType::DirectReseller, None).await;
    let customer = w.customer_of(partner).await;

    let err = w.place(&admin(partner), customer, &[("power-bi-pro-gcc", 1)], "").await.unwrap_err();
    let (reasons, violations) = gcc_refusal(&err);
    assert_eq!(reasons, "PARTNER_NOT_GCC_QUALIFIED,CUSTOMER_NOT_VALIDATED");
    assert_eq!(violations, [("PARTNER_NOT_GCC_QUALIFIED".to_owned(), "lines[0]".to_owned())]);
    w.assert_nothing_written().await;
}

#[tokio::test]
async fn r18_r21_a_mixed_order_with_an_ineligible_gcc_line_is_refused_whole() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;

    let lines = [("o365-e3", 10), ("m365-g3-gcc", 10), ("ems-e3", 4)];
    let err = w.place(&admin(partner), customer, &lines, "").await.unwrap_err();
    let (reasons, violations) = gcc_refusal(&err);
    assert_eq!(reasons, "CUSTOMER_NOT_VALIDATED");
    assert_eq!(violations, [("CUSTOMER_NOT_VALIDATED".to_owned(), "lines[1]".to_owned())], "only the GCC line");
    w.assert_nothing_written().await;
    assert!(w.list_subscriptions(&admin(partner), None).await.is_empty());
}

#[tokio::test]
async fn r15_r18_a_customer_the_caller_does_not_manage_is_not_found_like_a_missing_one() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let other = w.gcc_partner().await;
    let theirs = w.validated_customer(other).await;
    let missing = gcc_platform::TenantId::random();

    for customer in [theirs, missing] {
        for lines in [&[("o365-g3-gcc", 1)][..], &[("o365-e3", 1)][..]] {
            let err = w.place(&admin(partner), customer, lines, "").await.unwrap_err();
            assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
        }
    }
    w.assert_nothing_written().await;
}
