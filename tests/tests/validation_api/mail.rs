//! Customer validations' outcomes by e-mail through a real SMTP server (aiosmtpd,
//! started by each test on a loopback port).

use gcc_proto::partner as ppb;
use gcc_proto::validation as pb;
use gcc_testkit::smtp::SmtpServer;
use gcc_testkit::{assert_refused, authed, eventually_eq, reviewer_token};
use tonic::Code;

use crate::helpers::{World, submission};

const PARTNER_CONTACT: &str = "gcc.desk@partner.example";
const PROVIDER_CONTACT: &str = "gcc.ops@provider.example";
const PORTAL: &str = "https://partner.gcc.example";

async fn world_mailing_to(url: &str) -> World {
    World::spawn_with(&["--smtp-url", url, "--outbox-poll", "20ms", "--mail-poll", "20ms"]).await
}

fn with_contacts(mut req: pb::SubmitCustomerValidationRequest, provider: &str) -> pb::SubmitCustomerValidationRequest {
    let v = req.customer_validation.as_mut().expect("validation");
    v.partner_contact_email = PARTNER_CONTACT.into();
    v.transacting_partner_contact_email = provider.into();
    req
}

#[tokio::test]
async fn r12_the_outcome_goes_to_the_submitting_partners_contact_with_the_code_and_its_expiry() {
    let smtp = SmtpServer::start(&[]);
    let w = world_mailing_to(&smtp.url()).await;
    let partner = w.gcc_partner().await;
    let v = w.submit(partner, with_contacts(submission(partner), "")).await.unwrap();
    assert_eq!(v.partner_contact_email, PARTNER_CONTACT);
    let approved = w.approve(&v.name, 1).await.unwrap();
    let code = approved.validation_code.trim_start_matches("validationCodes/").to_owned();
    let organization = v.organization.as_ref().unwrap();

    let m = smtp.wait_for(1).await.remove(0);
    assert_eq!(m.rcpt_tos, vec![PARTNER_CONTACT.to_owned()]);
    assert_eq!(m.cc, "");
    assert_eq!(
        m.subject,
        format!("GCC validation approved for {}: you can now order GCC offers", organization.legal_name)
    );
    assert!(m.text.contains(&format!("Validation code: {code}\n")), "{}", m.text);
    assert!(m.text.contains("and\nit expires on "), "{}", m.text);
    assert!(m.text.contains("you can order GCC offers for it"), "{}", m.text);
    assert!(m.text.contains(&format!("{PORTAL}/{}", v.name)));
    assert!(m.html.contains(&format!("<a href=\"{PORTAL}/{}\">", v.name)), "{}", m.html);
    assert!(m.html.contains(&format!("<code>{code}</code>")));
    assert!(!m.subject.contains(&code), "no code or GUID in the subject");

    // Rejected, with the reason; contacting the customer, with the note.
    let other = w.submit(partner, with_contacts(submission(partner), "")).await.unwrap();
    let req = pb::RejectCustomerValidationRequest {
        name: other.name.clone(),
        reason: "Not a government entity".into(),
        request_id: String::new(),
    };
    w.validation().reject_customer_validation(authed(req, &reviewer_token())).await.unwrap();
    let m = smtp.wait_for(2).await.remove(1);
    assert!(m.subject.starts_with("GCC validation not approved for "), "{}", m.subject);
    assert!(m.text.contains("Reason given:\nNot a government entity\n"), "{}", m.text);

    let third = w.submit(partner, with_contacts(submission(partner), "")).await.unwrap();
    let req = pb::ContactCustomerRequest {
        name: third.name.clone(),
        note: "Send proof of agency status".into(),
        request_id: String::new(),
    };
    w.validation().contact_customer(authed(req, &reviewer_token())).await.unwrap();
    let m = smtp.wait_for(3).await.remove(2);
    assert!(m.subject.starts_with("The eligibility team is contacting "), "{}", m.subject);
    assert!(m.text.contains("This is not a rejection."));
    assert!(m.text.contains("Send proof of agency status"));
    assert_eq!(eventually_eq(3, || w.count("notifications WHERE state = 'SENT'")).await, 3);
}

#[tokio::test]
async fn an_indirect_provider_is_copied_on_its_resellers_validations() {
    let smtp = SmtpServer::start(&[]);
    let w = world_mailing_to(&smtp.url()).await;
    let provider = w.enrolled(ppb::PartnerType::IndirectProvider, None, None).await;
    w.qualify(provider).await;
    let reseller = w.enrolled(ppb::PartnerType::IndirectReseller, Some(provider), None).await;
    let v = w.submit(reseller, with_contacts(submission(provider), PROVIDER_CONTACT)).await.unwrap();
    w.approve(&v.name, 1).await.unwrap();
    let m = smtp.wait_for(1).await.remove(0);
    assert_eq!(m.to, PARTNER_CONTACT);
    assert_eq!(m.cc, PROVIDER_CONTACT);
    let mut rcpts = m.rcpt_tos.clone();
    rcpts.sort();
    assert_eq!(rcpts, vec![PARTNER_CONTACT.to_owned(), PROVIDER_CONTACT.to_owned()]);

    // A direct partner's "provider" contact is ignored: it transacts for itself.
    let direct = w.gcc_partner().await;
    let d = w.submit(direct, with_contacts(submission(direct), PROVIDER_CONTACT));
    let d = d.await.unwrap();
    assert!(d.transacting_partner_contact_email.is_empty());
}

#[tokio::test]
async fn cr_lf_in_the_organization_name_cannot_add_a_header() {
    let smtp = SmtpServer::start(&[]);
    let w = world_mailing_to(&smtp.url()).await;
    let partner = w.gcc_partner().await;
    let mut req = with_contacts(submission(partner), "");
    let org = req.customer_validation.as_mut().unwrap().organization.as_mut().unwrap();
    org.legal_name = "Agency\r\nBcc: victim@evil.example\r\nX-Evil: 1".into();
    match w.submit(partner, req).await {
        // Refused at the door: nothing to send.
        Err(e) => assert_eq!(e.code(), Code::InvalidArgument, "{e:?}"),
        Ok(v) => {
            w.approve(&v.name, 1).await.unwrap();
            let m = smtp.wait_for(1).await.remove(0);
            assert_eq!(m.rcpt_tos, vec![PARTNER_CONTACT.to_owned()]);
            let names: Vec<String> = m.header_names.iter().map(|h| h.to_ascii_lowercase()).collect();
            assert!(!names.contains(&"bcc".to_owned()) && !names.contains(&"x-evil".to_owned()), "{names:?}");
            assert!(m.subject.contains("Agency Bcc: victim@evil.example X-Evil: 1"), "{}", m.subject);
        }
    }
}

#[tokio::test]
async fn a_bad_partner_contact_is_refused_when_submitted_and_none_means_no_mail() {
    let w = World::spawn_with(&["--outbox-poll", "20ms", "--mail-poll", "20ms"]).await;
    let partner = w.gcc_partner().await;
    let mut req = submission(partner);
    req.customer_validation.as_mut().unwrap().partner_contact_email = "not an address".into();
    let err = w.submit(partner, req).await.unwrap_err();
    assert_refused(&err, Code::InvalidArgument, "EMAIL_INVALID");
    let v = w.submit(partner, submission(partner)).await.unwrap();
    w.approve(&v.name, 1).await.unwrap();
    assert_eq!(eventually_eq(0, || w.count("outbox WHERE published_at IS NULL")).await, 0);
    assert_eq!(w.count("notifications").await, 0);
    let page = w
        .validation()
        .list_notifications(authed(gcc_proto::notification::ListNotificationsRequest::default(), &reviewer_token()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.delivery, gcc_proto::notification::Delivery::LogOnly as i32);
}
