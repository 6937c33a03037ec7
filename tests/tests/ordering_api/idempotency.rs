//! A retry never creates a second order: concurrent duplicates get one answer, another
//! body under the same request id is refused, and a retry gets its first answer even when
//! the facts that allowed it no longer hold or cannot be read.

use gcc_proto::{ordering as pb, relationships as rpb};
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{World, admin, order};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_identical_orders_place_exactly_one() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let lines = [("o365-g3-gcc", 40), ("o365-e3", 2)];

    let calls = (0..64).map(|_| {
        let mut client = w.ordering();
        let req = authed(order(customer, &lines, &request_id), &admin(partner));
        tokio::spawn(async move { client.place_order(req).await.map(|r| r.into_inner()) })
    });
    let answers: Vec<pb::Order> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("every duplicate succeeds"))
        .collect();

    assert!(answers.iter().all(|a| a == &answers[0]), "every caller gets the same answer");
    assert_eq!(w.count("orders").await, 1);
    assert_eq!(w.count("order_lines").await, 2);
    assert_eq!(w.count("subscriptions").await, 2);
    assert_eq!(w.count("idempotency").await, 1);
    assert_eq!(w.count("outbox").await, 1);
    assert_eq!(w.count("audit_log WHERE action = 'order.place'").await, 1);
}

#[tokio::test]
async fn the_same_request_id_with_another_body_is_refused_and_writes_nothing() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let first = w.place(&admin(partner), customer, &[("o365-g3-gcc", 5)], &request_id).await.unwrap();

    let err = w.place(&admin(partner), customer, &[("o365-g3-gcc", 6)], &request_id).await.unwrap_err();
    assert_refused(&err, Code::AlreadyExists, "REQUEST_ID_REUSED");
    let again = w.place(&admin(partner), customer, &[("o365-g3-gcc", 5)], &request_id).await.unwrap();
    assert_eq!(again, first, "a retry returns the first answer");
    assert_eq!(w.count("orders").await, 1);
    assert_eq!(w.count("subscriptions").await, 1);
}

#[tokio::test]
async fn r18_a_retry_returns_the_first_answer_even_after_eligibility_changed() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let first = w.place(&admin(partner), customer, &[("ems-e3-gcc", 9)], &request_id).await.unwrap();

    // The partner no longer manages the customer, so a new order is refused ...
    let revoke = rpb::RevokeCustomerRelationshipRequest {
        customer: format!("customers/{customer}"),
        partner: String::new(),
        request_id: String::new(),
    };
    w.relationships().revoke_customer_relationship(authed(revoke, &admin(partner))).await.unwrap();
    let err = w.place(&admin(partner), customer, &[("ems-e3-gcc", 9)], "").await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");

    // ... but the retry of the placed one gets its first answer.
    let retry = w.place(&admin(partner), customer, &[("ems-e3-gcc", 9)], &request_id).await.unwrap();
    assert_eq!(retry, first);
    assert_eq!(w.count("orders").await, 1);
}

#[tokio::test]
async fn r18_a_retry_gets_its_first_answer_while_customer_validation_is_down() {
    let mut w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let first = w.place(&admin(partner), customer, &[("o365-g5-gcc", 3)], &request_id).await.unwrap();
    w.stop_validation().await;

    // A new order fails closed ...
    let err = w.place(&admin(partner), customer, &[("o365-g5-gcc", 3)], "").await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    // ... the retry of the placed one gets its first answer, and another body under its
    // id is still refused as such.
    let retry = w.place(&admin(partner), customer, &[("o365-g5-gcc", 3)], &request_id).await.unwrap();
    assert_eq!(retry, first);
    let err = w.place(&admin(partner), customer, &[("o365-g5-gcc", 4)], &request_id).await.unwrap_err();
    assert_refused(&err, Code::AlreadyExists, "REQUEST_ID_REUSED");
    assert_eq!(w.count("orders").await, 1);
    assert_eq!(w.count("idempotency").await, 1);
}
