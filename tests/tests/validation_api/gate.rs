//! The eligibility gate (R18): a verdict with every reason that applies, and an error,
//! never a verdict, when a fact cannot be read.

use gcc_platform::{Role, TenantId};
use gcc_proto::partner as ppb;
use gcc_proto::relationships as rpb;
use gcc_proto::types::OfferFamily;
use gcc_proto::validation::{self as pb, IneligibilityReason as R};
use gcc_testkit::{assert_refused, authed, reviewer_token, token, walk};
use tonic::Code;

use crate::helpers::{ALL_FAMILIES, World, admin, reasons, submission};

#[tokio::test]
async fn r18_a_validated_managed_customer_of_a_gcc_partner_is_eligible() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    let v = w.check(&admin(partner), customer, &[OfferFamily::Office365]).await.unwrap();
    assert!(v.eligible, "{v:?}");
    assert!(v.reasons.is_empty() && v.violations.is_empty());
    assert_eq!(v.transacting_partner, format!("partners/{partner}"));
    assert!(v.facts_as_of.is_some());
}

#[tokio::test]
async fn r6_one_validation_opens_office_dynamics_ems_and_power_bi() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    assert!(w.check(&admin(partner), customer, &ALL_FAMILIES).await.unwrap().eligible);
    for family in ALL_FAMILIES {
        assert!(w.check(&admin(partner), customer, &[family]).await.unwrap().eligible, "{family:?}");
    }
}

#[tokio::test]
async fn r12_r18_an_unvalidated_customer_is_not_eligible() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;
    let v = w.check(&admin(partner), customer, &[OfferFamily::Ems]).await.unwrap();
    assert!(!v.eligible);
    assert_eq!(reasons(&v), vec![R::CustomerNotValidated]);
    assert_eq!(v.violations[0].r#type, "CUSTOMER_NOT_VALIDATED");
    assert_eq!(v.violations[0].subject, format!("customers/{customer}"));
}

#[tokio::test]
async fn r13_r18_a_pending_validation_is_not_yet_eligible() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let customer = w.customer_of(partner).await;
    let req = walk::submission_for(partner, &w.domain_of(partner, customer).await, Some(customer));
    w.submit(partner, req).await.unwrap();
    let v = w.check(&admin(partner), customer, &[OfferFamily::Office365]).await.unwrap();
    assert_eq!(reasons(&v), vec![R::ValidationPending]);
}

#[tokio::test]
async fn r7_r18_a_partner_without_gcc_is_not_eligible_with_every_reason_listed() {
    let w = World::spawn().await;
    let partner = w.enrolled(ppb::PartnerType::DirectReseller, None, None).await;
    let customer = w.customer_of(partner).await;
    let v = w.check(&admin(partner), customer, &[OfferFamily::PowerBi]).await.unwrap();
    assert_eq!(reasons(&v), vec![R::PartnerNotGccQualified, R::CustomerNotValidated]);
    assert_eq!(v.violations.len(), 2);

    // A partner that does not manage the customer learns nothing about it.
    let stranger = TenantId::random();
    let err = w.check(&admin(stranger), customer, &[OfferFamily::PowerBi]).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
    // A reviewer asking on the stranger's behalf gets every reason.
    let req = pb::CheckEligibilityRequest {
        customer: format!("customers/{customer}"),
        offer_families: vec![OfferFamily::PowerBi as i32],
        partner: format!("partners/{stranger}"),
    };
    let v = w.validation().check_eligibility(authed(req, &reviewer_token())).await.unwrap().into_inner();
    assert_eq!(reasons(&v), vec![R::PartnerNotEnrolled, R::CustomerNotManaged, R::CustomerNotValidated]);
}

#[tokio::test]
async fn r15_r18_another_partners_customer_is_not_managed() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let other = w.gcc_partner().await;
    let theirs = w.validated_customer(other).await;
    let err = w.check(&admin(partner), theirs, &[OfferFamily::Office365]).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
}

#[tokio::test]
async fn r18_a_revoked_relationship_is_seen_by_the_gate() {
    let w = World::spawn_with(&["--fact-cache-ttl", "0s"]).await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    assert!(w.check(&admin(partner), customer, &[OfferFamily::Office365]).await.unwrap().eligible);
    let revoke = rpb::RevokeCustomerRelationshipRequest {
        customer: format!("customers/{customer}"),
        partner: String::new(),
        request_id: String::new(),
    };
    w.relationships().revoke_customer_relationship(authed(revoke, &admin(partner))).await.unwrap();
    let err = w.check(&admin(partner), customer, &[OfferFamily::Office365]).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
}

#[tokio::test]
async fn the_gate_fails_closed_when_a_dependency_is_down() {
    let mut w = World::spawn_with(&["--fact-cache-ttl", "0s"]).await;
    let partner = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    w.relationships.take().unwrap().shutdown().await.unwrap();
    let err = w.check(&admin(partner), customer, &[OfferFamily::Office365]).await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");

    w.partner.take().unwrap().shutdown().await.unwrap();
    let err = w.submit(partner, submission(partner)).await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    assert_eq!(
        w.count("customer_validations WHERE customer_tenant IS NULL").await,
        1,
        "only the setup's validation exists"
    );
}

#[tokio::test]
async fn the_gate_fails_closed_when_a_dependency_hangs() {
    // Accepts connections but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let w = World::spawn_with(&["--partner-endpoint", &silent_url, "--dependency-timeout", "300ms"]).await;
    let partner = TenantId::random();
    let err = w.check(&admin(partner), TenantId::random(), &[OfferFamily::Office365]).await.unwrap_err();
    assert_refused(&err, Code::DeadlineExceeded, "DEPENDENCY_DEADLINE_EXCEEDED");
    drop(silent);
}

#[tokio::test]
async fn reviewers_check_any_partner_and_partners_only_themselves() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let other = w.gcc_partner().await;
    let customer = w.validated_customer(partner).await;
    let req = |p: TenantId| pb::CheckEligibilityRequest {
        customer: format!("customers/{customer}"),
        offer_families: vec![OfferFamily::Office365 as i32],
        partner: format!("partners/{p}"),
    };
    let v = w.validation().check_eligibility(authed(req(partner), &reviewer_token())).await.unwrap().into_inner();
    assert!(v.eligible);
    let err = w.validation().check_eligibility(authed(req(partner), &admin(other))).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "PARTNER_NOT_FOUND");
    let err = w.check(&token(partner, &[Role::CustomerAdmin]), customer, &[OfferFamily::Office365]).await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "ROLE_REQUIRED");
}

#[tokio::test]
async fn r7_r18_a_new_approval_counts_at_once_even_with_a_long_fact_cache() {
    let w = World::spawn_with(&["--fact-cache-ttl", "60s"]).await;
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None, None).await;
    w.qualify(provider).await;
    let customer = w.validated_customer(provider).await;
    let direct = w.enrolled(ppb::PartnerType::DirectReseller, None, None).await;
    let own = w.customer_of(direct).await;
    // A negative fact (not qualified) is not reused...
    let v = w.check(&admin(direct), own, &[OfferFamily::Office365]).await.unwrap();
    assert!(reasons(&v).contains(&R::PartnerNotGccQualified));
    w.qualify(direct).await;
    let v = w.check(&admin(direct), own, &[OfferFamily::Office365]).await.unwrap();
    assert!(!reasons(&v).contains(&R::PartnerNotGccQualified), "approval counts at once: {v:?}");
    // ...and neither is "not managed": after another partner was told the provider's
    // customer does not exist for it, the provider's own check is eligible at once.
    let err = w.check(&admin(direct), customer, &[OfferFamily::Office365]).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert!(w.check(&admin(provider), customer, &[OfferFamily::Office365]).await.unwrap().eligible);
}
