//! The reviewers' daily digest (R4): once per business day, after `--digest-hour` in the
//! reviewers' time zone, the validations waiting past their two-business-day due time,
//! and those due within 4 business hours (flagged), to the review queue's address.
//!
//! The digest is stored as a notification whose ID comes from its date (`digest-<date>`),
//! so replicas and restarts make it once; the mail sender delivers it like any other.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use gcc_platform::db::Db;
use gcc_platform::mail::{Draft, Template, html_escape, insert_drafts};
use gcc_platform::relay::OutboxEvent;
use gcc_platform::time::{BusinessCalendar, SharedClock, from_micros, to_micros};
use sqlx::Row;

use crate::notify::readable;

pub const DIGEST: Template = Template {
    text: include_str!("../templates/mail/overdue_digest.txt"),
    html: include_str!("../templates/mail/overdue_digest.html"),
};

/// Validations listed in one digest at most; the rest are counted.
const MAX_LISTED: i64 = 200;
/// "Due soon": this much business time or less before the due time.
pub const DUE_SOON: chrono::Duration = chrono::Duration::hours(4);

#[derive(Debug, Clone, clap::Args)]
pub struct DigestArgs {
    /// Local hour (in the reviewers' time zone) from which the day's digest of overdue
    /// validations is sent, on business days.
    #[arg(long, env = "GCC_DIGEST_HOUR", default_value_t = 8, value_parser = clap::value_parser!(u32).range(0..=23))]
    pub digest_hour: u32,
    /// How often the digest task looks at the clock.
    #[arg(long, env = "GCC_DIGEST_POLL", default_value = "1m", value_parser = gcc_platform::config::parse_duration)]
    pub digest_poll: Duration,
}

pub struct Digest {
    pub db: Db,
    pub clock: SharedClock,
    pub tz: Tz,
    pub hour: u32,
    pub review_queue: String,
    pub portal: String,
}

struct Waiting {
    id: String,
    partner: String,
    contact: String,
    due: DateTime<Utc>,
}

impl Digest {
    pub fn spawn(self: Arc<Self>, poll: Duration) {
        tokio::spawn(async move {
            loop {
                if self.db.reader().is_closed() {
                    return;
                }
                if let Err(e) = self.run_once().await
                    && !self.db.reader().is_closed()
                {
                    tracing::warn!(error = format!("{e:#}"), "overdue digest failed");
                }
                tokio::time::sleep(poll).await;
            }
        });
    }

    /// Makes today's digest if it is due and not made yet; whether it made one.
    pub async fn run_once(&self) -> anyhow::Result<bool> {
        let now = self.clock.now();
        let local = now.with_timezone(&self.tz);
        let calendar = BusinessCalendar::new(self.tz);
        if !calendar.is_business_day(local.date_naive()) || local.hour() < self.hour {
            return Ok(false);
        }
        let key = format!("digest-{}", local.date_naive());
        // A digest is one notification, the first of its event: found by its primary
        // key, not by a walk of every notification for its event ID.
        let exists = sqlx::query("SELECT 1 FROM notifications WHERE id = $1")
            .bind(gcc_platform::mail::notification_id(&key, 0))
            .fetch_optional(self.db.reader())
            .await?;
        if exists.is_some() {
            return Ok(false);
        }
        let rows = sqlx::query(
            "SELECT id, partner_tenant, contact_email, due_at FROM partner_validations \
             WHERE state = 'PENDING_REVIEW' AND due_at <= $1 ORDER BY due_at, id LIMIT $2",
        )
        .bind(to_micros(now + chrono::Duration::days(7)))
        .bind(MAX_LISTED + 1)
        .fetch_all(self.db.reader())
        .await?;
        let waiting = rows
            .iter()
            .map(|r| {
                Ok(Waiting {
                    id: r.try_get("id")?,
                    partner: r.try_get("partner_tenant")?,
                    contact: r.try_get("contact_email")?,
                    due: from_micros(r.try_get("due_at")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let (overdue, soon): (Vec<&Waiting>, Vec<&Waiting>) = (
            waiting.iter().filter(|w| w.due < now).collect(),
            waiting.iter().filter(|w| w.due >= now && self.business_time(now, w.due) <= DUE_SOON).collect(),
        );
        if overdue.is_empty() && soon.is_empty() {
            return Ok(false);
        }
        let message = self.render(now, &overdue, &soon);
        let event = OutboxEvent {
            id: key,
            topic: "gcc.partner.v1.review.overdue_digest".into(),
            aggregate: "partnerValidations".into(),
            payload: serde_json::Value::Null,
            created_at: to_micros(now),
        };
        let draft = Draft {
            kind: "review.overdue_digest",
            about: "partnerValidations".into(),
            tenant: String::new(),
            to: vec![self.review_queue.clone()],
            cc: Vec::new(),
            message,
        };
        let mut tx = self.db.begin().await?;
        insert_drafts(&mut tx, &event, &[draft], to_micros(now)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Time between `from` and `to` that falls on business days.
    pub fn business_time(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> chrono::Duration {
        let calendar = BusinessCalendar::new(self.tz);
        let mut total = chrono::Duration::zero();
        let mut at = from;
        while at < to {
            let local = at.with_timezone(&self.tz);
            let next_day = local.date_naive().succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0));
            let midnight = next_day.and_then(|d| self.tz.from_local_datetime(&d).earliest()).map(|t| t.to_utc());
            let end = midnight.filter(|m| *m > at).unwrap_or(to).min(to);
            if calendar.is_business_day(local.date_naive()) {
                total += end - at;
            }
            at = end;
            if total > DUE_SOON * 100 {
                break;
            }
        }
        total
    }

    fn render(&self, now: DateTime<Utc>, overdue: &[&Waiting], soon: &[&Waiting]) -> gcc_platform::mail::Rendered {
        let link = |w: &Waiting| format!("{}/partnerValidations/{}", self.portal, w.id);
        let text_line = |w: &Waiting, late: bool| {
            let when = if late { "was due" } else { "due" };
            format!(
                "- {} ({} {}; partner {}, contact {})\n",
                link(w),
                when,
                readable(&w.due.to_rfc3339()),
                w.partner,
                w.contact
            )
        };
        let html_line = |w: &Waiting, late: bool| {
            let when = if late { "was due" } else { "due" };
            format!(
                "<li><a href=\"{}\">{}</a> {when} {} &middot; partner {} &middot; {}</li>\n",
                html_escape(&link(w)),
                html_escape(&w.id),
                html_escape(&readable(&w.due.to_rfc3339())),
                html_escape(&w.partner),
                html_escape(&w.contact)
            )
        };
        let none = "- none\n".to_owned();
        let lines = |ws: &[&Waiting], late: bool, f: &dyn Fn(&Waiting, bool) -> String| -> String {
            ws.iter().map(|w| f(w, late)).collect()
        };
        let (mut overdue_text, mut soon_text) = (lines(overdue, true, &text_line), lines(soon, false, &text_line));
        if overdue_text.is_empty() {
            overdue_text = none.clone();
        }
        if soon_text.is_empty() {
            soon_text = none;
        }
        let local = now.with_timezone(&self.tz);
        let date = format!("{}, {} {}", local.weekday(), local.day(), local.format("%b %Y"));
        let rendered_now = readable(&now.to_rfc3339());
        let link_all = format!("{}/partnerValidations?state=PENDING_REVIEW", self.portal);
        let (oc, sc) = (overdue.len().to_string(), soon.len().to_string());
        let text = DIGEST.render(&[
            ("overdue_count", &oc),
            ("soon_count", &sc),
            ("date", &date),
            ("now", &rendered_now),
            ("overdue", &overdue_text),
            ("soon", &soon_text),
            ("link", &link_all),
        ]);
        // The HTML lists are built (and escaped) here: the template takes them as markup.
        let html = DIGEST
            .html
            .replace("{{overdue_count}}", &oc)
            .replace("{{soon_count}}", &sc)
            .replace("{{now}}", &html_escape(&rendered_now))
            .replace("{{link}}", &html_escape(&link_all))
            .replace("{{overdue}}", &lines(overdue, true, &html_line))
            .replace("{{soon}}", &lines(soon, false, &html_line));
        gcc_platform::mail::Rendered { subject: text.subject, text: text.text, html }
    }
}
