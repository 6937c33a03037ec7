use gcc_platform::TenantId;
use gcc_proto::partner as ppb;
use gcc_proto::validation as pb;
use gcc_testkit::{assert_refused, authed, reviewer_token};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{World, admin, state, submission};

#[tokio::test]
async fn r7_a_customer_is_submitted_only_once_the_partner_holds_gcc() {
    let w = World::spawn().await;
    let partner = w.enrolled(ppb::PartnerType::DirectReseller, None, None).await;
    let err = w.submit(partner, submission(partner)).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "PARTNER_NOT_GCC_QUALIFIED");
    assert_eq!(w.count("customer_validations").await, 0);

    w.qualify(partner).await;
    let v = w.submit(partner, submission(partner)).await.unwrap();
    assert_eq!(state(&v), pb::customer_validation::State::PendingReview);
}

#[tokio::test]
async fn r7_an_indirect_resellers_provider_must_hold_gcc() {
    let w = World::spawn().await;
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None, None).await;
    let reseller = w.enrolled(ppb::PartnerType::IndirectReseller, Some(provider), None).await;
    let err = w.submit(reseller, submission(provider)).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "PARTNER_NOT_GCC_QUALIFIED");
    assert_eq!(
        err.get_error_details().error_info().unwrap().metadata["transacting_partner"],
        format!("partners/{provider}")
    );
    w.qualify(provider).await;
    w.submit(reseller, submission(provider)).await.expect("accepted once the provider holds GCC");
}

#[tokio::test]
async fn r8_every_partner_type_may_submit_on_behalf_of_a_customer() {
    let w = World::spawn().await;
    let direct = w.gcc_partner().await;
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None, None).await;
    w.qualify(provider).await;
    let reseller = w.enrolled(ppb::PartnerType::IndirectReseller, Some(provider), None).await;
    for (who, tenant_id) in [(direct, direct), (provider, provider), (reseller, provider)] {
        let v = w.submit(who, submission(tenant_id)).await.unwrap();
        assert_eq!(v.partner, format!("partners/{who}"));
        assert_eq!(v.transacting_partner, format!("partners/{tenant_id}"));
    }
    // A sales agent may submit too.
    let sales = gcc_testkit::token(direct, &[gcc_platform::Role::SalesAgent]);
    w.validation().submit_customer_validation(authed(submission(direct), &sales)).await.unwrap();
}

#[tokio::test]
async fn r9_indirect_reseller_must_use_provider_tenant_id() {
    let w = World::spawn().await;
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None, None).await;
    w.qualify(provider).await;
    let reseller = w.enrolled(ppb::PartnerType::IndirectReseller, Some(provider), None).await;

    let err = w.submit(reseller, submission(reseller)).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "USE_TRANSACTING_PARTNER_TENANT_ID");
    assert_eq!(err.get_error_details().error_info().unwrap().metadata["expected_tenant_id"], provider.to_string());
    assert_eq!(w.count("customer_validations").await, 0);

    let err = w.submit(reseller, submission(TenantId::random())).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "USE_TRANSACTING_PARTNER_TENANT_ID");

    let v = w.submit(reseller, submission(provider)).await.unwrap();
    assert_eq!(v.partner_tenant_id, provider.to_string());
}

#[tokio::test]
async fn r9_an_azure_gcc_tenant_id_is_refused_naming_the_right_one() {
    let w = World::spawn().await;
    let azure = TenantId::random();
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None, Some(azure)).await;
    w.qualify(provider).await;
    let reseller_azure = TenantId::random();
    let reseller = w.enrolled(ppb::PartnerType::IndirectReseller, Some(provider), Some(reseller_azure)).await;
    for (who, given) in [(provider, azure), (reseller, azure), (reseller, reseller_azure)] {
        let err = w.submit(who, submission(given)).await.unwrap_err();
        assert_refused(&err, Code::InvalidArgument, "AZURE_GCC_TENANT_ID_NOT_ALLOWED");
        assert_eq!(err.get_error_details().error_info().unwrap().metadata["expected_tenant_id"], provider.to_string());
    }
    assert_eq!(w.count("customer_validations").await, 0);
}

#[tokio::test]
async fn r8a_the_customer_states_how_it_qualifies() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let edit = |f: &dyn Fn(&mut pb::CustomerValidation)| {
        let mut r = submission(partner);
        f(r.customer_validation.as_mut().unwrap());
        r
    };
    let err = w.submit(partner, edit(&|v| v.eligibility = None)).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "ELIGIBILITY_BASIS_REQUIRED");
    let abroad = |presence: &str| {
        let presence = presence.to_owned();
        edit(&move |v| {
            v.organization.as_mut().unwrap().region_code = "CA".into();
            v.eligibility = Some(pb::CustomerEligibility {
                basis: Some(pb::customer_eligibility::Basis::RegulatedData(pb::RegulatedData {
                    kinds: vec![pb::RegulatedDataKind::Itar as i32, pb::RegulatedDataKind::Cui as i32],
                })),
                us_presence: presence.clone(),
            });
        })
    };
    let err = w.submit(partner, abroad("")).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "US_PRESENCE_REQUIRED");
    assert_eq!(w.count("customer_validations").await, 0);
    let v = w.submit(partner, abroad("Registered US subsidiary in Virginia")).await.unwrap();
    assert!(v.eligibility.unwrap().us_presence.contains("Virginia"));
}

#[tokio::test]
async fn another_partners_validation_is_not_found_but_the_provider_sees_its_resellers() {
    let w = World::spawn().await;
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None, None).await;
    w.qualify(provider).await;
    let reseller = w.enrolled(ppb::PartnerType::IndirectReseller, Some(provider), None).await;
    let stranger = w.gcc_partner().await;
    let v = w.submit(reseller, submission(provider)).await.unwrap();
    let get = |token: String| {
        let mut c = w.validation();
        let name = v.name.clone();
        async move { c.get_customer_validation(authed(pb::GetCustomerValidationRequest { name }, &token)).await }
    };
    assert_refused(&get(admin(stranger)).await.unwrap_err(), Code::NotFound, "CUSTOMER_VALIDATION_NOT_FOUND");
    assert!(get(admin(provider)).await.is_ok());
    assert!(get(reviewer_token()).await.is_ok());
}

#[tokio::test]
async fn validating_an_existing_customer_needs_one_the_partner_manages() {
    let w = World::spawn().await;
    let partner = w.gcc_partner().await;
    let other = w.gcc_partner().await;
    let theirs = w.customer_of(other).await;
    let mut req = submission(partner);
    req.customer_validation.as_mut().unwrap().customer = format!("customers/{theirs}");
    assert_refused(&w.submit(partner, req).await.unwrap_err(), Code::NotFound, "CUSTOMER_NOT_FOUND");
    let mine = w.customer_of(partner).await;
    let req = gcc_testkit::walk::submission_for(partner, &w.domain_of(partner, mine).await, Some(mine));
    assert_eq!(w.submit(partner, req).await.unwrap().customer, format!("customers/{mine}"));
}
