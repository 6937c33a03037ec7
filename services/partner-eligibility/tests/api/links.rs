//! R1a: an indirect reseller transacts through an indirect provider only once the
//! provider agreed, and either side can end the link.

use std::time::Duration;

use gcc_platform::TenantId;
use gcc_proto::partner::{self as pb, reseller_link::State};
use gcc_testkit::{assert_refused, authed, reviewer_token};
use tonic::Code;

use crate::helpers::{TestApp, admin};

async fn lookup(app: &TestApp, tenant: TenantId) -> pb::TransactingPartner {
    let req = pb::LookupTransactingPartnerRequest { tenant_id: tenant.to_string() };
    app.client().lookup_transacting_partner(authed(req, &admin(tenant))).await.expect("lookup").into_inner()
}

fn link_state(l: &pb::ResellerLink) -> State {
    State::try_from(l.state).expect("known state")
}

async fn create(
    app: &TestApp,
    caller: TenantId,
    provider: TenantId,
    reseller: TenantId,
) -> Result<pb::ResellerLink, tonic::Status> {
    let link = pb::ResellerLink {
        provider: format!("partners/{provider}"),
        reseller: format!("partners/{reseller}"),
        ..Default::default()
    };
    let req = pb::CreateResellerLinkRequest { reseller_link: Some(link), request_id: String::new() };
    app.client().create_reseller_link(authed(req, &admin(caller))).await.map(|r| r.into_inner())
}

async fn approve(app: &TestApp, caller: TenantId, name: &str) -> Result<pb::ResellerLink, tonic::Status> {
    let req = pb::ApproveResellerLinkRequest { name: name.to_owned(), ..Default::default() };
    app.client().approve_reseller_link(authed(req, &admin(caller))).await.map(|r| r.into_inner())
}

async fn end(app: &TestApp, caller: TenantId, name: &str) -> Result<pb::ResellerLink, tonic::Status> {
    let req =
        pb::EndResellerLinkRequest { name: name.to_owned(), reason: "contract over".into(), request_id: String::new() };
    app.client().end_reseller_link(authed(req, &admin(caller))).await.map(|r| r.into_inner())
}

#[tokio::test]
async fn r1a_naming_a_qualified_provider_borrows_nothing_until_it_approves() {
    let app = TestApp::spawn().await;
    let provider = app.qualified(pb::PartnerType::IndirectProvider).await;
    // Anyone may name a qualified provider at enrollment: that is only a request.
    let newcomer = TenantId::random();
    let p = app.enroll(newcomer, pb::PartnerType::IndirectReseller, Some(provider)).await.unwrap();
    assert_eq!(p.indirect_provider, "");
    let t = lookup(&app, newcomer).await;
    assert_eq!((t.transacting_tenant_id.as_str(), t.gcc_qualified), ("", false), "{t:?}");
    assert_eq!(State::try_from(t.reseller_link_state), Ok(State::Requested));

    // The requester cannot agree for the provider; the provider can.
    let err = approve(&app, newcomer, &t.reseller_link).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "RESELLER_LINK_AWAITS_OTHER_SIDE");
    let active = approve(&app, provider, &t.reseller_link).await.unwrap();
    assert_eq!(link_state(&active), State::Active);
    assert!(active.activate_time.is_some());
    let t = lookup(&app, newcomer).await;
    assert_eq!((t.transacting_tenant_id, t.gcc_qualified), (provider.to_string(), true));
}

#[tokio::test]
async fn r1a_a_provider_invites_and_the_tenant_accepts_by_enrolling_with_it() {
    let app = TestApp::spawn().await;
    let provider = app.qualified(pb::PartnerType::IndirectProvider).await;
    let invited = TenantId::random();
    let link = create(&app, provider, provider, invited).await.unwrap();
    assert_eq!((link_state(&link), link.opened_by), (State::Invited, pb::reseller_link::Side::Provider as i32));
    // Accepting needs an enrolled reseller; enrolling with the provider accepts.
    assert_refused(
        &approve(&app, invited, &link.name).await.unwrap_err(),
        Code::FailedPrecondition,
        "PARTNER_NOT_ENROLLED",
    );
    let p = app.enroll(invited, pb::PartnerType::IndirectReseller, Some(provider)).await.unwrap();
    assert_eq!(p.indirect_provider, format!("partners/{provider}"));
    assert!(lookup(&app, invited).await.gcc_qualified);
    assert_eq!(app.count("reseller_links").await, 1, "the invitation became the link");
}

#[tokio::test]
async fn r1a_either_side_ends_the_link_and_both_keep_its_history() {
    let app = TestApp::spawn().await;
    let provider = app.qualified(pb::PartnerType::IndirectProvider).await;
    for ender in ["reseller", "provider"] {
        let reseller = app.linked_reseller(provider).await;
        let name = lookup(&app, reseller).await.reseller_link;
        let who = if ender == "reseller" { reseller } else { provider };
        let ended = end(&app, who, &name).await.unwrap();
        assert_eq!((link_state(&ended), ended.end_reason.as_str()), (State::Ended, "contract over"));
        let t = lookup(&app, reseller).await;
        assert_eq!((t.transacting_tenant_id.as_str(), t.gcc_qualified), ("", false), "ended by the {ender}");
        assert_eq!(State::try_from(t.reseller_link_state), Ok(State::Ended));
        assert_refused(
            &approve(&app, provider, &name).await.unwrap_err(),
            Code::FailedPrecondition,
            "TRANSITION_NOT_ALLOWED",
        );
        assert_refused(
            &end(&app, reseller, &name).await.unwrap_err(),
            Code::FailedPrecondition,
            "TRANSITION_NOT_ALLOWED",
        );
        for side in [provider, reseller] {
            let get = pb::GetResellerLinkRequest { name: name.clone() };
            let l = app.client().get_reseller_link(authed(get, &admin(side))).await.unwrap().into_inner();
            assert_eq!(link_state(&l), State::Ended);
        }
        // A new request can follow an ended link.
        let again = create(&app, reseller, provider, reseller).await.unwrap();
        assert_eq!(link_state(&again), State::Requested);
    }
    let list =
        app.client().list_reseller_links(authed(pb::ListResellerLinksRequest::default(), &admin(provider))).await;
    assert_eq!(list.unwrap().into_inner().reseller_links.len(), 4, "two ended links and two new requests");
    assert_eq!(app.count("audit_log WHERE action = 'reseller_link.end' AND outcome = 'ok'").await, 2);
    assert_eq!(app.count("outbox WHERE topic = 'gcc.partner.v1.reseller_link.ended'").await, 2);
}

#[tokio::test]
async fn r1a_a_link_is_seen_only_by_its_two_sides_and_reviewers() {
    let app = TestApp::spawn().await;
    let provider = app.enrolled(pb::PartnerType::IndirectProvider).await;
    let reseller = app.linked_reseller(provider).await;
    let stranger = app.enrolled(pb::PartnerType::IndirectProvider).await;
    let name = lookup(&app, reseller).await.reseller_link;
    let get = |token: String| {
        let mut c = app.client();
        let req = pb::GetResellerLinkRequest { name: name.clone() };
        async move { c.get_reseller_link(authed(req, &token)).await }
    };
    assert_refused(&get(admin(stranger)).await.unwrap_err(), Code::NotFound, "RESELLER_LINK_NOT_FOUND");
    let missing = pb::GetResellerLinkRequest { name: "resellerLinks/0195f0c0aa0b7c3e8d1f2a3b4c5d6e7f".into() };
    let err = app.client().get_reseller_link(authed(missing, &admin(stranger))).await.unwrap_err();
    assert_refused(&err, Code::NotFound, "RESELLER_LINK_NOT_FOUND");
    assert_refused(&end(&app, stranger, &name).await.unwrap_err(), Code::NotFound, "RESELLER_LINK_NOT_FOUND");
    assert!(get(reviewer_token()).await.is_ok_and(|l| l.into_inner().name == name));
    let listed =
        app.client().list_reseller_links(authed(pb::ListResellerLinksRequest::default(), &admin(stranger))).await;
    assert!(listed.unwrap().into_inner().reseller_links.is_empty());
}

#[tokio::test]
async fn r1a_a_reseller_has_one_open_link_and_only_parties_open_one() {
    let app = TestApp::spawn().await;
    let provider = app.enrolled(pb::PartnerType::IndirectProvider).await;
    let other = app.enrolled(pb::PartnerType::IndirectProvider).await;
    let reseller = app.linked_reseller(provider).await;
    let err = create(&app, other, other, reseller).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "RESELLER_LINK_ALREADY_OPEN");
    let open = lookup(&app, reseller).await.reseller_link;
    assert_eq!(gcc_testkit::reason(&err), "RESELLER_LINK_ALREADY_OPEN");
    assert_eq!(tonic_types::StatusExt::get_error_details(&err).error_info().unwrap().metadata["reseller_link"], open);

    let err = create(&app, other, provider, reseller).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "RESELLER_LINK_CALLER_NOT_A_PARTY");
    let direct = app.enrolled(pb::PartnerType::DirectReseller).await;
    let err = create(&app, provider, provider, direct).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "NOT_AN_INDIRECT_RESELLER");
    let err = create(&app, direct, direct, TenantId::random()).await.unwrap_err();
    assert_refused(&err, Code::FailedPrecondition, "INDIRECT_PROVIDER_NOT_ENROLLED");
    assert_eq!(app.count("reseller_links").await, 1, "refusals write nothing");
}

#[tokio::test]
async fn r1a_a_watcher_sees_each_change_of_a_link() {
    let app = TestApp::spawn().await;
    let provider = app.enrolled(pb::PartnerType::IndirectProvider).await;
    let reseller = TenantId::random();
    app.enroll(reseller, pb::PartnerType::IndirectReseller, Some(provider)).await.unwrap();
    let name = lookup(&app, reseller).await.reseller_link;
    let watch = pb::WatchResellerLinkRequest { name: name.clone() };
    let mut stream = app.client().watch_reseller_link(authed(watch, &admin(provider))).await.unwrap().into_inner();
    let mut next = async || {
        let m = tokio::time::timeout(Duration::from_secs(5), stream.message()).await.expect("a change within 5 s");
        m.expect("a message").map(|l| link_state(&l))
    };
    assert_eq!(next().await, Some(State::Requested));
    approve(&app, provider, &name).await.unwrap();
    assert_eq!(next().await, Some(State::Active));
    end(&app, reseller, &name).await.unwrap();
    assert_eq!(next().await, Some(State::Ended));
    assert_eq!(next().await, None, "the stream ends once the link has ended");
}

#[tokio::test]
async fn r1a_a_retried_request_opens_one_link() {
    let app = TestApp::spawn().await;
    let provider = app.enrolled(pb::PartnerType::IndirectProvider).await;
    let reseller = app.linked_reseller(provider).await;
    let name = lookup(&app, reseller).await.reseller_link;
    end(&app, provider, &name).await.unwrap();
    let link = pb::ResellerLink {
        provider: format!("partners/{provider}"),
        reseller: format!("partners/{reseller}"),
        ..Default::default()
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let req = pb::CreateResellerLinkRequest { reseller_link: Some(link), request_id };
    let first = app.client().create_reseller_link(authed(req.clone(), &admin(reseller))).await.unwrap().into_inner();
    let again = app.client().create_reseller_link(authed(req, &admin(reseller))).await.unwrap().into_inner();
    assert_eq!(first, again);
    assert_eq!(app.count("reseller_links").await, 2);
}

#[tokio::test]
async fn reviewer_never_decides_a_validation_of_its_own_tenant() {
    let app = TestApp::spawn().await;
    let own = TenantId::parse(gcc_testkit::REVIEWER_TENANT).unwrap();
    app.enroll(own, pb::PartnerType::DirectReseller, None).await.unwrap();
    let v = app.submit(own).await.unwrap();
    let req = pb::ApprovePartnerValidationRequest { name: v.name.clone(), request_id: String::new() };
    let err = app.client().approve_partner_validation(authed(req, &reviewer_token())).await.unwrap_err();
    assert_refused(&err, Code::PermissionDenied, "REVIEWER_IS_PARTY");
    assert_eq!(app.count("partner_qualifications").await, 0);
}

/// A provider's page of partners, every page followed: the tenant IDs in order.
async fn partners_seen_by(app: &TestApp, provider: TenantId, page_size: i32) -> Vec<String> {
    let (mut seen, mut token) = (Vec::new(), String::new());
    for _ in 0..10 {
        let req = pb::ListPartnersRequest { page_size, page_token: token, partner_type: 0 };
        let page = app.client().list_partners(authed(req, &admin(provider))).await.expect("a page").into_inner();
        seen.extend(page.partners.into_iter().map(|p| p.tenant_id));
        token = page.next_page_token;
        if token.is_empty() {
            return seen;
        }
    }
    panic!("more than 10 pages for a provider with three resellers");
}

#[tokio::test]
async fn r1a_a_provider_lists_itself_and_its_actively_linked_resellers_page_by_page() {
    let app = TestApp::spawn().await;
    let provider = app.qualified(pb::PartnerType::IndirectProvider).await;
    let resellers = [app.linked_reseller(provider).await, app.linked_reseller(provider).await];
    let ended = app.linked_reseller(provider).await;
    let other_provider = app.qualified(pb::PartnerType::IndirectProvider).await;
    let _not_ours = app.linked_reseller(other_provider).await;
    let name = lookup(&app, ended).await.reseller_link;

    let ended = ended.to_string();
    let mut all = vec![provider.to_string(), ended.clone()];
    all.extend(resellers.iter().map(TenantId::to_string));
    all.sort();
    assert_eq!(partners_seen_by(&app, provider, 2).await, all, "each once, in tenant order, across pages");

    end(&app, provider, &name).await.expect("end one link");
    all.retain(|t| *t != ended);
    assert_eq!(partners_seen_by(&app, provider, 1).await, all, "an ended link's reseller is no longer listed");
    assert_eq!(partners_seen_by(&app, other_provider, 100).await.len(), 2, "the other provider and its reseller");
}
