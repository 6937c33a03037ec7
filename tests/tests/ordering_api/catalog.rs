//! The catalog (R21) and what a customer can be sold now (R6, R18).

use std::collections::BTreeSet;

use gcc_platform::TenantId;
use gcc_proto::ordering as pb;
use gcc_proto::types::OfferFamily;
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{World, sales};

async fn all_offers(w: &World, as_token: &str, segment: pb::Segment, family: OfferFamily) -> Vec<pb::Offer> {
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let req = pb::ListOffersRequest { page_size: 4, page_token, segment: segment as i32, family: family as i32 };
        let page = w.ordering().list_offers(authed(req, as_token)).await.expect("list offers").into_inner();
        assert!(page.offers.len() <= 4);
        out.extend(page.offers);
        if page.next_page_token.is_empty() {
            return out;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test]
async fn r6_r21_the_catalog_has_government_offers_in_four_families_and_commercial_ones() {
    let w = World::spawn().await;
    let t = sales(TenantId::random());

    let every = all_offers(&w, &t, pb::Segment::Unspecified, OfferFamily::Unspecified).await;
    let names: Vec<_> = every.iter().map(|o| o.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted, "pages in name order, none repeated");

    let government = all_offers(&w, &t, pb::Segment::Government, OfferFamily::Unspecified).await;
    assert!(government.iter().all(|o| o.requires_gcc && o.segment == pb::Segment::Government as i32));
    let families: BTreeSet<i32> = government.iter().map(|o| o.family).collect();
    assert_eq!(families.len(), 4, "Office 365, Dynamics 365, EMS and Power BI");
    for id in ["o365-g1-gcc", "o365-g3-gcc", "o365-g5-gcc", "m365-g3-gcc", "m365-g5-gcc", "power-bi-pro-gcc"] {
        assert!(government.iter().any(|o| o.name == format!("offers/{id}")), "{id}");
    }

    let commercial = all_offers(&w, &t, pb::Segment::Commercial, OfferFamily::Unspecified).await;
    assert!(!commercial.is_empty() && commercial.iter().all(|o| !o.requires_gcc));
    assert_eq!(government.len() + commercial.len(), every.len());

    let ems = all_offers(&w, &t, pb::Segment::Commercial, OfferFamily::Ems).await;
    assert_eq!(ems.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["offers/ems-e3"]);
}

#[tokio::test]
async fn r18_r21_purchasable_offers_open_government_offers_only_to_an_eligible_customer() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let validated = w.validated_customer(partner).await;
    let unvalidated = w.customer_of(partner).await;
    let ask = |customer: TenantId| {
        let req = pb::ListPurchasableOffersRequest { customer: format!("customers/{customer}") };
        let mut c = w.ordering();
        let t = sales(partner);
        async move { c.list_purchasable_offers(authed(req, &t)).await }
    };

    let open = ask(validated).await.unwrap().into_inner();
    assert!(open.gcc_eligible && open.gcc_ineligibility_reasons.is_empty());
    assert!(open.offers.iter().any(|o| o.requires_gcc) && open.offers.iter().any(|o| !o.requires_gcc));

    let closed = ask(unvalidated).await.unwrap().into_inner();
    assert!(!closed.gcc_eligible);
    assert_eq!(closed.gcc_ineligibility_reasons, ["CUSTOMER_NOT_VALIDATED"]);
    assert!(!closed.offers.is_empty() && closed.offers.iter().all(|o| !o.requires_gcc), "commercial only");

    let other = w.gcc_partner().await;
    let theirs = w.customer_of(other).await;
    assert_refused(&ask(theirs).await.unwrap_err(), Code::NotFound, "CUSTOMER_NOT_FOUND");
}
