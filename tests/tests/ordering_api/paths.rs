//! The two ordering paths of the source: a new customer (R19) and an existing GCC
//! customer reached by a reseller relationship request (R20).

use gcc_platform::TenantId;
use gcc_proto::{ordering as pb, validation as vpb};
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{World, admin, gcc_refusal, sales};

async fn purchasable(w: &World, partner: TenantId, customer: TenantId) -> pb::ListPurchasableOffersResponse {
    let req = pb::ListPurchasableOffersRequest { customer: format!("customers/{customer}") };
    w.ordering().list_purchasable_offers(authed(req, &sales(partner))).await.expect("purchasable").into_inner()
}

#[tokio::test]
async fn r19_a_new_customer_is_created_validated_given_its_code_and_then_ordered_for() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;

    // A new customer, in the partner's list at once (R17), with no validation yet (R10).
    let customer = w.customer_of(partner).await;
    let err = w.place(&admin(partner), customer, &[("o365-g3-gcc", 20)], "").await.unwrap_err();
    assert_eq!(gcc_refusal(&err).0, "CUSTOMER_NOT_VALIDATED", "no validation item yet: no GCC order");

    // Validation approved: its code is on the partner's pick list (R12, R19).
    let v = w.submitted_for(partner, partner, &w.domain_of(partner, customer).await).await;
    let code = w.approved(&v.name).await;
    let codes = w
        .validation()
        .list_validation_codes(authed(vpb::ListValidationCodesRequest::default(), &admin(partner)))
        .await
        .unwrap()
        .into_inner()
        .validation_codes;
    assert!(codes.iter().any(|c| c.name == code), "the code is on the pick list");

    // The code is picked for the customer, and the order goes through.
    w.applied(partner, &code, customer).await;
    let open = purchasable(&w, partner, customer).await;
    assert!(open.gcc_eligible && open.offers.iter().any(|o| o.name == "offers/o365-g3-gcc"));
    let order = w.place(&admin(partner), customer, &[("o365-g3-gcc", 20), ("ems-e5-gcc", 20)], "").await.unwrap();
    assert!(order.gcc_checked);
    assert_eq!(w.list_subscriptions(&admin(partner), Some(customer)).await.len(), 2);
}

#[tokio::test]
async fn r20_an_existing_gcc_customer_invited_by_another_partner_is_ordered_for_after_accepting() {
    // The gate sees the new relationship at once, not after its fact cache expires.
    let w = World::spawn_with(&["--fact-cache-ttl", "0s"], &[]).await;
    let first = w.gcc_partner().await;
    let customer = w.validated_customer(first).await;
    let second = w.gcc_partner().await;

    // Not yet this partner's customer (R15).
    let token = w.invite(second, customer).await;
    let err = w.place(&admin(second), customer, &[("o365-g1-gcc", 5)], "").await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");

    // The customer's admin accepts the personalized link (R14, R15).
    w.accept(customer, &token).await;

    // The partner checks the special qualifications (R12, R16) ...
    let req = vpb::ListSpecialQualificationsRequest { customer: format!("customers/{customer}") };
    let found = w
        .validation()
        .list_special_qualifications(authed(req, &sales(second)))
        .await
        .unwrap()
        .into_inner()
        .special_qualifications;
    assert!(!found.is_empty(), "the customer shows Government Community Cloud");

    // ... and orders the GCC offer (R20).
    let order = w.place(&sales(second), customer, &[("o365-g1-gcc", 5)], "").await.unwrap();
    assert_eq!(order.partner, format!("partners/{second}"));
    assert!(order.gcc_checked);
    assert!(w.list_orders(&admin(first), None).await.is_empty(), "the first partner does not see it");
}

#[tokio::test]
async fn r18_r21_an_order_of_every_offer_is_written_whole_or_not_at_all() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let req = pb::ListOffersRequest { page_size: 100, ..Default::default() };
    let offers = w.ordering().list_offers(authed(req, &admin(partner))).await.expect("offers").into_inner().offers;
    let ids: Vec<String> = offers.iter().map(|o| o.name.trim_start_matches("offers/").to_owned()).collect();
    let lines: Vec<(&str, i32)> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i as i32 + 1)).collect();
    assert!(lines.len() >= 15, "the whole catalog: {ids:?}");

    // The customer is not validated: the government lines refuse all of it (R18).
    let unvalidated = w.customer_of(partner).await;
    let err = w.place(&admin(partner), unvalidated, &lines, "").await.unwrap_err();
    assert_eq!(gcc_refusal(&err).0, "CUSTOMER_NOT_VALIDATED");
    assert_eq!(w.count("orders").await, 0);

    // Validated: one order with every line and a subscription for each.
    let customer = w.validated_customer(partner).await;
    let order = w.place(&admin(partner), customer, &lines, &uuid::Uuid::new_v4().to_string()).await.unwrap();
    assert_eq!(order.lines.len(), lines.len());
    assert_eq!(w.count("orders").await, 1);
    assert_eq!(w.count("order_lines").await, lines.len() as i64);
    assert_eq!(w.count("subscriptions").await, lines.len() as i64);
    assert_eq!(w.list_subscriptions(&admin(partner), Some(customer)).await.len(), lines.len());
}
