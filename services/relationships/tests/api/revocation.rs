//! Ending a relationship, by the partner or by the customer: afterwards the partner (and
//! its provider through it) no longer manages the customer.

use gcc_platform::{Role, TenantId};
use gcc_proto::relationships as pb;
use gcc_testkit::{assert_refused, authed, token};
use tonic::Code;

use crate::helpers::{TestApp, admin, customer_admin, sales, token_of, unique_domain};

fn end(customer: TenantId, partner: &str) -> pb::RevokeCustomerRelationshipRequest {
    pb::RevokeCustomerRelationshipRequest {
        customer: format!("customers/{customer}"),
        partner: partner.to_owned(),
        request_id: String::new(),
    }
}

/// A customer that accepted `partner`'s invitation.
async fn accepted_customer(app: &TestApp, partner: TenantId) -> TenantId {
    let customer = TenantId::random();
    let invitation = app.invite(partner, pb::RelationshipRequest::default()).await.unwrap();
    app.accept(customer, &token_of(&invitation.invitation_url), Some(&unique_domain())).await.unwrap();
    customer
}

#[tokio::test]
async fn r15_a_partner_that_ends_the_relationship_no_longer_manages_the_customer() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let customer = accepted_customer(&app, partner).await;

    let r = app.client().revoke_customer_relationship(authed(end(customer, ""), &admin(partner))).await.unwrap();
    assert!(!r.into_inner().active);
    assert!(app.customers_of(partner).await.is_empty());
    assert!(!app.check(partner, customer).await.managed);
    assert_refused(
        &app.get_customer(partner, &format!("customers/{customer}")).await.unwrap_err(),
        Code::NotFound,
        "CUSTOMER_NOT_FOUND",
    );
    let again =
        app.client().revoke_customer_relationship(authed(end(customer, ""), &admin(partner))).await.unwrap_err();
    assert_refused(&again, Code::NotFound, "RELATIONSHIP_NOT_FOUND");
    assert_eq!(app.count("outbox WHERE topic = 'gcc.relationships.v1.relationship.revoked'").await, 1);
}

#[tokio::test]
async fn r15_a_customer_that_ends_the_relationship_leaves_the_partners_list() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let keeper = app.direct_reseller().await;
    let customer = accepted_customer(&app, partner).await;
    let second = app.invite(keeper, pb::RelationshipRequest::default()).await.unwrap();
    app.accept(customer, &token_of(&second.invitation_url), None).await.unwrap();

    let err = app
        .client()
        .revoke_customer_relationship(authed(end(customer, ""), &customer_admin(customer)))
        .await
        .unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "FIELD_REQUIRED");
    let partner_name = format!("partners/{partner}");
    let r = app
        .client()
        .revoke_customer_relationship(authed(end(customer, &partner_name), &customer_admin(customer)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((r.partner, r.active), (partner_name, false));
    assert!(!app.check(partner, customer).await.managed);
    assert!(app.check(keeper, customer).await.managed, "only the named partner's relationship ends");

    // Another customer's admin cannot end it.
    let keeper_name = format!("partners/{keeper}");
    let err = app
        .client()
        .revoke_customer_relationship(authed(end(customer, &keeper_name), &customer_admin(TenantId::random())))
        .await
        .unwrap_err();
    assert_refused(&err, Code::NotFound, "RELATIONSHIP_NOT_FOUND");
    assert!(app.check(keeper, customer).await.managed);
}

#[tokio::test]
async fn r17_ending_a_resellers_relationship_ends_its_providers_view_too() {
    let app = TestApp::spawn().await;
    let (provider, reseller) = app.provider_and_reseller().await;
    let c = app.create_customer(reseller, &unique_domain()).await.unwrap();
    let customer = TenantId::parse(&c.tenant_id).unwrap();
    assert!(app.check(provider, customer).await.managed);

    // The provider does not hold the relationship, so it cannot end it.
    let err = app.client().revoke_customer_relationship(authed(end(customer, ""), &admin(provider))).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "RELATIONSHIP_NOT_FOUND");
    app.client().revoke_customer_relationship(authed(end(customer, ""), &admin(reseller))).await.unwrap();
    assert!(!app.check(provider, customer).await.managed);
    assert!(app.customers_of(provider).await.is_empty());
}

#[tokio::test]
async fn only_the_partner_itself_or_the_customer_may_end_a_relationship() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let other = app.direct_reseller().await;
    let customer = accepted_customer(&app, partner).await;
    let partner_name = format!("partners/{partner}");

    let err = app
        .client()
        .revoke_customer_relationship(authed(end(customer, &partner_name), &admin(other)))
        .await
        .unwrap_err();
    assert_refused(&err, Code::NotFound, "RELATIONSHIP_NOT_FOUND");
    let err = app.client().revoke_customer_relationship(authed(end(customer, ""), &sales(partner))).await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    let err = app
        .client()
        .revoke_customer_relationship(authed(end(customer, ""), &token(partner, &[Role::EligibilityReviewer])))
        .await
        .unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
    assert!(app.check(partner, customer).await.managed);
    assert_eq!(
        gcc_testkit::eventually_eq(2, || app.count("audit_log WHERE outcome = 'ROLE_REQUIRED'")).await,
        2,
        "denials are audited"
    );
}

#[tokio::test]
async fn r15_a_customer_that_ended_a_relationship_may_accept_a_new_invitation() {
    let app = TestApp::spawn().await;
    let partner = app.direct_reseller().await;
    let customer = accepted_customer(&app, partner).await;
    app.client().revoke_customer_relationship(authed(end(customer, ""), &admin(partner))).await.unwrap();
    let invitation = app.invite(partner, pb::RelationshipRequest::default()).await.unwrap();
    app.accept(customer, &token_of(&invitation.invitation_url), None).await.unwrap();
    assert_eq!(app.customers_of(partner).await, vec![customer.to_string()]);
    assert_eq!(app.count("relationships").await, 1);
}
