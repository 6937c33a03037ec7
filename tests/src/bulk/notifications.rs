//! The `notifications` table every service that sends e-mail has: the notifications the
//! relay makes from the services' events, rendered from the service's own template, after
//! their delivery (no attempt rows are written: no list reads them).

use gcc_platform::ids::new_id;
use gcc_platform::mail::Template;

use super::{Rows, now_micros, write};

/// Which notification a service makes: its kind, the collection of the resource it is
/// about (such as `partnerValidations`) and the template it is rendered from.
#[derive(Debug, Clone, Copy)]
pub struct Mail {
    pub kind: &'static str,
    pub collection: &'static str,
    pub template: Template,
}

/// Adds `rows` notifications for the partner `owner(i).0`; three in four sent, the rest
/// failed for good with the server's reply.
pub async fn notifications(
    url: &str,
    rows: usize,
    mail: Mail,
    owner: impl Fn(usize) -> (String, String),
) -> anyhow::Result<()> {
    let now = now_micros();
    write(url, rows, |range| {
        let mut notifications = Rows::new(
            "notifications (id, event_id, kind, about, tenant, recipients, subject, body_text, body_html, state, \
             attempts, last_error, next_attempt_at, created_at, updated_at)",
        );
        for i in range {
            let (partner, _) = owner(i);
            let (event, resource) = (new_id(), new_id());
            let about = format!("{}/{resource}", mail.collection);
            let link = format!("https://portal.example/{about}");
            let message = mail.template.render(&[
                ("link", &link),
                ("contact", "https://eligibility.example/contact"),
                ("decided", "Mon, 7 Dec 2026 10:00 UTC"),
                ("organization", "City of Springfield"),
                ("domain", "springfield.example.gov"),
                ("code", "GCC-ABCD-EFGH-JKMN"),
                ("expires", "Sun, 7 Mar 2027 10:00 UTC"),
                ("customer", "customers/00000000-0000-4000-8000-000000000000"),
                ("customer_name", "City of Springfield"),
            ]);
            // Owners alternate, so the state follows every other row.
            let failed = (i / 2) % 4 == 3;
            let to = format!("contact-{}@partner.example", i % 100);
            notifications.push([
                format!("{event}.1").into(),
                event.into(),
                mail.kind.into(),
                about.into(),
                partner.into(),
                serde_json::json!({ "to": [to], "cc": [] }).to_string().into(),
                message.subject.into(),
                message.text.into(),
                message.html.into(),
                (if failed { "FAILED" } else { "SENT" }).into(),
                1i64.into(),
                failed.then(|| "550 5.1.1 mailbox unavailable".to_owned()).into(),
                now.into(),
                now.into(),
                now.into(),
            ]);
        }
        vec![notifications]
    })
    .await
}
