//! The ways around the gate that once existed, each closed and proven over real TCP:
//! borrowed qualification (R1a), codes as vouchers (R12), an eligibility oracle, and the
//! seed's points on sales agents and the validation support contact.

use std::time::{Duration, Instant};

use gcc_e2e::steps::{admin, order};
use gcc_e2e::{Options, Stack};
use gcc_platform::{Role, TenantId};
use gcc_proto::{partner as ppb, relationships as rpb, validation as vpb};
use gcc_testkit::walk::{fresh_domain, submission_for};
use gcc_testkit::{assert_refused, authed, reviewer_token, token};
use tonic::Code;
use tonic_types::StatusExt;

async fn stack_with(validation_args: &[&str]) -> Stack {
    let postgres = std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    let validation_args = validation_args.iter().map(|s| s.to_string()).collect();
    Stack::start(Options { postgres, validation_args, ..Default::default() }).await.expect("the service set starts")
}

fn meta(err: &tonic::Status, key: &str) -> String {
    err.get_error_details().error_info().and_then(|i| i.metadata.get(key).cloned()).unwrap_or_default()
}

async fn invite(s: &Stack, customer: TenantId, token: &str) -> Result<rpb::RelationshipRequest, tonic::Status> {
    let req = rpb::CreateRelationshipRequestRequest {
        relationship_request: Some(rpb::RelationshipRequest {
            bound_customer_tenant_id: customer.to_string(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    Ok(s.relationships_svc(token).create_relationship_request(req).await?.into_inner())
}

#[tokio::test]
async fn r1a_an_unlinked_reseller_cannot_submit_invite_or_order_and_ending_a_link_stops_its_gcc_orders() {
    let s = stack_with(&["--fact-cache-ttl", "1s"]).await;
    let provider = s.enrolled(ppb::PartnerType::IndirectProvider, None).await;
    s.qualify(provider).await;
    let other = s.gcc_partner().await;
    let existing = s.validated_customer(other).await;

    // A reseller that only named the provider borrows nothing from it.
    let reseller = TenantId::random();
    let req = gcc_testkit::walk::enrollment(reseller, ppb::PartnerType::IndirectReseller, Some(provider));
    s.partners().enroll_partner(authed(req, &admin(reseller))).await.unwrap();
    let err = s.submit_customer(reseller, provider, None).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "RESELLER_LINK_PENDING");
    assert_eq!(meta(&err, "link_state"), "REQUESTED");
    let err = invite(&s, existing, &admin(reseller)).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "RESELLER_LINK_PENDING");

    // Once the provider agrees, the reseller sells GCC through it.
    s.link_approved(provider, reseller).await;
    let customer = s.validated_customer_via(reseller, provider).await;
    let placed = s.place_order(reseller, order(customer, &[("o365-g3-gcc", 5)], "")).await.unwrap();

    // The reseller ends the link: its GCC orders stop within the gate's fact-cache bound.
    let lookup = ppb::LookupTransactingPartnerRequest { tenant_id: reseller.to_string() };
    let link = s.partners().lookup_transacting_partner(authed(lookup, &admin(reseller))).await.unwrap();
    let end = ppb::EndResellerLinkRequest {
        name: link.into_inner().reseller_link,
        reason: String::new(),
        request_id: String::new(),
    };
    s.partners().end_reseller_link(authed(end, &admin(reseller))).await.unwrap();
    let ended_at = Instant::now();
    let refusal = loop {
        match s.place_order(reseller, order(customer, &[("o365-g3-gcc", 1)], "")).await {
            Err(e) => break e,
            Ok(_) => {
                assert!(ended_at.elapsed() < Duration::from_secs(3), "GCC orders go on past the 1 s fact-cache bound")
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_refused(&refusal, Code::FailedPrecondition, "GCC_ELIGIBILITY_REQUIRED");
    assert!(meta(&refusal, "reasons").contains("RESELLER_LINK_ENDED"), "{refusal:?}");
    let err = s.submit_customer(reseller, provider, None).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "RESELLER_LINK_ENDED");

    // History stays visible to both sides.
    for side in [reseller, provider] {
        let got = s
            .ordering_svc(&admin(side))
            .get_order(gcc_proto::ordering::GetOrderRequest { name: placed.name.clone() })
            .await;
        assert_eq!(got.unwrap().into_inner().name, placed.name);
    }
}

#[tokio::test]
async fn r12_a_code_qualifies_only_its_organization_and_its_subdomains() {
    let s = stack_with(&[]).await;
    let partner = s.gcc_partner().await;
    let domain = fresh_domain();
    let v = s.submitted_for(partner, partner, &domain).await;
    let approve = vpb::ApproveCustomerValidationRequest { name: v.name, code_uses: 3, request_id: String::new() };
    let code = s
        .validation()
        .approve_customer_validation(authed(approve, &reviewer_token()))
        .await
        .unwrap()
        .into_inner()
        .validation_code;

    // Once a voucher for any customer; now bound to the validated organization.
    for foreign in [fresh_domain(), format!("evil{domain}"), format!("{domain}.evil.example")] {
        let c = s.customer_at(partner, &foreign).await;
        let err = s
            .validation()
            .apply_validation_code(authed(gcc_testkit::walk::code_application(&code, c), &admin(partner)))
            .await
            .unwrap_err();
        assert_refused(&err, Code::FailedPrecondition, "VALIDATION_CODE_ORGANIZATION_MISMATCH");
    }
    for own in [domain.clone(), format!("it.{domain}")] {
        let c = s.customer_at(partner, &own).await;
        assert_eq!(s.applied(partner, &code, c).await.display_name, "Government Community Cloud");
    }
    let codes =
        s.validation_svc(&admin(partner)).list_validation_codes(vpb::ListValidationCodesRequest::default()).await;
    let listed = codes.unwrap().into_inner().validation_codes;
    assert_eq!(listed.iter().find(|c| c.name == code).map(|c| c.remaining_uses), Some(1), "refusals took no use");
}

#[tokio::test]
async fn r12_approval_qualifies_the_named_customer_at_once_and_takes_one_use() {
    let s = stack_with(&[]).await;
    let partner = s.gcc_partner().await;
    let customer = s.customer_of(partner).await;
    let v = s.submitted(partner, partner, Some(customer)).await;
    assert!(s.special_qualifications(partner, customer).await.unwrap().is_empty());
    let approve = vpb::ApproveCustomerValidationRequest { name: v.name, code_uses: 2, request_id: String::new() };
    let approved =
        s.validation().approve_customer_validation(authed(approve, &reviewer_token())).await.unwrap().into_inner();
    let q = s.special_qualifications(partner, customer).await.unwrap();
    assert_eq!(q.len(), 1, "qualified at approval, with no code to apply");
    assert_eq!(q[0].validation_code, approved.validation_code);
    let codes =
        s.validation_svc(&admin(partner)).list_validation_codes(vpb::ListValidationCodesRequest::default()).await;
    let code =
        codes.unwrap().into_inner().validation_codes.into_iter().find(|c| c.name == approved.validation_code).unwrap();
    assert_eq!((code.total_uses, code.remaining_uses), (2, 1));
    assert!(code.expire_time.is_some(), "codes expire");
    s.place_order(partner, order(customer, &[("o365-g3-gcc", 3)], "")).await.unwrap();
    // A validation of a customer that already holds GCC is refused.
    let err = s.submit_customer(partner, partner, Some(customer)).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "CUSTOMER_ALREADY_QUALIFIED");
}

#[tokio::test]
async fn r12_one_open_validation_per_organization_and_transacting_partner() {
    let s = stack_with(&[]).await;
    let partner = s.gcc_partner().await;
    let other = s.gcc_partner().await;
    let domain = fresh_domain();
    let first = s.submitted_for(partner, partner, &domain).await;
    let again =
        s.validation_svc(&admin(partner)).submit_customer_validation(submission_for(partner, &domain, None)).await;
    let err = again.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "VALIDATION_ALREADY_OPEN");
    assert_eq!(meta(&err, "customer_validation"), first.name);
    // Another transacting partner may validate the same organization.
    s.submitted_for(other, other, &domain).await;
    // Once decided, a new request may follow.
    let reject =
        vpb::RejectCustomerValidationRequest { name: first.name, reason: "no proof".into(), request_id: String::new() };
    s.validation().reject_customer_validation(authed(reject, &reviewer_token())).await.unwrap();
    s.submitted_for(partner, partner, &domain).await;
}

#[tokio::test]
async fn r12_an_expired_code_is_refused_and_left_off_the_pick_list() {
    let clock = gcc_testkit::manual_clock();
    let postgres = std::env::var(gcc_testkit::POSTGRES_ENV).ok().filter(|u| !u.is_empty());
    let options = Options {
        postgres,
        validation_args: vec!["--validation-code-ttl".into(), "1d".into()],
        clock: Some(std::sync::Arc::new(clock.clone())),
        ..Default::default()
    };
    let s = Stack::start(options).await.expect("the service set starts");
    let partner = s.gcc_partner().await;
    let domain = fresh_domain();
    let v = s.submitted_for(partner, partner, &domain).await;
    let code = s.approved(&v.name).await;
    clock.advance(chrono::Duration::hours(25));
    let customer = s.customer_at(partner, &domain).await;
    let err = s
        .validation()
        .apply_validation_code(authed(gcc_testkit::walk::code_application(&code, customer), &admin(partner)))
        .await
        .unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "VALIDATION_CODE_EXPIRED");
    let list = |include_spent| {
        let mut c = s.validation_svc(&admin(partner));
        async move {
            c.list_validation_codes(vpb::ListValidationCodesRequest { include_spent, ..Default::default() })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let open = list(false).await;
    assert!(open.validation_codes.is_empty());
    assert!(open.help.is_some_and(|h| !h.url.is_empty()), "an empty pick list links the validation support contact");
    assert_eq!(list(true).await.validation_codes.len(), 1);
}

/// The status with every occurrence of `id` replaced, so that two answers about two
/// different customers can be compared byte for byte.
fn scrubbed(status: &tonic::Status, id: &str) -> (Code, String, Vec<u8>) {
    let details = String::from_utf8_lossy(status.details()).replace(id, "ID").into_bytes();
    (status.code(), status.message().replace(id, "ID"), details)
}

#[tokio::test]
async fn no_oracle_another_partners_qualified_customer_answers_exactly_like_a_missing_one() {
    let s = stack_with(&[]).await;
    let owner = s.gcc_partner().await;
    let asker = s.gcc_partner().await;
    let theirs = s.validated_customer(owner).await;
    let missing = TenantId::random();
    let askers_code = s.approved(&s.submitted_for(asker, asker, "example.gov").await.name).await;

    let answers = |customer: TenantId| {
        let s = &s;
        let code = askers_code.clone();
        async move {
            let mut v = s.validation_svc(&admin(asker));
            let name = format!("customers/{customer}");
            let check = vpb::CheckEligibilityRequest {
                customer: name.clone(),
                offer_families: vec![1],
                partner: String::new(),
            };
            let quals = vpb::ListSpecialQualificationsRequest { customer: name.clone() };
            let apply = gcc_testkit::walk::code_application(&code, customer);
            vec![
                v.check_eligibility(check).await.map(|_| ()).unwrap_err(),
                v.list_special_qualifications(quals).await.map(|_| ()).unwrap_err(),
                v.apply_validation_code(apply).await.map(|_| ()).unwrap_err(),
                s.place_order(asker, order(customer, &[("o365-g3-gcc", 1)], "")).await.map(|_| ()).unwrap_err(),
                s.place_order(asker, order(customer, &[("o365-e3", 1)], "")).await.map(|_| ()).unwrap_err(),
            ]
        }
    };
    let (for_theirs, for_missing) = (answers(theirs).await, answers(missing).await);
    for (a, b) in for_theirs.iter().zip(&for_missing) {
        assert_refused(a, Code::NotFound, "CUSTOMER_NOT_FOUND");
        assert_eq!(scrubbed(a, &theirs.to_string()), scrubbed(b, &missing.to_string()), "{a:?} vs {b:?}");
    }
    // Lists filtered by such a customer are as empty as for a missing one.
    for customer in [theirs, missing] {
        let mut o = s.ordering_svc(&admin(asker));
        let name = format!("customers/{customer}");
        let orders =
            o.list_orders(gcc_proto::ordering::ListOrdersRequest { customer: name.clone(), ..Default::default() });
        assert_eq!(orders.await.unwrap().into_inner(), Default::default());
        let subs = o
            .list_subscriptions(gcc_proto::ordering::ListSubscriptionsRequest { customer: name, ..Default::default() });
        assert_eq!(subs.await.unwrap().into_inner(), Default::default());
    }
}

#[tokio::test]
async fn seed_sales_agents_run_the_whole_relationship_request_workflow() {
    let s = stack_with(&[]).await;
    let partner = s.gcc_partner().await;
    let other = s.gcc_partner().await;
    let customer = s.validated_customer(other).await;
    let sales = token(partner, &[Role::SalesAgent]);
    let r = invite(&s, customer, &sales).await.unwrap();
    let mut c = s.relationships_svc(&sales);
    let body = format!("Dear customer,\n\nplease accept: {}\n", r.invitation_url);
    let update = rpb::UpdateRelationshipRequestEmailRequest {
        name: r.name.clone(),
        email_subject: "Our invitation".into(),
        email_body: body,
        request_id: String::new(),
    };
    assert_eq!(c.update_relationship_request_email(update).await.unwrap().into_inner().email_subject, "Our invitation");
    let resent = c
        .resend_relationship_request(rpb::ResendRelationshipRequestRequest {
            name: r.name.clone(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(resent.invitation_url, r.invitation_url, "a new link");
    let revoked = c
        .revoke_relationship_request(rpb::RevokeRelationshipRequestRequest { name: r.name, request_id: String::new() })
        .await;
    assert_eq!(revoked.unwrap().into_inner().state, rpb::relationship_request::State::Revoked as i32);
}

#[tokio::test]
async fn seed_gcc_refusals_link_the_validation_support_team() {
    let s = stack_with(&[]).await;
    let partner = s.gcc_partner().await;
    let customer = s.customer_of(partner).await;
    let err = s.place_order(partner, order(customer, &[("o365-g3-gcc", 1)], "")).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "GCC_ELIGIBILITY_REQUIRED");
    let help = err.get_error_details().help().expect("a Help link").links.clone();
    assert!(help.iter().any(|l| l.url.starts_with("mailto:")), "{help:?}");
    let codes =
        s.validation_svc(&admin(partner)).list_validation_codes(vpb::ListValidationCodesRequest::default()).await;
    assert!(codes.unwrap().into_inner().help.is_some_and(|h| h.description.contains("validation support")));
}

#[tokio::test]
async fn r1a_a_former_provider_stops_managing_its_ex_resellers_customers() {
    let s = stack_with(&["--fact-cache-ttl", "0s"]).await;
    let (old, new) = (
        s.enrolled(ppb::PartnerType::IndirectProvider, None).await,
        s.enrolled(ppb::PartnerType::IndirectProvider, None).await,
    );
    s.qualify(old).await;
    s.qualify(new).await;
    let reseller = s.enrolled(ppb::PartnerType::IndirectReseller, Some(old)).await;
    let direct = s.gcc_partner().await;
    let customer = s.validated_customer(direct).await;
    // The reseller invites the customer while it sells through `old`...
    let token = s.invite(reseller, customer).await;
    // ...then moves to `new` before the customer accepts.
    let lookup = ppb::LookupTransactingPartnerRequest { tenant_id: reseller.to_string() };
    let link = s.partners().lookup_transacting_partner(authed(lookup, &admin(reseller))).await.unwrap().into_inner();
    let end =
        ppb::EndResellerLinkRequest { name: link.reseller_link, reason: String::new(), request_id: String::new() };
    s.partners().end_reseller_link(authed(end, &admin(reseller))).await.unwrap();
    let ask = ppb::CreateResellerLinkRequest {
        reseller_link: Some(ppb::ResellerLink {
            provider: format!("partners/{new}"),
            reseller: format!("partners/{reseller}"),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let l = s.partners().create_reseller_link(authed(ask, &admin(reseller))).await.unwrap().into_inner();
    let approve = ppb::ApproveResellerLinkRequest { name: l.name, ..Default::default() };
    s.partners().approve_reseller_link(authed(approve, &admin(new))).await.unwrap();
    s.accept(customer, &token).await;

    // The former provider manages nothing of the reseller's any more, and cannot order.
    let check =
        rpb::CheckCustomerManagementRequest { customer: format!("customers/{customer}"), partner: String::new() };
    let m = s.relationships_svc(&admin(old)).check_customer_management(check.clone()).await.unwrap().into_inner();
    assert!(!m.managed, "{m:?}");
    let err = s.place_order(old, order(customer, &[("o365-g3-gcc", 1)], "")).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "CUSTOMER_NOT_FOUND");
    // The reseller orders through its current provider, which sees the order.
    let m = s.relationships_svc(&admin(reseller)).check_customer_management(check).await.unwrap().into_inner();
    assert_eq!(m.indirect_provider, format!("partners/{new}"));
    s.place_order(reseller, order(customer, &[("o365-g3-gcc", 1)], "")).await.unwrap();
    let seen = |p: TenantId| {
        let mut o = s.ordering_svc(&admin(p));
        async move {
            o.list_orders(gcc_proto::ordering::ListOrdersRequest::default()).await.unwrap().into_inner().orders.len()
        }
    };
    assert_eq!((seen(old).await, seen(new).await), (0, 1));
}
