//! Invitations and their outcomes by e-mail through a real SMTP server (aiosmtpd,
//! started by each test on a loopback port): the invitation, as the partner wrote it,
//! sent to the customer on request (R14); the acceptance (R15) and the end of the
//! relationship by the customer, to the address given with the invitation.

use gcc_proto::notification as npb;
use gcc_proto::relationships as pb;
use gcc_testkit::smtp::SmtpServer;
use gcc_testkit::{assert_refused, authed, eventually_eq};
use tonic::Code;

use crate::helpers::{TestApp, admin, customer_admin, token_of, unique_domain};

const DESK: &str = "gcc.desk@partner.example";
const CUSTOMER_IT: &str = "it.admin@agency.example.gov";
const PORTAL: &str = "https://partner.gcc.example";

async fn mailing_to(smtp: &SmtpServer) -> TestApp {
    TestApp::spawn_with(&["--smtp-url", &smtp.url(), "--outbox-poll", "20ms", "--mail-poll", "20ms"]).await
}

fn told(address: &str) -> pb::RelationshipRequest {
    pb::RelationshipRequest { notify_email: address.into(), ..Default::default() }
}

fn send(name: &str, to: &str, request_id: &str) -> pb::SendRelationshipRequestEmailRequest {
    pb::SendRelationshipRequestEmailRequest { name: name.into(), to: to.into(), request_id: request_id.into() }
}

/// Waits until every event was relayed (with the notifications it causes).
async fn relayed(app: &TestApp) {
    assert_eq!(eventually_eq(0, || app.count("outbox WHERE published_at IS NULL")).await, 0);
}

#[tokio::test]
async fn r14_the_service_sends_the_edited_invitation_with_its_link_to_the_customer_once() {
    let smtp = SmtpServer::start(&[]);
    let app = mailing_to(&smtp).await;
    let partner = app.direct_reseller().await;
    let created = app.invite(partner, told(DESK)).await.unwrap();
    assert_eq!(created.notify_email, DESK);
    assert!(created.mailto_url.starts_with("mailto:?subject="), "{}", created.mailto_url);
    let url = created.invitation_url.clone();
    // A value with CR/LF cannot add a header: the subject stays one line.
    let edit = pb::UpdateRelationshipRequestEmailRequest {
        name: created.name.clone(),
        email_subject: "Connect with us\r\nBcc: victim@example.com".into(),
        email_body: format!("Dear IT team,\n\nPlease accept: {url}\n\nThe GCC desk"),
        request_id: String::new(),
    };
    let edited = app.client().update_relationship_request_email(authed(edit, &admin(partner))).await;
    let subject = match edited {
        Ok(r) => r.into_inner().email_subject,
        Err(e) => panic!("the edit is refused: {e:?}"),
    };

    let req = || authed(send(&created.name, CUSTOMER_IT, "7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"), &admin(partner));
    let first = app.client().send_relationship_request_email(req()).await.unwrap().into_inner();
    assert_eq!((first.name.as_str(), first.invitation_url.as_str()), (created.name.as_str(), ""));
    let again = app.client().send_relationship_request_email(req()).await.unwrap().into_inner();
    assert_eq!(again, first, "a retry answers the same");

    let m = smtp.wait_for(1).await.remove(0);
    assert_eq!(m.rcpt_tos, vec![CUSTOMER_IT.to_owned()]);
    assert_eq!(m.subject, "Connect with us Bcc: victim@example.com");
    assert!(!m.header_names.iter().any(|h| h.eq_ignore_ascii_case("bcc")), "{:?}", m.header_names);
    assert_eq!(subject, "Connect with us\r\nBcc: victim@example.com", "stored as the partner wrote it");
    assert!(m.text.contains(&format!("Please accept: {url}\n")), "{}", m.text);
    assert!(m.html.contains(&format!("<a href=\"{url}\">")), "{}", m.html);
    assert!(m.message_id.ends_with("@gcc.example>"), "{}", m.message_id);
    relayed(&app).await;
    assert_eq!(eventually_eq(1, || app.count("notifications WHERE state = 'SENT'")).await, 1);
    assert_eq!(app.count("notifications").await, 1, "the retry sent nothing more");

    let list = app
        .client()
        .list_notifications(authed(npb::ListNotificationsRequest::default(), &admin(partner)))
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<(&str, &str)> = list.notifications.iter().map(|n| (n.kind.as_str(), n.about.as_str())).collect();
    assert_eq!(kinds, [("relationship_request.invitation", created.name.as_str())]);
    let other = app.direct_reseller().await;
    let theirs = app
        .client()
        .list_notifications(authed(npb::ListNotificationsRequest::default(), &admin(other)))
        .await
        .unwrap()
        .into_inner();
    assert!(theirs.notifications.is_empty(), "another partner sees none: {theirs:?}");
}

#[tokio::test]
async fn r15_the_partner_is_told_when_the_customer_accepts_and_when_it_ends_the_relationship() {
    let smtp = SmtpServer::start(&[]);
    let app = mailing_to(&smtp).await;
    let partner = app.direct_reseller().await;
    let created = app.invite(partner, told(DESK)).await.unwrap();
    let customer = gcc_platform::TenantId::random();
    let domain = unique_domain();
    app.accept(customer, &token_of(&created.invitation_url), Some(&domain)).await.unwrap();

    let m = smtp.wait_for(1).await.remove(0);
    assert_eq!(m.rcpt_tos, vec![DESK.to_owned()]);
    assert_eq!(m.subject, format!("Agency of {domain} accepted your reseller relationship request"));
    assert!(!m.subject.contains(&customer.to_string()), "no GUID in the subject");
    assert!(m.text.contains("is now in your customer list"), "{}", m.text);
    assert!(m.text.contains(&format!("gccctl special-qualifications {customer}")), "{}", m.text);
    assert!(m.text.contains(&format!("Customer: {PORTAL}/customers/{customer}\n")), "{}", m.text);
    assert!(m.html.contains(&format!("<a href=\"{PORTAL}/{}\">", created.name)), "{}", m.html);

    let end = pb::RevokeCustomerRelationshipRequest {
        customer: format!("customers/{customer}"),
        partner: format!("partners/{partner}"),
        request_id: String::new(),
    };
    app.client().revoke_customer_relationship(authed(end, &customer_admin(customer))).await.unwrap();
    let m = smtp.wait_for(2).await.remove(1);
    assert_eq!(m.rcpt_tos, vec![DESK.to_owned()]);
    assert_eq!(m.subject, format!("Agency of {domain} ended its relationship with you"));
    assert!(m.text.contains("You no longer\nmanage the customer"), "{}", m.text);
    assert_eq!(eventually_eq(2, || app.count("notifications WHERE state = 'SENT'")).await, 2);
}

#[tokio::test]
async fn nobody_is_told_without_an_address_nor_when_the_partner_ends_it_itself() {
    let smtp = SmtpServer::start(&[]);
    let app = mailing_to(&smtp).await;
    let partner = app.direct_reseller().await;
    let silent = app.invite(partner, pb::RelationshipRequest::default()).await.unwrap();
    app.accept(gcc_platform::TenantId::random(), &token_of(&silent.invitation_url), Some(&unique_domain()))
        .await
        .unwrap();
    let with_desk = app.invite(partner, told(DESK)).await.unwrap();
    let customer = gcc_platform::TenantId::random();
    app.accept(customer, &token_of(&with_desk.invitation_url), Some(&unique_domain())).await.unwrap();
    let end = pb::RevokeCustomerRelationshipRequest {
        customer: format!("customers/{customer}"),
        partner: String::new(),
        request_id: String::new(),
    };
    app.client().revoke_customer_relationship(authed(end, &admin(partner))).await.unwrap();
    relayed(&app).await;
    let kinds = gcc_testkit::count_rows(&app.db_url, "notifications WHERE kind = 'relationship_request.accepted'");
    assert_eq!(kinds.await, 1, "only the acceptance of the invitation with an address");
    assert_eq!(app.count("notifications").await, 1, "nothing for an end the partner made");
    assert_eq!(smtp.wait_for(1).await.len(), 1);
}

#[tokio::test]
async fn bad_sends_get_the_exact_reason_and_send_nothing() {
    let smtp = SmtpServer::start(&[]);
    let app = mailing_to(&smtp).await;
    let partner = app.direct_reseller().await;
    let created = app.invite(partner, pb::RelationshipRequest::default()).await.unwrap();
    let other = app.direct_reseller().await;
    let cases = [
        ("no address", send(&created.name, " ", ""), partner, Code::InvalidArgument, "FIELD_REQUIRED"),
        ("bad address", send(&created.name, "it.admin", ""), partner, Code::InvalidArgument, "EMAIL_INVALID"),
        (
            "header in the address",
            send(&created.name, "a@b.example\r\nBcc: c@d.example", ""),
            partner,
            Code::InvalidArgument,
            "EMAIL_INVALID",
        ),
        ("bad name", send("invitations/x", CUSTOMER_IT, ""), partner, Code::InvalidArgument, "NAME_INVALID"),
        (
            "another partner's",
            send(&created.name, CUSTOMER_IT, ""),
            other,
            Code::NotFound,
            "RELATIONSHIP_REQUEST_NOT_FOUND",
        ),
    ];
    for (what, req, caller, code, reason) in cases {
        let err = app.client().send_relationship_request_email(authed(req, &admin(caller))).await.expect_err(what);
        assert_refused(&err, code, reason);
    }
    let revoke = pb::RevokeRelationshipRequestRequest { name: created.name.clone(), request_id: String::new() };
    app.client().revoke_relationship_request(authed(revoke, &admin(partner))).await.unwrap();
    let err = app
        .client()
        .send_relationship_request_email(authed(send(&created.name, CUSTOMER_IT, ""), &admin(partner)))
        .await
        .expect_err("revoked");
    assert_refused(&err, Code::FailedPrecondition, "INVITATION_NOT_PENDING");
    let bad = app.invite(partner, told("desk")).await.expect_err("bad notify address");
    assert_refused(&bad, Code::InvalidArgument, "EMAIL_INVALID");
    relayed(&app).await;
    assert_eq!(app.count("notifications").await, 0);
    assert!(smtp.messages().is_empty());
}
