//! The source document, end to end: all four services over real TCP, each on its own
//! database (SQLite, or PostgreSQL when GCC_TEST_POSTGRES_URL is set).

use gcc_e2e::steps::{admin, order};
use gcc_e2e::{Options, Stack};
use gcc_platform::TenantId;
use gcc_proto::{partner as ppb, relationships as rpb, validation as vpb};
use gcc_testkit::assert_refused;
use tonic::Code;
use tonic_types::StatusExt;

async fn stack() -> Stack {
    let postgres = std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    Stack::start(Options { postgres, ..Default::default() }).await.expect("the service set starts")
}

fn gate_reasons(err: &tonic::Status) -> String {
    err.get_error_details()
        .error_info()
        .map(|i| i.metadata.get("reasons").cloned().unwrap_or_default())
        .unwrap_or_default()
}

#[tokio::test]
async fn r19_a_new_customer_is_validated_created_qualified_and_ordered_for_by_an_indirect_reseller() {
    let s = stack().await;
    // The provider is enrolled and approved for GCC; its reseller sells through it (R2, R5).
    let provider = s.enrolled(ppb::PartnerType::IndirectProvider, None).await;
    s.qualify(provider).await;
    let reseller = s.enrolled(ppb::PartnerType::IndirectReseller, Some(provider)).await;

    // R9: the reseller's own tenant ID is refused with the one to use; the provider's is accepted.
    let err = s.submit_customer(reseller, reseller, None).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "USE_TRANSACTING_PARTNER_TENANT_ID");
    assert_eq!(err.get_error_details().error_info().unwrap().metadata["expected_tenant_id"], provider.to_string());
    let validation = s.submit_customer(reseller, provider, None).await.unwrap();

    // R10: nothing to pick until a reviewer approves; R12: then a code.
    let codes = s
        .validation_svc(&admin(reseller))
        .list_validation_codes(vpb::ListValidationCodesRequest::default())
        .await
        .unwrap();
    assert!(codes.into_inner().validation_codes.is_empty());
    let code = s.approved(&validation.name).await;

    // R17 + R19: create the customer (within the validated organization, R12), pick the
    // validation item, order.
    let domain = validation.organization.as_ref().expect("organization").domain.clone();
    let customer = s.customer_at(reseller, &format!("it.{domain}")).await;
    let q = s.applied(reseller, &code, customer).await;
    assert_eq!(q.display_name, "Government Community Cloud");
    let order =
        s.place_order(reseller, order(customer, &[("o365-g3-gcc", 25), ("power-bi-pro-gcc", 5)], "")).await.unwrap();
    assert_eq!(order.lines.len(), 2);
    assert!(order.lines.iter().all(|l| !l.subscription.is_empty()), "every line has its subscription");
    assert!(order.gcc_checked);

    // The provider sees what its reseller transacts.
    let listed =
        s.ordering_svc(&admin(provider)).list_orders(gcc_proto::ordering::ListOrdersRequest::default()).await.unwrap();
    assert_eq!(listed.into_inner().orders.len(), 1);
}

#[tokio::test]
async fn r20_an_existing_gcc_customer_is_invited_accepted_checked_and_ordered_for() {
    let s = stack().await;
    let first = s.gcc_partner().await;
    let customer = s.validated_customer(first).await;
    let second = s.gcc_partner().await;

    // R14: a personalized invitation with a draft e-mail that carries the link.
    let invite = rpb::CreateRelationshipRequestRequest {
        relationship_request: Some(rpb::RelationshipRequest {
            bound_customer_tenant_id: customer.to_string(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let invitation =
        s.relationships_svc(&admin(second)).create_relationship_request(invite).await.unwrap().into_inner();
    assert!(invitation.email_body.contains(&invitation.invitation_url));
    let link_token = invitation.invitation_url.split("token=").nth(1).expect("a token in the link").to_owned();

    // R15: not in the list before acceptance; in it after.
    let listed = |who: TenantId| {
        let mut c = s.relationships_svc(&admin(who));
        async move {
            let customers =
                c.list_customers(rpb::ListCustomersRequest::default()).await.unwrap().into_inner().customers;
            customers.into_iter().map(|c| c.tenant_id).collect::<Vec<_>>()
        }
    };
    assert!(!listed(second).await.contains(&customer.to_string()));
    s.accept(customer, &link_token).await;
    assert!(listed(second).await.contains(&customer.to_string()));

    // R16: the new partner checks the special qualifications, then orders (R20).
    let q = s
        .validation_svc(&admin(second))
        .list_special_qualifications(vpb::ListSpecialQualificationsRequest {
            customer: format!("customers/{customer}"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(q.special_qualifications[0].display_name, "Government Community Cloud");
    let order = s.place_order(second, order(customer, &[("ems-e3-gcc", 40)], "")).await.unwrap();
    assert_eq!(order.partner, format!("partners/{second}"));
}

#[tokio::test]
async fn r16_after_acceptance_the_partner_sees_the_customers_special_qualifications() {
    let s = stack().await;
    let first = s.gcc_partner().await;
    let customer = s.validated_customer(first).await;
    let second = s.gcc_partner().await;
    let err = s.special_qualifications(second, customer).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
    let link = s.invite(second, customer).await;
    s.accept(customer, &link).await;
    let q = s.special_qualifications(second, customer).await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].display_name, "Government Community Cloud");
    assert_eq!(q, s.special_qualifications(first, customer).await.unwrap(), "the same qualification for every partner");
}

#[tokio::test]
async fn r18_every_refusal_on_the_way() {
    let s = stack().await;
    let partner = s.gcc_partner().await;

    // An unvalidated customer.
    let unvalidated = s.customer_of(partner).await;
    let err = s.place_order(partner, order(unvalidated, &[("o365-g5-gcc", 1)], "")).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "GCC_ELIGIBILITY_REQUIRED");
    assert!(gate_reasons(&err).contains("CUSTOMER_NOT_VALIDATED"));

    // A pending validation.
    s.submit_customer(partner, partner, Some(unvalidated)).await.unwrap();
    let err = s.place_order(partner, order(unvalidated, &[("o365-g5-gcc", 1)], "")).await.unwrap_err();
    assert!(gate_reasons(&err).contains("VALIDATION_PENDING"), "{err:?}");

    // An unapproved partner.
    let unapproved = s.enrolled(ppb::PartnerType::DirectReseller, None).await;
    let its_customer = s.customer_of(unapproved).await;
    let err =
        s.place_order(unapproved, order(its_customer, &[("d365-sales-enterprise-gcc", 2)], "")).await.unwrap_err();
    assert!(gate_reasons(&err).contains("PARTNER_NOT_GCC_QUALIFIED"), "{err:?}");

    // An unmanaged customer.
    let validated = s.validated_customer(partner).await;
    let err = s.place_order(unapproved, order(validated, &[("o365-g3-gcc", 1)], "")).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");

    // A revoked relationship.
    s.place_order(partner, order(validated, &[("o365-g3-gcc", 1)], "")).await.expect("eligible before revocation");
    let revoke = rpb::RevokeCustomerRelationshipRequest {
        customer: format!("customers/{validated}"),
        partner: String::new(),
        request_id: String::new(),
    };
    s.relationships_svc(&admin(partner)).revoke_customer_relationship(revoke).await.unwrap();
    let err = s.place_order(partner, order(validated, &[("o365-g3-gcc", 1)], "")).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
}

#[tokio::test]
async fn r18_r21_with_the_validation_service_stopped_gcc_orders_fail_closed_and_commercial_ones_go_through() {
    let mut s = stack().await;
    let partner = s.gcc_partner().await;
    let customer = s.validated_customer(partner).await;
    s.validation.take().unwrap().shutdown().await.unwrap();

    let err = s.place_order(partner, order(customer, &[("o365-g3-gcc", 3)], "")).await.unwrap_err();
    assert_refused(&err, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    let commercial = s.place_order(partner, order(customer, &[("o365-e3", 3)], "")).await.unwrap();
    assert!(!commercial.gcc_checked, "R21: commercial offers are not gated");
    let orders =
        s.ordering_svc(&admin(partner)).list_orders(gcc_proto::ordering::ListOrdersRequest::default()).await.unwrap();
    assert_eq!(orders.into_inner().orders.len(), 1, "only the commercial order exists");
}
