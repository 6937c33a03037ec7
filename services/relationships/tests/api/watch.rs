//! `WatchRelationshipEvents`: a partner (and its provider) hear of each relationship
//! that starts or ends, and of nobody else's.

use std::time::Duration;

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

async fn next(stream: &mut Streaming<pb::RelationshipEvent>) -> (Kind, String, String) {
    let e = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("an event within 10 s")
        .expect("stream")
        .expect("an event");
    (Kind::try_from(e.kind).expect("kind"), e.partner, e.customer)
}

#[tokio::test]
async fn r17_the_partner_and_its_provider_hear_of_each_relationship_that_starts_or_ends() {
    let app = TestApp::spawn().await;
    let (provider, reseller) = app.provider_and_reseller().await;
    let bystander = app.direct_reseller().await;
    let mut reseller_events = watch(&app, reseller).await;
    let mut provider_events = watch(&app, provider).await;
    let mut bystander_events = watch(&app, bystander).await;

    let created = app.create_customer(reseller, &unique_domain()).await.unwrap();
    let customer = created.name.clone();
    assert_eq!(next(&mut reseller_events).await, (Kind::Activated, format!("partners/{reseller}"), customer.clone()));
    assert_eq!(next(&mut provider_events).await, (Kind::Activated, format!("partners/{provider}"), customer.clone()));

    let req = pb::RevokeCustomerRelationshipRequest { customer: customer.clone(), ..Default::default() };
    app.client().revoke_customer_relationship(authed(req, &admin(reseller))).await.unwrap();
    assert_eq!(next(&mut reseller_events).await.0, Kind::Revoked);
    assert_eq!(next(&mut provider_events).await.0, Kind::Revoked);

    // R15: an accepted invitation is an activation too.
    let invitation = app.invite(reseller, pb::RelationshipRequest::default()).await.unwrap();
    let accepted = TenantId::random();
    app.accept(accepted, &token_of(&invitation.invitation_url), Some(&unique_domain())).await.unwrap();
    assert_eq!(
        next(&mut reseller_events).await,
        (Kind::Activated, format!("partners/{reseller}"), format!("customers/{accepted}"))
    );

    // The bystander heard none of that: its first event is its own.
    let own = app.create_customer(bystander, &unique_domain()).await.unwrap();
    assert_eq!(next(&mut bystander_events).await, (Kind::Activated, format!("partners/{bystander}"), own.name));
}
