//! Malformed, oversized and out-of-range input: the exact code and reason, and nothing
//! written.

use gcc_platform::{Role, TenantId};
use gcc_proto::ordering as pb;
use gcc_testkit::{assert_refused, authed, reason, reviewer_token, token};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{World, admin, order};

#[tokio::test]
async fn bad_orders_get_the_exact_code_and_reason_and_write_nothing() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    let edit = |f: &dyn Fn(&mut pb::Order)| {
        let mut req = order(customer, &[("o365-g3-gcc", 1), ("o365-e3", 1)], "");
        f(req.order.as_mut().unwrap());
        req
    };
    let line =
        |offer: &str, quantity: i32| pb::OrderLine { offer: offer.into(), quantity, subscription: String::new() };
    let many: Vec<pb::OrderLine> = (0..51).map(|_| line("offers/o365-e3", 1)).collect();

    let cases: Vec<(&str, pb::PlaceOrderRequest, Code, &str)> = vec![
        ("no order", pb::PlaceOrderRequest::default(), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("no customer", edit(&|o| o.customer.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        (
            "customer of another collection",
            edit(&|o| o.customer = format!("partners/{customer}")),
            Code::InvalidArgument,
            "NAME_INVALID",
        ),
        (
            "customer not a GUID",
            edit(&|o| o.customer = "customers/agency".into()),
            Code::InvalidArgument,
            "TENANT_ID_INVALID",
        ),
        (
            "nil customer",
            edit(&|o| o.customer = format!("customers/{}", uuid::Uuid::nil())),
            Code::InvalidArgument,
            "TENANT_ID_NIL",
        ),
        ("no lines", edit(&|o| o.lines.clear()), Code::InvalidArgument, "FIELD_REQUIRED"),
        ("51 lines", edit(&|o| o.lines = many.clone()), Code::InvalidArgument, "TOO_MANY_LINES"),
        (
            "offer without its collection",
            edit(&|o| o.lines[0].offer = "o365-g3-gcc".into()),
            Code::InvalidArgument,
            "NAME_INVALID",
        ),
        (
            "malformed offer name",
            edit(&|o| o.lines[0].offer = "offers/../o365".into()),
            Code::InvalidArgument,
            "NAME_INVALID",
        ),
        (
            "unknown offer",
            edit(&|o| o.lines[1].offer = "offers/o365-g9-gcc".into()),
            Code::InvalidArgument,
            "OFFER_NOT_FOUND",
        ),
        (
            "duplicate offer",
            edit(&|o| o.lines.push(line("offers/o365-g3-gcc", 2))),
            Code::InvalidArgument,
            "DUPLICATE_OFFER",
        ),
        ("quantity 0", edit(&|o| o.lines[0].quantity = 0), Code::InvalidArgument, "QUANTITY_OUT_OF_RANGE"),
        ("quantity 100001", edit(&|o| o.lines[1].quantity = 100_001), Code::InvalidArgument, "QUANTITY_OUT_OF_RANGE"),
        ("negative quantity", edit(&|o| o.lines[0].quantity = -5), Code::InvalidArgument, "QUANTITY_OUT_OF_RANGE"),
        (
            "request id not a UUID",
            pb::PlaceOrderRequest { request_id: "retry-1".into(), ..edit(&|_| {}) },
            Code::InvalidArgument,
            "REQUEST_ID_INVALID",
        ),
        (
            "message over the size limit",
            edit(&|o| o.lines[0].offer = format!("offers/{}", "x".repeat(70 * 1024))),
            Code::ResourceExhausted,
            "MESSAGE_TOO_LARGE",
        ),
    ];
    for (what, req, code, expected) in cases {
        let err = w.ordering().place_order(authed(req, &admin(partner))).await.expect_err(what);
        assert_eq!((err.code(), reason(&err).as_str()), (code, expected), "{what}: {err:?}");
    }
    w.assert_nothing_written().await;
}

#[tokio::test]
async fn an_unknown_offer_names_the_line_at_fault() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;
    let err = w.place(&admin(partner), customer, &[("o365-e3", 1), ("o365-g7-gcc", 1)], "").await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "OFFER_NOT_FOUND");
    let fields: Vec<_> =
        err.get_error_details().bad_request().unwrap().field_violations.iter().map(|f| f.field.clone()).collect();
    assert_eq!(fields, ["order.lines[1].offer"]);
}

#[tokio::test]
async fn bad_names_filters_and_page_tokens_are_invalid_argument() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let as_admin = admin(partner);
    let mut c = w.ordering();

    for (name, expected) in [("", "FIELD_REQUIRED"), ("orders/", "NAME_INVALID"), ("subscriptions/abc", "NAME_INVALID")]
    {
        let err = w.get_order(&as_admin, name).await.unwrap_err();
        assert_refused(&err, Code::InvalidArgument, expected);
    }
    let offers = |edit: &dyn Fn(&mut pb::ListOffersRequest)| {
        let mut r = pb::ListOffersRequest::default();
        edit(&mut r);
        authed(r, &as_admin)
    };
    for (what, req, expected) in [
        ("unknown segment", offers(&|r| r.segment = 9), "ENUM_VALUE_INVALID"),
        ("unknown family", offers(&|r| r.family = 17), "ENUM_VALUE_INVALID"),
        ("bad page token", offers(&|r| r.page_token = "bm90LWEtdG9rZW4".into()), "PAGE_TOKEN_INVALID"),
        ("negative page size", offers(&|r| r.page_size = -1), "FIELD_INVALID"),
    ] {
        let err = c.list_offers(req).await.expect_err(what);
        assert_refused(&err, Code::InvalidArgument, expected);
    }
    let req = pb::ListOrdersRequest { customer: "customers/x".into(), ..Default::default() };
    assert_refused(
        &c.list_orders(authed(req, &as_admin)).await.unwrap_err(),
        Code::InvalidArgument,
        "TENANT_ID_INVALID",
    );
    let req = pb::ListSubscriptionsRequest { page_token: "garbage!".into(), ..Default::default() };
    let err = c.list_subscriptions(authed(req, &as_admin)).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "PAGE_TOKEN_INVALID");
    let req = pb::ListPurchasableOffersRequest { customer: String::new() };
    let err = c.list_purchasable_offers(authed(req, &as_admin)).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "FIELD_REQUIRED");
}

#[tokio::test]
async fn callers_without_an_agent_role_are_refused() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;
    for t in [token(customer, &[Role::CustomerAdmin]), reviewer_token()] {
        let err = w.place(&t, customer, &[("o365-e3", 1)], "").await.unwrap_err();
        assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    }
    let err = w.ordering().list_offers(pb::ListOffersRequest::default()).await.unwrap_err();
    assert_refused(&err, Code::Unauthenticated, "TOKEN_MISSING");
    let err = w.get_order(&token(TenantId::random(), &[Role::CustomerAdmin]), "orders/abc").await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    w.assert_nothing_written().await;
}
