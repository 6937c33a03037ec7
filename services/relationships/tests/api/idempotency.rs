//! Retries with the same request_id return the first answer (the same link, the same
//! customer) and create nothing twice; another body with that id is refused.

use gcc_platform::TenantId;
use gcc_proto::relationships as pb;
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{TestApp, admin, customer_admin, profile, token_of, unique_domain};

#[tokio::test]
async fn r14_a_retried_invitation_returns_the_same_link_and_creates_one() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let req = |domain: &str| pb::CreateRelationshipRequestRequest {
        relationship_request: Some(pb::RelationshipRequest { bound_domain: domain.to_owned(), ..Default::default() }),
        request_id: request_id.clone(),
    };
    let domain = unique_domain();
    let first =
        app.client().create_relationship_request(authed(req(&domain), &admin(partner))).await.unwrap().into_inner();
    app.clock.advance(chrono::Duration::minutes(5));
    let again =
        app.client().create_relationship_request(authed(req(&domain), &admin(partner))).await.unwrap().into_inner();
    assert_eq!(again, first, "the same link, e-mail and times");
    assert!(!first.invitation_url.is_empty());
    assert_eq!(app.count("relationship_requests").await, 1);
    assert_eq!(app.count("invitation_links").await, 1);
    assert_eq!(app.count("audit_log WHERE action = 'relationship_request.invited'").await, 1);

    let err =
        app.client().create_relationship_request(authed(req("other.example.gov"), &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::AlreadyExists, "REQUEST_ID_REUSED");
    assert_eq!(app.count("relationship_requests").await, 1);
    assert_eq!(app.count(&format!("idempotency WHERE response LIKE '%{}%'", token_of(&first.invitation_url))).await, 0);
}

#[tokio::test]
async fn a_retried_resend_returns_the_same_new_link() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let invitation = app.invite(partner, pb::RelationshipRequest::default()).await.unwrap();
    let req = pb::ResendRelationshipRequestRequest {
        name: invitation.name.clone(),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let first =
        app.client().resend_relationship_request(authed(req.clone(), &admin(partner))).await.unwrap().into_inner();
    let again = app.client().resend_relationship_request(authed(req, &admin(partner))).await.unwrap().into_inner();
    assert_eq!(again.invitation_url, first.invitation_url);
    assert_eq!(app.count("invitation_links").await, 2, "one resend, one new link");
}

#[tokio::test]
async fn a_retried_customer_creation_returns_the_same_customer() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let domain = unique_domain();
    let req = |p: pb::CompanyProfile| pb::CreateCustomerRequest {
        customer: Some(pb::Customer { company_profile: Some(p), ..Default::default() }),
        request_id: request_id.clone(),
    };
    let first =
        app.client().create_customer(authed(req(profile(&domain)), &admin(partner))).await.unwrap().into_inner();
    let again =
        app.client().create_customer(authed(req(profile(&domain)), &admin(partner))).await.unwrap().into_inner();
    assert_eq!(again, first);
    assert_eq!((app.count("customers").await, app.count("relationships").await), (1, 1));

    let err = app.client().create_customer(authed(req(profile(&unique_domain())), &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::AlreadyExists, "REQUEST_ID_REUSED");
    assert_eq!(app.count("customers").await, 1);
}

#[tokio::test]
async fn a_completed_creation_is_replayed_even_while_partner_eligibility_is_down() {
    let mut app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let req = pb::CreateCustomerRequest {
        customer: Some(pb::Customer { company_profile: Some(profile(&unique_domain())), ..Default::default() }),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let invite = pb::CreateRelationshipRequestRequest {
        relationship_request: Some(pb::RelationshipRequest::default()),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let customer = app.client().create_customer(authed(req.clone(), &admin(partner))).await.unwrap().into_inner();
    let link =
        app.client().create_relationship_request(authed(invite.clone(), &admin(partner))).await.unwrap().into_inner();
    app.stop_partner_service().await;

    let again = app.client().create_customer(authed(req, &admin(partner))).await.unwrap().into_inner();
    assert_eq!(again, customer);
    let again = app.client().create_relationship_request(authed(invite, &admin(partner))).await.unwrap().into_inner();
    assert_eq!(again.invitation_url, link.invitation_url);
    // A new request still needs partner-eligibility, and says so.
    let fresh = pb::CreateCustomerRequest {
        customer: Some(pb::Customer { company_profile: Some(profile(&unique_domain())), ..Default::default() }),
        request_id: String::new(),
    };
    let err = app.client().create_customer(authed(fresh, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
}

#[tokio::test]
async fn r15_a_retried_acceptance_returns_the_first_answer() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let customer = TenantId::random();
    let invitation = app.invite(partner, pb::RelationshipRequest::default()).await.unwrap();
    let req = pb::AcceptRelationshipRequestRequest {
        invitation_token: token_of(&invitation.invitation_url),
        company_profile: Some(profile(&unique_domain())),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let first = app
        .client()
        .accept_relationship_request(authed(req.clone(), &customer_admin(customer)))
        .await
        .unwrap()
        .into_inner();
    let again =
        app.client().accept_relationship_request(authed(req, &customer_admin(customer))).await.unwrap().into_inner();
    assert_eq!(again, first);
    assert_eq!((app.count("customers").await, app.count("relationships").await), (1, 1));
    assert_eq!(app.count("audit_log WHERE action = 'relationship_request.accepted'").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r14_sixteen_concurrent_identical_invitations_create_exactly_one() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let req = pb::CreateRelationshipRequestRequest {
        relationship_request: Some(pb::RelationshipRequest::default()),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let calls = (0..16).map(|_| {
        let mut client = app.client();
        let req = authed(req.clone(), &admin(partner));
        tokio::spawn(async move { client.create_relationship_request(req).await.map(|r| r.into_inner()) })
    });
    let answers: Vec<pb::RelationshipRequest> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("every retry succeeds"))
        .collect();
    assert!(answers.iter().all(|a| a == &answers[0]), "every caller gets the same link");
    assert_eq!(app.count("relationship_requests").await, 1);
    assert_eq!(app.count("outbox").await, 1);
}
