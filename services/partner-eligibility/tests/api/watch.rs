use gcc_proto::partner::{self as pb, partner_validation::State};
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{TestApp, admin, state};

/// The stream's next message, failing the test after 10 s rather than hanging it.
async fn next(stream: &mut tonic::Streaming<pb::PartnerValidation>) -> Option<pb::PartnerValidation> {
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.message())
        .await
        .expect("the stream answers within 10 s")
        .expect("the stream does not fail")
}

#[tokio::test]
async fn watching_a_validation_streams_each_change_until_it_is_final() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.unwrap();
    let mut stream = app
        .client()
        .watch_partner_validation(authed(pb::WatchPartnerValidationRequest { name: v.name.clone() }, &admin(tenant)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&next(&mut stream).await.expect("a change")), State::PendingReview);

    let req = pb::RequestPartnerValidationInformationRequest {
        name: v.name.clone(),
        question: "Which agencies?".into(),
        request_id: String::new(),
    };
    app.client().request_partner_validation_information(authed(req, &gcc_testkit::reviewer_token())).await.unwrap();
    assert_eq!(state(&next(&mut stream).await.expect("a change")), State::InformationRequested);

    let req = pb::RejectPartnerValidationRequest {
        name: v.name.clone(),
        reason: "No evidence".into(),
        request_id: String::new(),
    };
    app.client().reject_partner_validation(authed(req, &gcc_testkit::reviewer_token())).await.unwrap();
    assert_eq!(state(&next(&mut stream).await.expect("a change")), State::Rejected);
    assert_eq!(next(&mut stream).await, None, "the stream ends at a final state");
}

#[tokio::test]
async fn another_partner_cannot_watch() {
    let app = TestApp::spawn().await;
    let owner = app.enrolled(pb::PartnerType::DirectReseller).await;
    let other = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(owner).await.unwrap();
    let err = app
        .client()
        .watch_partner_validation(authed(pb::WatchPartnerValidationRequest { name: v.name }, &admin(other)))
        .await
        .unwrap_err();
    assert_refused(&err, Code::NotFound, "PARTNER_VALIDATION_NOT_FOUND");
}
