//! Two replicas on one PostgreSQL database: a watcher of relationship events on one
//! hears of every change made through the other within a second, each customer's in
//! commit order, once
//! (SQLite is one process, so there is nothing to show there).

use std::time::{Duration, Instant};

use gcc_platform::TenantId;
use gcc_proto::relationships::{self as pb, relationship_event::Kind};
use gcc_testkit::authed;
use tonic::Streaming;

use crate::helpers::{TestApp, admin, sales, token_of, unique_domain};

async fn watch(app: &TestApp, partner: TenantId) -> Streaming<pb::RelationshipEvent> {
    app.client()
        .watch_relationship_events(authed(pb::WatchRelationshipEventsRequest {}, &sales(partner)))
        .await
        .expect("watch")
        .into_inner()
}

/// The next event within a second: its kind, partner and customer.
async fn next(stream: &mut Streaming<pb::RelationshipEvent>) -> (Kind, String, String) {
    let e = tokio::time::timeout(Duration::from_secs(1), stream.message())
        .await
        .expect("an event within 1 s")
        .expect("the stream")
        .expect("an event");
    (Kind::try_from(e.kind).expect("kind"), e.partner, e.customer)
}

#[tokio::test]
async fn r17_a_watcher_on_one_replica_hears_of_changes_made_through_another_once_and_in_order() {
    if gcc_testkit::backend() != "postgres" {
        return;
    }
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (provider, reseller) = a.provider_and_reseller().await;
    let mut on_a = watch(&a, reseller).await;
    let mut provider_on_a = watch(&a, provider).await;
    let mut on_b = watch(&b, reseller).await;
    let me = format!("partners/{reseller}");

    // Every change goes through replica B.
    let started = Instant::now();
    let created = b.create_customer(reseller, &unique_domain()).await.unwrap().name;
    let revoke = pb::RevokeCustomerRelationshipRequest { customer: created.clone(), ..Default::default() };
    b.client().revoke_customer_relationship(authed(revoke, &admin(reseller))).await.unwrap();
    let invitation = b.invite(reseller, pb::RelationshipRequest::default()).await.unwrap();
    let accepted = TenantId::random();
    b.accept(accepted, &token_of(&invitation.invitation_url), Some(&unique_domain())).await.unwrap();
    let second = b.create_customer(reseller, &unique_domain()).await.unwrap().name;

    let expected = [
        (Kind::Activated, me.clone(), created.clone()),
        (Kind::Revoked, me.clone(), created.clone()),
        (Kind::Activated, me.clone(), format!("customers/{accepted}")),
        (Kind::Activated, me.clone(), second.clone()),
    ];
    // Each customer's events in commit order, every event once; events of different
    // customers (different resources) may interleave.
    for (replica, stream) in [("A", &mut on_a), ("B, which made them", &mut on_b)] {
        let mut heard = Vec::new();
        for _ in 0..expected.len() {
            heard.push(next(stream).await);
        }
        let mut sorted_heard = heard.clone();
        let mut sorted_expected = expected.to_vec();
        sorted_heard.sort_by(|x, y| x.2.cmp(&y.2));
        sorted_expected.sort_by(|x, y| x.2.cmp(&y.2));
        assert_eq!(
            sorted_heard, sorted_expected,
            "the events on replica {replica}, each customer's in order: {heard:?}"
        );
    }
    let provider_saw: Vec<Kind> = [next(&mut provider_on_a).await, next(&mut provider_on_a).await]
        .into_iter()
        .map(|(kind, partner, _)| {
            assert_eq!(partner, format!("partners/{provider}"));
            kind
        })
        .collect();
    assert_eq!(provider_saw, vec![Kind::Activated, Kind::Revoked]);
    println!("4 changes through replica B, each heard on replicas A and B within 1 s; {:?} in all", started.elapsed());

    // Nothing twice: the next event on each stream is a new change, made through A.
    let last = a.create_customer(reseller, &unique_domain()).await.unwrap().name;
    assert_eq!(next(&mut on_a).await, (Kind::Activated, me.clone(), last.clone()));
    assert_eq!(next(&mut on_b).await, (Kind::Activated, me, last));
}
