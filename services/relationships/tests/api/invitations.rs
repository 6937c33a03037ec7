//! Reseller relationship requests (R14) and their acceptance (R15).

use chrono::Duration;
use gcc_platform::TenantId;
use gcc_proto::relationships::{self as pb, relationship_request::State};
use gcc_testkit::{assert_refused, authed};
use tonic::Code;

use crate::helpers::{TestApp, admin, sales, state, token_of, unique_domain};

fn unbound() -> pb::RelationshipRequest {
    pb::RelationshipRequest::default()
}

#[tokio::test]
async fn r14_r15_an_invited_customer_accepts_and_then_appears_in_the_partners_list() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let customer = TenantId::random();

    let invitation = app.invite(partner, unbound()).await.unwrap();
    assert_eq!(state(&invitation), State::Invited);
    assert_eq!(invitation.partner, format!("partners/{partner}"));
    assert!(invitation.invitation_url.starts_with("https://gcc.example/invitations/accept?token="));
    assert!(invitation.email_body.contains(&invitation.invitation_url), "the draft carries the link");
    assert!(!invitation.email_subject.is_empty());
    let expire = invitation.expire_time.unwrap().seconds - invitation.create_time.unwrap().seconds;
    assert_eq!(expire, 14 * 86_400, "the default link lives 14 days");
    let token = token_of(&invitation.invitation_url);
    assert_eq!(app.count(&format!("relationship_requests WHERE email_body LIKE '%{token}%'")).await, 0);
    assert_eq!(app.count(&format!("invitation_links WHERE token_hash = '{token}'")).await, 0, "only a hash is stored");

    let domain = unique_domain();
    let r = app.accept(customer, &token, Some(&domain)).await.unwrap();
    assert_eq!(
        r,
        pb::CustomerRelationship {
            partner: format!("partners/{partner}"),
            customer: format!("customers/{customer}"),
            active: true,
        }
    );
    assert_eq!(app.customers_of(partner).await, vec![customer.to_string()]);
    let c = app.get_customer(partner, &format!("customers/{customer}")).await.unwrap();
    assert_eq!(c.company_profile.unwrap().domain, domain);
    assert!(app.check(partner, customer).await.managed);

    let req = pb::GetRelationshipRequestRequest { name: invitation.name.clone() };
    let after = app.client().get_relationship_request(authed(req, &sales(partner))).await.unwrap().into_inner();
    assert_eq!(state(&after), State::Accepted);
    assert_eq!(after.customer, format!("customers/{customer}"));
    assert_eq!(after.invitation_url, "", "reads never return the link");
    assert!(!after.email_body.contains(&token));
    assert_eq!(app.count("audit_log WHERE action = 'relationship_request.accepted'").await, 1);
    assert_eq!(app.count("outbox WHERE topic = 'gcc.relationships.v1.relationship.activated'").await, 1);
}

#[tokio::test]
async fn r15_an_invited_customer_is_not_in_the_list_before_it_accepts() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let other = app.direct_reseller().await;
    let customer = TenantId::random();
    // The customer exists (another partner created it) and holds no relationship with `partner`.
    let existing = app.create_customer(other, &unique_domain()).await.unwrap();
    let existing_tenant = TenantId::parse(&existing.tenant_id).unwrap();

    let invitation = app.invite(partner, unbound()).await.unwrap();
    let second = app.invite(partner, unbound()).await.unwrap();
    assert!(app.customers_of(partner).await.is_empty());
    assert!(!app.check(partner, existing_tenant).await.managed);
    assert_refused(&app.get_customer(partner, &existing.name).await.unwrap_err(), Code::NotFound, "CUSTOMER_NOT_FOUND");

    // An existing customer accepts without a profile; a new one must give it.
    app.accept(existing_tenant, &token_of(&invitation.invitation_url), None).await.unwrap();
    assert_eq!(app.customers_of(partner).await, vec![existing.tenant_id.clone()]);
    assert_eq!(app.customers_of(other).await, vec![existing.tenant_id], "the other partner keeps its relationship");
    let err = app.accept(customer, &token_of(&second.invitation_url), None).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "CUSTOMER_PROFILE_REQUIRED");
    assert_eq!(app.count("customers").await, 1);
}

#[tokio::test]
async fn r14_edited_text_must_keep_the_link_unchanged() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let invitation = app.invite(partner, unbound()).await.unwrap();
    let url = invitation.invitation_url.clone();
    let edit = |body: String| pb::UpdateRelationshipRequestEmailRequest {
        name: invitation.name.clone(),
        email_subject: "Let us manage your GCC services".into(),
        email_body: body,
        request_id: String::new(),
    };

    let cases = [
        ("no link", "Dear admin, please accept our invitation.".to_owned()),
        ("link cut short", format!("Dear admin, open {}", &url[..url.len() - 4])),
        ("token altered", format!("Dear admin, open {}x", url)),
        ("another invitation's link", format!("Open {}", app.invite(partner, unbound()).await.unwrap().invitation_url)),
    ];
    for (what, body) in cases {
        let err =
            app.client().update_relationship_request_email(authed(edit(body), &admin(partner))).await.expect_err(what);
        assert_refused(&err, Code::InvalidArgument, "INVITATION_LINK_MISSING");
    }

    let body = format!("Dear admin,\n\nour agreement starts once you open {url}.\n\nRegards");
    let edited = app
        .client()
        .update_relationship_request_email(authed(edit(body.clone()), &admin(partner)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(edited.email_body, body);
    assert_eq!(edited.email_subject, "Let us manage your GCC services");
    let req = pb::GetRelationshipRequestRequest { name: invitation.name.clone() };
    let read = app.client().get_relationship_request(authed(req, &admin(partner))).await.unwrap().into_inner();
    assert_eq!(read.email_body, "Dear admin,\n\nour agreement starts once you open {invitation_url}.\n\nRegards");

    // A resend keeps the edited text, with the new link in it.
    let req = pb::ResendRelationshipRequestRequest { name: invitation.name.clone(), request_id: String::new() };
    let resent = app.client().resend_relationship_request(authed(req, &admin(partner))).await.unwrap().into_inner();
    assert_ne!(resent.invitation_url, url);
    assert_eq!(resent.email_body, body.replace(&url, &resent.invitation_url));
}

#[tokio::test]
async fn r14_an_expired_invitation_cannot_be_accepted_or_changed() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let invitation = app.invite(partner, unbound()).await.unwrap();
    app.clock.advance(Duration::days(14) + Duration::seconds(1));

    let err = app
        .accept(TenantId::random(), &token_of(&invitation.invitation_url), Some(&unique_domain()))
        .await
        .unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INVITATION_EXPIRED");
    let req = pb::GetRelationshipRequestRequest { name: invitation.name.clone() };
    let read = app.client().get_relationship_request(authed(req, &admin(partner))).await.unwrap().into_inner();
    assert_eq!(state(&read), State::Expired);
    let list = |s: State| {
        let mut c = app.client();
        let req = pb::ListRelationshipRequestsRequest { state: s as i32, ..Default::default() };
        async move { c.list_relationship_requests(authed(req, &admin(partner))).await.unwrap().into_inner() }
    };
    assert_eq!(list(State::Expired).await.relationship_requests.len(), 1);
    assert!(list(State::Invited).await.relationship_requests.is_empty());
    let req = pb::ResendRelationshipRequestRequest { name: invitation.name, request_id: String::new() };
    let err = app.client().resend_relationship_request(authed(req, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INVITATION_NOT_PENDING");
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn r14_a_revoked_invitation_cannot_be_accepted() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let invitation = app.invite(partner, unbound()).await.unwrap();
    let req = pb::RevokeRelationshipRequestRequest { name: invitation.name.clone(), request_id: String::new() };
    let revoked =
        app.client().revoke_relationship_request(authed(req.clone(), &admin(partner))).await.unwrap().into_inner();
    assert_eq!(state(&revoked), State::Revoked);

    let err = app
        .accept(TenantId::random(), &token_of(&invitation.invitation_url), Some(&unique_domain()))
        .await
        .unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INVITATION_REVOKED");
    let err = app.client().revoke_relationship_request(authed(req, &admin(partner))).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INVITATION_NOT_PENDING");
    assert_eq!(app.count("customers").await, 0);
}

#[tokio::test]
async fn r15_an_accepted_invitation_cannot_be_accepted_again() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let customer = TenantId::random();
    let invitation = app.invite(partner, unbound()).await.unwrap();
    let token = token_of(&invitation.invitation_url);
    app.accept(customer, &token, Some(&unique_domain())).await.unwrap();

    for who in [customer, TenantId::random()] {
        let err = app.accept(who, &token, Some(&unique_domain())).await.unwrap_err();
        assert_refused(&err, Code::FailedPrecondition, "INVITATION_ALREADY_ACCEPTED");
    }
    assert_eq!((app.count("customers").await, app.count("relationships").await), (1, 1));
}

#[tokio::test]
async fn r14_a_resent_link_retires_the_old_one() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let invitation = app.invite(partner, unbound()).await.unwrap();
    app.clock.advance(Duration::days(10));
    let req = pb::ResendRelationshipRequestRequest { name: invitation.name.clone(), request_id: String::new() };
    let resent = app.client().resend_relationship_request(authed(req, &admin(partner))).await.unwrap().into_inner();
    assert_ne!(resent.invitation_url, invitation.invitation_url);
    assert_eq!(resent.name, invitation.name);
    assert_eq!(
        resent.expire_time.unwrap().seconds,
        invitation.expire_time.unwrap().seconds + 10 * 86_400,
        "a resent link lives a full period from now"
    );

    let customer = TenantId::random();
    let err = app.accept(customer, &token_of(&invitation.invitation_url), Some(&unique_domain())).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INVITATION_REVOKED");
    app.clock.advance(Duration::days(5));
    app.accept(customer, &token_of(&resent.invitation_url), Some(&unique_domain())).await.expect("the new link works");
}

#[tokio::test]
async fn r14_a_bound_invitation_is_for_its_customer_only() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let (intended, domain) = (TenantId::random(), unique_domain());

    let by_tenant = app
        .invite(partner, pb::RelationshipRequest { bound_customer_tenant_id: intended.to_string(), ..unbound() })
        .await
        .unwrap();
    assert_eq!(by_tenant.bound_customer_tenant_id, intended.to_string());
    let err =
        app.accept(TenantId::random(), &token_of(&by_tenant.invitation_url), Some(&unique_domain())).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INVITATION_BOUND_TO_ANOTHER_CUSTOMER");

    let by_domain = app
        .invite(partner, pb::RelationshipRequest { bound_domain: domain.to_uppercase(), ..unbound() })
        .await
        .unwrap();
    assert_eq!(by_domain.bound_domain, domain);
    let err =
        app.accept(TenantId::random(), &token_of(&by_domain.invitation_url), Some(&unique_domain())).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INVITATION_BOUND_TO_ANOTHER_CUSTOMER");
    assert_eq!(app.count("customers").await, 0, "a refused acceptance creates no customer");

    app.accept(intended, &token_of(&by_tenant.invitation_url), Some(&domain)).await.unwrap();
    let other_customer = TenantId::random();
    let err = app.accept(other_customer, &token_of(&by_domain.invitation_url), Some(&domain)).await.unwrap_err();
    assert_refused(&err, Code::AlreadyExists, "DOMAIN_TAKEN");
    app.accept(intended, &token_of(&by_domain.invitation_url), None).await.expect("the domain's owner may accept");
}

#[tokio::test]
async fn an_unknown_token_is_not_found() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let invitation = app.invite(partner, unbound()).await.unwrap();
    let token = token_of(&invitation.invitation_url);
    let (id, _) = token.split_once('.').unwrap();
    for forged in [format!("{id}.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), format!("{id}.2.x"), "x".into()] {
        let err = app.accept(TenantId::random(), &forged, Some(&unique_domain())).await.unwrap_err();
        assert_refused(&err, Code::NotFound, "INVITATION_NOT_FOUND");
    }
}

#[tokio::test]
async fn another_partners_invitation_is_not_found() {
    let app = TestApp::spawn().await;
    let owner = app.direct_reseller().await;
    let other = app.direct_reseller().await;
    let invitation = app.invite(owner, unbound()).await.unwrap();

    let req = pb::GetRelationshipRequestRequest { name: invitation.name.clone() };
    let err = app.client().get_relationship_request(authed(req, &admin(other))).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "RELATIONSHIP_REQUEST_NOT_FOUND");
    let req = pb::RevokeRelationshipRequestRequest { name: invitation.name.clone(), request_id: String::new() };
    let err = app.client().revoke_relationship_request(authed(req, &admin(other))).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "RELATIONSHIP_REQUEST_NOT_FOUND");
    let req = pb::ListRelationshipRequestsRequest::default();
    let list = app.client().list_relationship_requests(authed(req, &sales(other))).await.unwrap().into_inner();
    assert!(list.relationship_requests.is_empty());
    let req = pb::ListRelationshipRequestsRequest::default();
    let own = app.client().list_relationship_requests(authed(req, &sales(owner))).await.unwrap().into_inner();
    assert_eq!(own.relationship_requests.len(), 1);
    assert_eq!(own.relationship_requests[0].invitation_url, "");
}

#[tokio::test]
async fn r17_an_indirect_resellers_invitation_also_gives_its_provider_the_customer() {
    let app = TestApp::spawn().await;
    let (provider, reseller) = app.provider_and_reseller().await;
    let customer = TenantId::random();
    let invitation = app.invite(reseller, unbound()).await.unwrap();
    app.accept(customer, &token_of(&invitation.invitation_url), Some(&unique_domain())).await.unwrap();

    assert_eq!(app.customers_of(provider).await, vec![customer.to_string()]);
    let check = app.check(provider, customer).await;
    assert_eq!(check.management, pb::ManagementKind::IndirectProvider as i32);
    assert_eq!(check.managing_partner, format!("partners/{reseller}"));
}
