//! What ordering decides on its own: malformed requests are refused before any
//! dependency is asked, and with no dependency reachable an order fails closed (R18).

use gcc_platform::TenantId;
use gcc_proto::ordering as pb;
use gcc_testkit::walk::{admin, order};
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::TestApp;

#[tokio::test]
async fn malformed_orders_are_refused_without_asking_a_dependency() {
    let app = TestApp::spawn().await;
    let partner = TenantId::random();
    let mut no_customer = order(TenantId::random(), &[("o365-e3", 1)], "");
    no_customer.order.as_mut().expect("an order").customer.clear();
    let cases = [
        ("no order", pb::PlaceOrderRequest::default(), "FIELD_REQUIRED"),
        ("no customer", no_customer, "FIELD_REQUIRED"),
    ];
    for (what, req, expected) in cases {
        let err = app.client.clone().place_order(authed(req, &admin(partner))).await.expect_err(what);
        assert_refused(&err, Code::InvalidArgument, expected);
    }
    app.assert_nothing_written().await;
}

#[tokio::test]
async fn r18_an_order_fails_closed_when_no_dependency_answers() {
    let app = TestApp::spawn().await;
    let partner = TenantId::random();
    let req = order(TenantId::random(), &[("o365-g3-gcc", 1)], "");
    let err = app.client.clone().place_order(authed(req, &admin(partner))).await.expect_err("no dependency");
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    app.assert_nothing_written().await;
}
