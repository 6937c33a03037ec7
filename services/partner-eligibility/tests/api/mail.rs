//! E-mail notifications through a real SMTP server (aiosmtpd, started by each test on a
//! loopback port): what is sent to whom, retries, permanent failures, header injection,
//! and no loss when the process dies between sending and marking.

use std::time::Duration;

use gcc_platform::TenantId;
use gcc_proto::partner::{self as pb};
use gcc_testkit::smtp::SmtpServer;
use gcc_testkit::{authed, eventually_eq, reviewer_token};

use crate::helpers::{TestApp, admin};

const CONTACT: &str = "gov.sales@contoso.example";
const PORTAL: &str = "https://partner.gcc.example";

/// A server whose relay and sender run every 20 ms, sending to `url`, retrying after 50 ms.
async fn app_mailing_to(url: &str) -> TestApp {
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

async fn notification_id(app: &TestApp, kind: &str, about: &str) -> String {
    let sql = format!("SELECT id FROM notifications WHERE kind = '{kind}' AND about = '{about}'");
    let mut conn = connect(app).await;
    let row: (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.expect("notification row");
    row.0
}

async fn connect(app: &TestApp) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.db_url).await.expect("connect")
}

async fn column(app: &TestApp, sql: &str) -> String {
    let mut conn = connect(app).await;
    let row: (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut conn).await.expect(sql);
    row.0
}

async fn submitted(app: &TestApp) -> (TenantId, pb::PartnerValidation) {
    let tenant = app.enrolled(pb::PartnerType::DirectReseller).await;
    let v = app.submit(tenant).await.expect("submit");
    (tenant, v)
}

async fn reject(app: &TestApp, name: &str, reason: &str) {
    let req =
        pb::RejectPartnerValidationRequest { name: name.into(), reason: reason.into(), request_id: String::new() };
    app.client().reject_partner_validation(authed(req, &reviewer_token())).await.expect("reject");
}

async fn ask(app: &TestApp, name: &str, question: &str) {
    let req = pb::RequestPartnerValidationInformationRequest {
        name: name.into(),
        question: question.into(),
        request_id: String::new(),
    };
    app.client().request_partner_validation_information(authed(req, &reviewer_token())).await.expect("ask");
}

async fn answer(app: &TestApp, tenant: TenantId, name: &str, answer: &str) {
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

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gcc-mail-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The server binary, killed (SIGKILL) after the SMTP server took the message and before
/// it answered: the notification is still PENDING, and the next process sends it again
/// with the same Message-ID. A duplicate, never a loss.
#[tokio::test]
async fn a_process_killed_between_sending_and_marking_sends_again_with_the_same_message_id() {
    let db = gcc_testkit::TestDb::fresh().await;
    let dir = tempfile_dir();
    let key = dir.join("key");
    std::fs::write(&key, gcc_testkit::hs256_secret()).unwrap();
    let hanging = SmtpServer::start(&["--hang-after-data"]);

    let mut first = Binary::start(&db.url, &key, &hanging.url()).await;
    let tenant = TenantId::random();
    let mut client = first.client.clone();
    let req = gcc_testkit::walk::enrollment(tenant, pb::PartnerType::DirectReseller, None);
    client.enroll_partner(authed(req, &admin(tenant))).await.expect("enroll");
    let v = client
        .submit_partner_validation(authed(crate::helpers::submission(tenant, ""), &admin(tenant)))
        .await
        .expect("submit")
        .into_inner();
    let req = pb::ApprovePartnerValidationRequest { name: v.name.clone(), request_id: String::new() };
    client.approve_partner_validation(authed(req, &reviewer_token())).await.expect("approve");

    let sent = hanging.wait_for(1).await.remove(0);
    first.kill();
    let pending = format!("notifications WHERE state = 'PENDING' AND attempts = 0 AND about = '{}'", v.name);
    assert_eq!(gcc_testkit::count_rows(&db.url, &pending).await, 1, "not marked: the process died first");

    let smtp = SmtpServer::start(&[]);
    let second = Binary::start(&db.url, &key, &smtp.url()).await;
    let again = smtp.wait_for(1).await.remove(0);
    assert_eq!(again.message_id, sent.message_id, "the re-send is recognisable");
    assert_eq!(again.subject, sent.subject);
    let done = format!("notifications WHERE state = 'SENT' AND about = '{}'", v.name);
    assert_eq!(eventually_eq(1, || gcc_testkit::count_rows(&db.url, &done)).await, 1);
    drop(second);
    let _ = std::fs::remove_dir_all(dir);
}

struct Binary {
    child: std::process::Child,
    client: crate::helpers::Client,
}

impl Binary {
    async fn start(db_url: &str, key: &std::path::Path, smtp_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_partner-eligibility"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--database-url", db_url])
            .args(["--jwt-issuer", gcc_testkit::ISSUER, "--jwt-audience", gcc_testkit::AUDIENCE])
            .args(gcc_testkit::reviewer_args())
            .args(["--smtp-url", smtp_url, "--outbox-poll", "20ms", "--mail-poll", "20ms", "--smtp-timeout", "60s"])
            .env("GCC_JWT_HS256_SECRET_FILE", key)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the server binary");
        let endpoint = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let channel = loop {
            match endpoint.connect().await {
                Ok(c) => break c,
                Err(e) => {
                    assert!(tokio::time::Instant::now() < deadline, "the binary did not start listening: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        Self { child, client: crate::helpers::Client::new(channel) }
    }

    fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// R4 with a moved clock: the validation past its two-business-day due time is listed as
/// overdue, the one due within 4 business hours is flagged, once per business day.
#[tokio::test]
async fn r4_the_daily_digest_lists_overdue_validations_and_flags_those_due_within_four_business_hours() {
    use chrono::TimeZone;
    let smtp = SmtpServer::start(&[]);
    let app = TestApp::spawn_with(&[
        "--smtp-url",
        &smtp.url(),
        "--outbox-poll",
        "20ms",
        "--mail-poll",
        "20ms",
        "--digest-poll",
        "20ms",
        "--review-queue-email",
        "review-queue@gcc.example",
    ])
    .await;
    // Monday 14:00 in New York: A is due Wednesday 14:00.
    let (_, a) = submitted(&app).await;
    // Tuesday 13:00: B is due Thursday 13:00.
    app.clock.set(chrono::Utc.with_ymd_and_hms(2026, 11, 17, 18, 0, 0).unwrap());
    let (_, b) = submitted(&app).await;
    // Thursday 09:00: A is overdue, B due in 4 business hours.
    app.clock.set(chrono::Utc.with_ymd_and_hms(2026, 11, 19, 14, 0, 0).unwrap());
    let m = smtp.wait_for(1).await.remove(0);
    assert_eq!(m.rcpt_tos, vec!["review-queue@gcc.example".to_owned()]);
    assert_eq!(
        m.subject,
        "GCC validations waiting for review: 1 overdue, 1 due within 4 business hours (Thu, 19 Nov 2026)"
    );
    let (link_a, link_b) = (format!("{PORTAL}/{}", a.name), format!("{PORTAL}/{}", b.name));
    let (overdue, soon) = m.text.split_once("Due within 4 business hours (flagged):").expect("two sections");
    assert!(overdue.contains(&format!("- {link_a} (was due Wed, 18 Nov 2026 19:00 UTC")), "{}", m.text);
    assert!(soon.contains(&format!("- {link_b} (due Thu, 19 Nov 2026 18:00 UTC")), "{}", m.text);
    assert!(!soon.contains(&link_a) && !overdue.contains(&link_b));
    assert!(m.html.contains(&format!("<a href=\"{link_a}\">")), "{}", m.html);
    assert!(m.html.contains("Due within 4 business hours: 1"), "{}", m.html);
    assert!(m.message_id.starts_with("<digest-2026-11-19.1@"), "{}", m.message_id);

    // Friday 09:00: both overdue, in the day's own digest; Thursday's was made once.
    app.clock.set(chrono::Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap());
    let m = smtp.wait_for(2).await.remove(1);
    assert_eq!(
        m.subject,
        "GCC validations waiting for review: 2 overdue, 0 due within 4 business hours (Fri, 20 Nov 2026)"
    );
    assert_eq!(app.count("notifications WHERE kind = 'review.overdue_digest'").await, 2);
    assert_eq!(app.count("notifications WHERE event_id = 'digest-2026-11-19'").await, 1);
}

#[tokio::test]
async fn list_notifications_shows_a_permanent_failure_to_reviewers_and_to_the_partner_only_its_own() {
    use gcc_proto::notification::{self as npb, notification::State as NState};
    let smtp = SmtpServer::start(&["--reject", "contoso"]);
    let app = app_mailing_to(&smtp.url()).await;
    let (tenant, v) = submitted(&app).await;
    app.approve(&v.name).await.expect("approve");
    let (other, w) = submitted(&app).await;
    app.approve(&w.name).await.expect("approve");
    assert_eq!(eventually_eq(2, || app.count("notifications WHERE state = 'FAILED'")).await, 2);

    let list = |token: String, req: npb::ListNotificationsRequest| {
        let mut c = app.client();
        async move { c.list_notifications(authed(req, &token)).await.map(|r| r.into_inner()) }
    };
    let about = npb::ListNotificationsRequest { about: v.name.clone(), ..Default::default() };
    let page = list(reviewer_token(), about.clone()).await.expect("list");
    assert_eq!(page.delivery, npb::Delivery::Smtp as i32);
    assert_eq!(page.notifications.len(), 1);
    let n = &page.notifications[0];
    assert_eq!(n.kind, "partner_validation.approved");
    assert_eq!(n.about, v.name);
    assert_eq!(n.to, vec![CONTACT.to_owned()]);
    assert_eq!(n.state, NState::Failed as i32);
    assert_eq!(n.attempts, 1);
    assert!(n.last_error.contains("550"), "{}", n.last_error);
    assert!(n.name.starts_with("notifications/") && n.name.ends_with(".1"));
    assert!(n.next_attempt_time.is_none());

    // The partner sees its own, not the other partner's.
    let mine = list(admin(tenant), npb::ListNotificationsRequest::default()).await.expect("list");
    assert_eq!(mine.notifications.iter().map(|n| n.about.as_str()).collect::<Vec<_>>(), vec![v.name.as_str()]);
    let theirs = list(admin(tenant), npb::ListNotificationsRequest { about: w.name.clone(), ..Default::default() });
    assert!(theirs.await.expect("list").notifications.is_empty());
    let all =
        list(reviewer_token(), npb::ListNotificationsRequest { page_size: 1, ..Default::default() }).await.unwrap();
    assert_eq!(all.notifications.len(), 1);
    let next = npb::ListNotificationsRequest { page_size: 1, page_token: all.next_page_token, ..Default::default() };
    let rest = list(reviewer_token(), next).await.unwrap();
    assert_eq!(rest.notifications.len(), 1);
    assert!(rest.next_page_token.is_empty());
    assert_ne!(rest.notifications[0].name, all.notifications[0].name);
    let _ = other;

    // Bad input is refused with its reason.
    let bad = list(reviewer_token(), npb::ListNotificationsRequest { state: 9, ..Default::default() }).await;
    gcc_testkit::assert_refused(&bad.unwrap_err(), tonic::Code::InvalidArgument, "ENUM_VALUE_INVALID");
    let bad = list(reviewer_token(), npb::ListNotificationsRequest { page_token: "x".into(), ..Default::default() });
    gcc_testkit::assert_refused(&bad.await.unwrap_err(), tonic::Code::InvalidArgument, "PAGE_TOKEN_INVALID");
    let long = npb::ListNotificationsRequest { about: "p".repeat(301), ..Default::default() };
    gcc_testkit::assert_refused(
        &list(reviewer_token(), long).await.unwrap_err(),
        tonic::Code::InvalidArgument,
        "FIELD_TOO_LONG",
    );
    let sales = gcc_testkit::token(tenant, &[gcc_platform::Role::SalesAgent]);
    let denied = list(sales, npb::ListNotificationsRequest::default()).await.unwrap_err();
    gcc_testkit::assert_refused(&denied, tonic::Code::PermissionDenied, "ROLE_REQUIRED");
}

#[tokio::test]
async fn without_an_smtp_url_the_list_says_nothing_is_sent() {
    use gcc_proto::notification as npb;
    let app = TestApp::spawn().await;
    let mut c = app.client();
    let page = c.list_notifications(authed(npb::ListNotificationsRequest::default(), &reviewer_token())).await.unwrap();
    assert_eq!(page.into_inner().delivery, npb::Delivery::LogOnly as i32);
}

/// Delivery rate to the local SMTP server: prints messages/s from the first approval to
/// the last message accepted (run with `--ignored --nocapture`).
#[tokio::test]
#[ignore = "a measurement, not a check: run by hand"]
async fn delivery_rate_to_a_local_smtp_server() {
    const N: usize = 100;
    let smtp = SmtpServer::start(&[]);
    let app = TestApp::spawn_with(&[
        "--smtp-url",
        &smtp.url(),
        "--outbox-poll",
        "20ms",
        "--mail-poll",
        "20ms",
        "--mail-retry-initial",
        "50ms",
    ])
    .await;
    let started = std::time::Instant::now();
    for _ in 0..N {
        let (_, v) = submitted(&app).await;
        app.approve(&v.name).await.expect("approve");
    }
    let approved = started.elapsed();
    smtp.wait_for(N).await;
    let all = started.elapsed();
    eprintln!(
        "delivery: {N} approvals in {:.2} s; {N} messages accepted by the SMTP server {:.2} s after the first: {:.0} messages/s end to end ({})",
        approved.as_secs_f64(),
        all.as_secs_f64(),
        N as f64 / all.as_secs_f64(),
        gcc_testkit::backend()
    );
}
