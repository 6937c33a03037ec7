use gcc_proto::partner as pb;
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{TestApp, admin, submission};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_identical_submissions_create_exactly_one_request() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let calls = (0..32).map(|_| {
        let mut client = app.client();
        let req = authed(submission(tenant, &request_id), &admin(tenant));
        tokio::spawn(async move { client.submit_partner_validation(req).await.map(|r| r.into_inner()) })
    });
    let answers: Vec<pb::PartnerValidation> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("every retry succeeds"))
        .collect();
    assert!(answers.iter().all(|a| a == &answers[0]), "every caller gets the same answer");
    assert_eq!(app.count("partner_validations").await, 1);
    assert_eq!(app.count("audit_log WHERE action = 'partner_validation.submit'").await, 1);
    assert_eq!(app.count("outbox WHERE topic LIKE '%pending_review'").await, 1);
}

#[tokio::test]
async fn the_same_request_id_with_another_body_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let first = app
        .client()
        .submit_partner_validation(authed(submission(tenant, &request_id), &admin(tenant)))
        .await
        .unwrap()
        .into_inner();

    let mut other = submission(tenant, &request_id);
    other.partner_validation.as_mut().unwrap().details = "Something else".into();
    let err = app.client().submit_partner_validation(authed(other, &admin(tenant))).await.unwrap_err();
    assert_refused(&err, Code::AlreadyExists, "REQUEST_ID_REUSED");

    let again = app
        .client()
        .submit_partner_validation(authed(submission(tenant, &request_id), &admin(tenant)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first, "a retry returns the first response");
    assert_eq!(app.count("partner_validations").await, 1);
}

#[tokio::test]
async fn a_retried_enrollment_returns_the_first_answer() {
    let app = TestApp::spawn().await;
    let tenant = gcc_platform::TenantId::random();
    let request_id = uuid::Uuid::new_v4().to_string();
    let req = pb::EnrollPartnerRequest {
        partner: Some(pb::Partner {
            legal_name: "Contoso".into(),
            partner_type: pb::PartnerType::DirectReseller as i32,
            ..Default::default()
        }),
        request_id,
    };
    let first = app.client().enroll_partner(authed(req.clone(), &admin(tenant))).await.unwrap().into_inner();
    let second = app.client().enroll_partner(authed(req, &admin(tenant))).await.unwrap().into_inner();
    assert_eq!(first, second);
    assert_eq!(app.count("partners").await, 1);
}
