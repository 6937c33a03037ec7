//! The e-mail outbox over time: no loss when the process dies between sending and
//! marking, the reviewers' daily digest (R4), and what ListNotifications shows to whom.

use std::time::Duration;

use gcc_platform::TenantId;
use gcc_proto::partner::{self as pb};
use gcc_testkit::smtp::SmtpServer;
use gcc_testkit::{authed, eventually_eq, reviewer_token};

use crate::helpers::{TestApp, admin};
use crate::mail::{CONTACT, PORTAL, app_mailing_to, submitted, tempfile_dir};

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
