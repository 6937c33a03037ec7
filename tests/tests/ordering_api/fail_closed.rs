//! The gate fails closed (R18, DESIGN): when customer-validation cannot answer in time, no
//! GCC order is written and the caller gets UNAVAILABLE or DEADLINE_EXCEEDED, never a
//! silent pass.

use std::time::Duration;

use gcc_proto::ordering as pb;
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{World, admin, order};

/// An endpoint that accepts connections but never answers.
fn silent() -> (std::net::TcpListener, String) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

#[tokio::test]
async fn r18_a_gcc_order_fails_closed_when_customer_validation_is_down() {
    let mut w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    w.stop_validation().await;

    let err = w.place(&admin(partner), customer, &[("o365-g3-gcc", 1), ("o365-e3", 1)], "").await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    let req = pb::ListPurchasableOffersRequest { customer: format!("customers/{customer}") };
    let err = w.ordering().list_purchasable_offers(authed(req, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    w.assert_nothing_written().await;
}

#[tokio::test]
async fn r18_a_gcc_order_fails_closed_when_the_gate_never_answers() {
    let (hold, url) = silent();
    let w = World::spawn_with(&[], &["--validation-endpoint", &url, "--dependency-timeout", "300ms"]).await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;

    let err = w.place(&admin(partner), customer, &[("ems-e5-gcc", 1)], "").await.unwrap_err();
    assert_refused(&err, Code::DeadlineExceeded, "DEPENDENCY_DEADLINE_EXCEEDED");
    w.assert_nothing_written().await;
    drop(hold);
}

#[tokio::test]
async fn the_callers_shorter_deadline_is_passed_on_to_the_gate() {
    let (hold, url) = silent();
    // The dependency timeout alone would outlast the caller's deadline by far; only a
    // deadline passed on lets the gate call end first and be reported as such.
    let w = World::spawn_with(&[], &["--validation-endpoint", &url, "--dependency-timeout", "60s"]).await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;

    let mut req = authed(order(customer, &[("o365-g5-gcc", 1)], ""), &admin(partner));
    req.set_timeout(Duration::from_millis(600));
    let err = w.ordering().place_order(req).await.unwrap_err();
    assert_refused(&err, Code::DeadlineExceeded, "DEPENDENCY_DEADLINE_EXCEEDED");
    w.assert_nothing_written().await;
    drop(hold);
}
