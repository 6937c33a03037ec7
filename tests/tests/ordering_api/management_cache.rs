//! R15, R18: with `--management-cache-ttl`, ordering reuses a positive answer of
//! relationships for that long and no longer; a negative answer is never reused. Without
//! it (the default) every order reads management afresh: `idempotency.rs` and the
//! end-to-end refusals revoke a relationship and are refused on the very next order.

use std::time::{Duration, Instant};

use gcc_proto::relationships as rpb;
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{World, admin};

const TTL: Duration = Duration::from_secs(3);

fn with_cache() -> [&'static str; 2] {
    ["--management-cache-ttl", "3s"]
}

#[tokio::test]
async fn r15_r18_a_revoked_relationship_stops_orders_within_the_management_cache_bound() {
    let w = World::spawn_with(&["--fact-cache-ttl", "0s"], &with_cache()).await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;
    w.place(&admin(partner), customer, &[("o365-e3", 1)], "").await.expect("managed: the answer is cached");

    let revoke = rpb::RevokeCustomerRelationshipRequest {
        customer: format!("customers/{customer}"),
        partner: String::new(),
        request_id: String::new(),
    };
    w.relationships().revoke_customer_relationship(authed(revoke, &admin(partner))).await.unwrap();
    let revoked_at = Instant::now();
    // The answer read before the revocation is reused while it is younger than the TTL ...
    w.place(&admin(partner), customer, &[("o365-e3", 1)], "").await.expect("the cached answer is reused");
    // ... and no longer.
    let refused = loop {
        match w.place(&admin(partner), customer, &[("o365-e3", 1)], "").await {
            Ok(_) => {
                let waited = revoked_at.elapsed();
                assert!(waited < TTL + Duration::from_secs(1), "ordered {waited:?} after the revocation");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => break e,
        }
    };
    assert_refused(&refused, Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert!(revoked_at.elapsed() < TTL + Duration::from_secs(1), "refused only after {:?}", revoked_at.elapsed());
}

#[tokio::test]
async fn r15_a_customer_not_managed_is_read_again_at_once_when_it_becomes_managed() {
    let w = World::spawn_with(&["--fact-cache-ttl", "0s"], &with_cache()).await;
    let first = w.gcc_partner().await;
    let customer = w.validated_customer(first).await;
    let second = w.gcc_partner().await;

    let token = w.invite(second, customer).await;
    let err = w.place(&admin(second), customer, &[("o365-e3", 1)], "").await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
    w.accept(customer, &token).await;
    // No wait: "not managed" was not kept.
    let order = w.place(&admin(second), customer, &[("o365-e3", 1)], "").await.expect("managed now");
    assert_eq!(order.partner, format!("partners/{second}"));
}
