//! R1a by e-mail, through a real SMTP server: a reseller link's invitation or request goes
//! to the other side, its answer to the side that opened it, and its end to the side that
//! did not end it, each at the address that side has on the link.

use gcc_platform::TenantId;
use gcc_proto::partner::{self as pb};
use gcc_testkit::smtp::SmtpServer;
use gcc_testkit::walk::enrollment;
use gcc_testkit::{assert_refused, authed, eventually_eq};
use tonic::Code;

use crate::helpers::{TestApp, admin};
use crate::mail::{PORTAL, app_mailing_to};

const PROVIDER_DESK: &str = "channel@fabrikam.example";
const RESELLER_GUESS: &str = "info@litware.example";
const RESELLER_DESK: &str = "gcc@litware.example";
const PROVIDER_CHANNEL: &str = "gcc.channel@fabrikam.example";

async fn enroll_named(app: &TestApp, tenant: TenantId, kind: pb::PartnerType, name: &str, provider: Option<TenantId>) {
    let mut req = enrollment(tenant, kind, provider);
    req.partner.as_mut().expect("partner").legal_name = name.into();
    app.client().enroll_partner(authed(req, &admin(tenant))).await.expect("enroll");
}

async fn fabrikam(app: &TestApp) -> TenantId {
    let provider = TenantId::random();
    enroll_named(app, provider, pb::PartnerType::IndirectProvider, "Fabrikam Federal", None).await;
    provider
}

async fn end(app: &TestApp, caller: TenantId, name: &str, reason: &str) {
    let req = pb::EndResellerLinkRequest { name: name.into(), reason: reason.into(), request_id: String::new() };
    app.client().end_reseller_link(authed(req, &admin(caller))).await.expect("end");
}

async fn kinds(app: &TestApp, tenant: TenantId) -> Vec<String> {
    let req = gcc_proto::notification::ListNotificationsRequest::default();
    let page = app.client().list_notifications(authed(req, &admin(tenant))).await.expect("list").into_inner();
    page.notifications.into_iter().map(|n| n.kind).collect()
}

fn link(provider: TenantId, reseller: TenantId, provider_email: &str, reseller_email: &str) -> pb::ResellerLink {
    pb::ResellerLink {
        provider: format!("partners/{provider}"),
        reseller: format!("partners/{reseller}"),
        provider_contact_email: provider_email.into(),
        reseller_contact_email: reseller_email.into(),
        ..Default::default()
    }
}

async fn create(app: &TestApp, caller: TenantId, l: pb::ResellerLink) -> Result<pb::ResellerLink, tonic::Status> {
    let req = pb::CreateResellerLinkRequest { reseller_link: Some(l), request_id: String::new() };
    app.client().create_reseller_link(authed(req, &admin(caller))).await.map(|r| r.into_inner())
}

/// The names of `tenant`'s links, oldest first.
async fn links_of(app: &TestApp, tenant: TenantId) -> Vec<String> {
    let req = pb::ListResellerLinksRequest::default();
    let page = app.client().list_reseller_links(authed(req, &admin(tenant))).await.expect("list").into_inner();
    page.reseller_links.into_iter().map(|l| l.name).collect()
}

/// Waits until every event was relayed (with the notifications it causes).
async fn relayed(app: &TestApp) {
    assert_eq!(eventually_eq(0, || app.count("outbox WHERE published_at IS NULL")).await, 0);
}

#[tokio::test]
async fn r1a_an_invitation_its_acceptance_and_its_end_each_reach_the_other_side() {
    let smtp = SmtpServer::start(&[]);
    let app = app_mailing_to(&smtp.url()).await;
    let provider = fabrikam(&app).await;
    // A provider may invite a tenant that has not enrolled yet.
    let reseller = TenantId::random();
    let invited = create(&app, provider, link(provider, reseller, PROVIDER_DESK, RESELLER_GUESS)).await.unwrap();
    let given = (invited.provider_contact_email.as_str(), invited.reseller_contact_email.as_str());
    assert_eq!(given, (PROVIDER_DESK, RESELLER_GUESS));

    let m = smtp.wait_for(1).await.remove(0);
    assert_eq!(m.rcpt_tos, vec![RESELLER_GUESS.to_owned()]);
    assert_eq!(m.subject, "Fabrikam Federal invites you to transact Government Community Cloud through it");
    assert!(m.text.contains("Fabrikam Federal, an indirect provider, invites your organization"), "{}", m.text);
    assert!(m.text.contains(&format!("gccctl reseller-link approve {}", invited.name)), "{}", m.text);
    assert!(m.html.contains(&format!("<a href=\"{PORTAL}/{}\">", invited.name)), "{}", m.html);

    // It accepts by enrolling with the provider.
    enroll_named(&app, reseller, pb::PartnerType::IndirectReseller, "Litware Gov", Some(provider)).await;
    let m = smtp.wait_for(2).await.remove(1);
    assert_eq!(m.rcpt_tos, vec![PROVIDER_DESK.to_owned()]);
    assert_eq!(m.subject, "Litware Gov accepted your reseller link: you are its transacting partner");
    assert!(m.text.contains("You are now its transacting partner"), "{}", m.text);

    end(&app, provider, &invited.name, "Contract ended\r\nBcc: victim@example.com").await;
    let m = smtp.wait_for(3).await.remove(2);
    assert_eq!(m.rcpt_tos, vec![RESELLER_GUESS.to_owned()]);
    assert_eq!(m.subject, "Fabrikam Federal ended the reseller link between Fabrikam Federal and Litware Gov");
    assert!(!m.header_names.iter().any(|h| h.eq_ignore_ascii_case("bcc")), "{:?}", m.header_names);
    assert!(m.text.contains("Reason given:\nContract ended\nBcc: victim@example.com\n"), "{}", m.text);
    assert!(m.text.contains("Litware Gov has no transacting partner now"), "{}", m.text);
    assert_eq!(eventually_eq(3, || app.count("notifications WHERE state = 'SENT'")).await, 3);
    assert_eq!(kinds(&app, reseller).await, ["reseller_link.ended", "reseller_link.invited"]);
    assert_eq!(kinds(&app, provider).await, ["reseller_link.accepted"]);
}

#[tokio::test]
async fn r1a_a_request_goes_to_the_provider_its_approval_to_the_reseller_and_its_end_to_the_new_address() {
    let smtp = SmtpServer::start(&[]);
    let app = app_mailing_to(&smtp.url()).await;
    let provider = fabrikam(&app).await;
    let reseller = TenantId::random();
    // Enrolling names the provider: a request with no addresses, which tells nobody.
    enroll_named(&app, reseller, pb::PartnerType::IndirectReseller, "Litware Gov", Some(provider)).await;
    let first = links_of(&app, reseller).await.remove(0);
    end(&app, reseller, &first, "").await;

    let requested = create(&app, reseller, link(provider, reseller, PROVIDER_DESK, RESELLER_DESK)).await.unwrap();
    let m = smtp.wait_for(1).await.remove(0);
    assert_eq!(m.rcpt_tos, vec![PROVIDER_DESK.to_owned()]);
    assert_eq!(m.subject, "Litware Gov asks to transact Government Community Cloud through you");
    assert!(m.text.contains(&format!("gccctl reseller-link end {}", requested.name)), "{}", m.text);

    // The provider approves, giving another address for itself.
    let req = pb::ApproveResellerLinkRequest {
        name: requested.name.clone(),
        request_id: String::new(),
        contact_email: PROVIDER_CHANNEL.into(),
    };
    let active = app.client().approve_reseller_link(authed(req, &admin(provider))).await.unwrap().into_inner();
    assert_eq!(active.provider_contact_email, PROVIDER_CHANNEL);
    let m = smtp.wait_for(2).await.remove(1);
    assert_eq!(m.rcpt_tos, vec![RESELLER_DESK.to_owned()]);
    assert_eq!(m.subject, "Fabrikam Federal approved your reseller link: you can now submit GCC customers");
    assert!(m.text.contains("submit your customers for GCC validation"), "{}", m.text);

    end(&app, reseller, &requested.name, "").await;
    let m = smtp.wait_for(3).await.remove(2);
    assert_eq!(m.rcpt_tos, vec![PROVIDER_CHANNEL.to_owned()]);
    assert!(m.text.contains("Reason given:\n(none given)\n"), "{}", m.text);
    relayed(&app).await;
    assert_eq!(app.count("notifications").await, 3, "nothing for the request without addresses");
    assert_eq!(kinds(&app, reseller).await, ["reseller_link.approved"]);
}

#[tokio::test]
async fn r1a_a_bad_address_is_refused_with_nothing_written() {
    let smtp = SmtpServer::start(&[]);
    let app = app_mailing_to(&smtp.url()).await;
    let provider = fabrikam(&app).await;
    let invitee = TenantId::random();
    let bad = create(&app, provider, link(provider, invitee, "", "litware")).await.unwrap_err();
    assert_refused(&bad, Code::InvalidArgument, "EMAIL_INVALID");
    let header = create(&app, provider, link(provider, invitee, "a@b.example\r\nBcc: c@d.example", "")).await;
    assert_refused(&header.unwrap_err(), Code::InvalidArgument, "EMAIL_INVALID");
    assert_eq!(app.count("reseller_links").await, 0);

    let reseller = TenantId::random();
    enroll_named(&app, reseller, pb::PartnerType::IndirectReseller, "Litware Gov", Some(provider)).await;
    let name = links_of(&app, reseller).await.remove(0);
    let req =
        pb::ApproveResellerLinkRequest { name: name.clone(), request_id: String::new(), contact_email: "x".into() };
    let err = app.client().approve_reseller_link(authed(req, &admin(provider))).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "EMAIL_INVALID");
    assert_eq!(app.count("reseller_links WHERE state = 'REQUESTED'").await, 1, "still waiting");
    relayed(&app).await;
    assert_eq!(app.count("notifications").await, 0);
    assert!(smtp.messages().is_empty());
}
