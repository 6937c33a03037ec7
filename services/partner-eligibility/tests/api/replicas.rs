//! Two replicas on one PostgreSQL database: a watcher on one sees every change made
//! through the other (SQLite is one process, so there is nothing to show there).

use std::time::Duration;

use gcc_platform::TenantId;
use gcc_proto::partner::{self as pb, partner_validation::State};
use gcc_testkit::{authed, reviewer_token};

use crate::helpers::{TestApp, admin};

#[tokio::test]
async fn a_watcher_on_one_replica_sees_changes_made_through_another() {
    if gcc_testkit::backend() != "postgres" {
        return;
    }
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let tenant = a.enrolled(pb::PartnerType::DirectReseller).await;
    let v = a.submit(tenant).await.unwrap();

    let watch = pb::WatchPartnerValidationRequest { name: v.name.clone() };
    let mut stream = a.client().watch_partner_validation(authed(watch, &admin(tenant))).await.unwrap().into_inner();
    let mut next = async || {
        let m = tokio::time::timeout(Duration::from_secs(1), stream.message()).await.expect("a change within 1 s");
        m.expect("a message").map(|v| State::try_from(v.state).expect("known state"))
    };
    assert_eq!(next().await, Some(State::PendingReview));

    // Both moves go through the other replica.
    let ask = pb::RequestPartnerValidationInformationRequest {
        name: v.name.clone(),
        question: "Which agencies?".into(),
        request_id: String::new(),
    };
    b.client().request_partner_validation_information(authed(ask, &reviewer_token())).await.unwrap();
    assert_eq!(next().await, Some(State::InformationRequested));
    let answer = pb::ProvidePartnerValidationInformationRequest {
        name: v.name.clone(),
        answer: "Arlington County".into(),
        request_id: String::new(),
    };
    b.client().provide_partner_validation_information(authed(answer, &admin(tenant))).await.unwrap();
    assert_eq!(next().await, Some(State::PendingReview));
    let approve = pb::ApprovePartnerValidationRequest { name: v.name.clone(), request_id: String::new() };
    b.client().approve_partner_validation(authed(approve, &reviewer_token())).await.unwrap();
    assert_eq!(next().await, Some(State::Approved));
    assert_eq!(next().await, None, "each change once, then the end at the final state");

    // Reseller links too.
    let reseller = TenantId::random();
    a.enroll(reseller, pb::PartnerType::IndirectReseller, Some(a.enrolled(pb::PartnerType::IndirectProvider).await))
        .await
        .unwrap();
    let lookup = pb::LookupTransactingPartnerRequest { tenant_id: reseller.to_string() };
    let name = a
        .client()
        .lookup_transacting_partner(authed(lookup, &admin(reseller)))
        .await
        .unwrap()
        .into_inner()
        .reseller_link;
    let watch = pb::WatchResellerLinkRequest { name: name.clone() };
    let mut links = a.client().watch_reseller_link(authed(watch, &admin(reseller))).await.unwrap().into_inner();
    let first = tokio::time::timeout(Duration::from_secs(1), links.message()).await.unwrap().unwrap().unwrap();
    assert_eq!(first.state, pb::reseller_link::State::Requested as i32);
    let end = pb::EndResellerLinkRequest { name, reason: String::new(), request_id: String::new() };
    b.client().end_reseller_link(authed(end, &admin(reseller))).await.unwrap();
    let ended =
        tokio::time::timeout(Duration::from_secs(1), links.message()).await.expect("within 1 s").unwrap().unwrap();
    assert_eq!(ended.state, pb::reseller_link::State::Ended as i32);
}
