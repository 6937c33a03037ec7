//! E-mail notifications through a real SMTP server (aiosmtpd, started by each test on a
//! loopback port): what is sent to whom, retries, permanent failures, header injection,
//! and no loss when the process dies between sending and marking.

use gcc_platform::TenantId;
use gcc_proto::partner::{self as pb};
use gcc_testkit::smtp::SmtpServer;
use gcc_testkit::{authed, eventually_eq, reviewer_token};

use crate::helpers::{TestApp, admin};

pub(crate) const CONTACT: &str = "gov.sales@contoso.example";
pub(crate) const PORTAL: &str = "https://partner.gcc.example";

/// A server whose relay and sender run every 20 ms, sending to `url`, retrying after 50 ms.
pub(crate) async fn app_mailing_to(url: &str) -> TestApp {
    TestApp::spawn_with(&[
        "--smtp-url",
        url,
        "--outbox-poll",
        "20ms",
        "--mail-poll",
        "20ms",
        "--mail-retry-initial",
        "50ms",
        "--mail-max-attempts",
        "4",
        "--review-queue-email",
        "review-queue@gcc.example",
    ])
    .await
}

pub(crate) async fn notification_id(app: &TestApp, kind: &str, about: &str) -> String {
    let sql = format!("SELECT id FROM notifications WHERE kind = '{kind}' AND about = '{about}'");
    let mut conn = connect(app).await;
    let row: (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.expect("notification row");
    row.0
}

pub(crate) async fn connect(app: &TestApp) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.db_url).await.expect("connect")
}

pub(crate) async fn column(app: &TestApp, sql: &str) -> String {
    let mut conn = connect(app).await;
    let row: (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut conn).await.expect(sql);
    row.0
}

pub(crate) async fn submitted(app: &TestApp) -> (TenantId, pb::PartnerValidation) {
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.expect("submit");
    (tenant, v)
}

pub(crate) async fn reject(app: &TestApp, name: &str, reason: &str) {
    let req =
        pb::RejectPartnerValidationRequest { name: name.into(), reason: reason.into(), request_id: String::new() };
    app.client().reject_partner_validation(authed(req, &reviewer_token())).await.expect("reject");
}

pub(crate) async fn ask(app: &TestApp, name: &str, question: &str) {
    let req = pb::RequestPartnerValidationInformationRequest {
        name: name.into(),
        question: question.into(),
        request_id: String::new(),
    };
    app.client().request_partner_validation_information(authed(req, &reviewer_token())).await.expect("ask");
}

pub(crate) async fn answer(app: &TestApp, tenant: TenantId, name: &str, answer: &str) {
    let req = pb::ProvidePartnerValidationInformationRequest {
        name: name.into(),
        answer: answer.into(),
        request_id: String::new(),
    };
    app.client().provide_partner_validation_information(authed(req, &admin(tenant))).await.expect("answer");
}

#[tokio::test]
async fn r4_decisions_go_to_the_contact_and_answers_to_the_review_queue() {
    let smtp = SmtpServer::start(&[]);
    let app = app_mailing_to(&smtp.url()).await;

    let (_, approved) = submitted(&app).await;
    app.approve(&approved.name).await.expect("approve");
    let m = smtp.wait_for(1).await.remove(0);
    let id = notification_id(&app, "partner_validation.approved", &approved.name).await;
    assert_eq!(m.rcpt_tos, vec![CONTACT.to_owned()]);
    assert_eq!(m.to, CONTACT);
    assert_eq!(m.mail_from, "no-reply@gcc.example");
    assert_eq!(m.message_id, format!("<{id}@gcc.example>"), "the Message-ID comes from the event ID");
    assert!(id.ends_with(".1"));
    assert_eq!(m.subject, "Your GCC validation is approved: you can now sell Government Community Cloud");
    let link = format!("{PORTAL}/{}", approved.name);
    assert!(m.text.contains("you can now add GCC subscriptions for your customers"), "{}", m.text);
    assert!(m.text.contains(&link), "{}", m.text);
    assert!(m.html.contains(&format!("<a href=\"{link}\">")), "{}", m.html);
    assert!(m.html.contains("<strong>approved</strong>"));
    assert!(m.text.contains("mailto:usgcce@microsoft.com"));

    let (_, rejected) = submitted(&app).await;
    reject(&app, &rejected.name, "No government customers shown").await;
    let m = smtp.wait_for(2).await.remove(1);
    assert_eq!(m.rcpt_tos, vec![CONTACT.to_owned()]);
    assert_eq!(m.subject, "Your GCC validation was not approved");
    assert!(m.text.contains("Reason given:\nNo government customers shown\n"), "{}", m.text);
    assert!(m.html.contains("<blockquote>No government customers shown</blockquote>"), "{}", m.html);
    assert!(m.text.contains(&format!("{PORTAL}/{}", rejected.name)));

    let (tenant, asked) = submitted(&app).await;
    ask(&app, &asked.name, "Which agencies do you serve?").await;
    let m = smtp.wait_for(3).await.remove(2);
    assert_eq!(m.rcpt_tos, vec![CONTACT.to_owned()]);
    assert_eq!(m.subject, "The eligibility team needs more information for your GCC validation");
    assert!(m.text.contains("Which agencies do you serve?"));
    assert!(m.text.contains("Next step: answer in the partner portal"));
    assert!(m.html.contains(&format!("<a href=\"{PORTAL}/{}\">Answer the question</a>", asked.name)));

    answer(&app, tenant, &asked.name, "State of Ohio DAS").await;
    let m = smtp.wait_for(4).await.remove(3);
    assert_eq!(m.rcpt_tos, vec!["review-queue@gcc.example".to_owned()]);
    assert!(m.subject.starts_with("A partner answered your question: GCC validation due "), "{}", m.subject);
    assert!(!m.subject.contains(&tenant.to_string()), "no GUID in the subject");
    assert!(m.text.contains("Question:\nWhich agencies do you serve?\n\nAnswer:\nState of Ohio DAS\n"), "{}", m.text);
    assert!(m.text.contains(&format!("Contact: {CONTACT}")));
    assert!(m.html.contains(&format!("href=\"mailto:{CONTACT}\"")));

    // Each sent once, recorded SENT after one attempt.
    assert_eq!(eventually_eq(4, || app.count("notifications WHERE state = 'SENT' AND attempts = 1")).await, 4);
    assert_eq!(app.count("notification_attempts WHERE outcome = 'sent'").await, 4);
    assert_eq!(smtp.messages().len(), 4, "nothing else was sent");
}

#[tokio::test]
async fn a_451_is_retried_with_backoff_until_the_server_accepts() {
    let smtp = SmtpServer::start(&["--temp-fail", "2"]);
    let app = app_mailing_to(&smtp.url()).await;
    let (_, v) = submitted(&app).await;
    app.approve(&v.name).await.expect("approve");

    let m = smtp.wait_for(1).await.remove(0);
    assert_eq!(m.rcpt_tos, vec![CONTACT.to_owned()]);
    assert_eq!(eventually_eq(1, || app.count("notifications WHERE state = 'SENT' AND attempts = 3")).await, 1);
    let id = notification_id(&app, "partner_validation.approved", &v.name).await;
    assert_eq!(
        app.count(&format!("notification_attempts WHERE notification_id = '{id}' AND outcome = 'temporary_failure'"))
            .await,
        2,
        "both refusals are recorded"
    );
    let detail = column(
        &app,
        &format!("SELECT detail FROM notification_attempts WHERE notification_id = '{id}' AND attempt = 1"),
    )
    .await;
    assert!(detail.contains("451"), "{detail}");
    assert_eq!(m.message_id, format!("<{id}@gcc.example>"));
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn a_550_is_recorded_against_the_validation_and_never_retried() {
    let smtp = SmtpServer::start(&["--reject", "contoso"]);
    let app = app_mailing_to(&smtp.url()).await;
    let (_, v) = submitted(&app).await;
    app.approve(&v.name).await.expect("approve");

    let failed = format!("notifications WHERE state = 'FAILED' AND attempts = 1 AND about = '{}'", v.name);
    assert_eq!(eventually_eq(1, || app.count(&failed)).await, 1);
    let error = column(&app, &format!("SELECT last_error FROM notifications WHERE about = '{}'", v.name)).await;
    assert!(error.contains("550"), "{error}");
    assert_eq!(app.count("notification_attempts WHERE outcome = 'permanent_failure'").await, 1);
    // Later rounds leave it alone.
    let (_, other) = submitted(&app).await;
    app.approve(&other.name).await.expect("approve");
    assert_eq!(eventually_eq(2, || app.count("notifications WHERE state = 'FAILED'")).await, 2);
    assert_eq!(app.count(&failed).await, 1, "still one attempt");
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn attempts_end_when_the_server_stays_away() {
    // A port nobody listens on: connection refused is temporary, until attempts run out.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = app_mailing_to(&format!("smtp://127.0.0.1:{port}")).await;
    let (_, v) = submitted(&app).await;
    app.approve(&v.name).await.expect("approve");
    assert_eq!(eventually_eq(1, || app.count("notifications WHERE state = 'FAILED' AND attempts = 4")).await, 1);
    assert_eq!(app.count("notification_attempts WHERE outcome = 'temporary_failure'").await, 4);
}

#[tokio::test]
async fn cr_lf_in_reasons_questions_and_answers_adds_no_header_and_no_recipient() {
    let smtp = SmtpServer::start(&[]);
    let app = app_mailing_to(&smtp.url()).await;
    let evil = "Fine\r\nBcc: victim@evil.example\r\nSubject: Approved!\r\n\r\n<script>x</script>";
    let (_, v) = submitted(&app).await;
    reject(&app, &v.name, evil).await;
    let (tenant, asked) = submitted(&app).await;
    ask(&app, &asked.name, evil).await;
    answer(&app, tenant, &asked.name, evil).await;

    let all = smtp.wait_for(3).await;
    for m in &all {
        assert_eq!(m.rcpt_tos.len(), 1, "{:?}", m.rcpt_tos);
        assert!(!m.rcpt_tos.iter().any(|r| r.contains("evil")), "{:?}", m.rcpt_tos);
        let names: Vec<String> = m.header_names.iter().map(|h| h.to_ascii_lowercase()).collect();
        assert!(!names.contains(&"bcc".to_owned()), "{names:?}");
        assert_eq!(names.iter().filter(|h| *h == "subject").count(), 1, "{names:?}");
        assert!(!m.subject.contains("Approved!"), "{}", m.subject);
        let headers = m.raw.split("\r\n\r\n").next().unwrap_or_default();
        assert!(!headers.contains("victim"), "{headers}");
        assert!(!m.html.contains("<script>"), "{}", m.html);
    }
    // The text is quoted in the body, where it belongs.
    assert!(all[0].text.contains("Bcc: victim@evil.example"));
    assert!(all[0].html.contains("&lt;script&gt;x&lt;/script&gt;"));
}

#[tokio::test]
async fn without_an_smtp_url_notifications_are_logged_and_not_sent() {
    let app = TestApp::spawn_with(&["--outbox-poll", "20ms", "--mail-poll", "20ms"]).await;
    let (_, v) = submitted(&app).await;
    app.approve(&v.name).await.expect("approve");
    assert_eq!(eventually_eq(1, || app.count("notifications WHERE state = 'LOGGED'")).await, 1);
    assert_eq!(app.count("notification_attempts WHERE outcome = 'logged'").await, 1);
}

#[tokio::test]
async fn the_development_mode_writes_each_message_as_an_eml_file() {
    let dir = tempfile_dir();
    let app = app_mailing_to(&format!("file://{}", dir.display())).await;
    let (_, v) = submitted(&app).await;
    app.approve(&v.name).await.expect("approve");
    assert_eq!(eventually_eq(1, || app.count("notifications WHERE state = 'SENT'")).await, 1);
    let id = notification_id(&app, "partner_validation.approved", &v.name).await;
    let eml = std::fs::read_to_string(dir.join(format!("{id}.eml"))).expect("the .eml file");
    assert!(eml.contains(&format!("Message-ID: <{id}@gcc.example>")), "{eml}");
    assert!(eml.contains(&format!("To: {CONTACT}")), "{eml}");
    assert!(eml.contains("Content-Type: text/plain") && eml.contains("Content-Type: text/html"), "{eml}");
    let _ = std::fs::remove_dir_all(dir);
}

pub(crate) fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gcc-mail-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
