//! E-mail notifications, at least once, from the outbox.
//!
//! The relay turns each committed outbox event into the notifications it causes (a
//! service's [`Notifier`] renders them from its templates) and stores them in the
//! `notifications` table in the same transaction that marks the event relayed, keyed by
//! the event ID: an event is never marked without its notifications, and a second relay
//! round cannot store them twice. The sender then delivers each stored notification and
//! marks it; a process that dies between sending and marking sends it again, with the
//! same `Message-ID` (`<event id>.<n>@<sender domain>`), so a duplicate is recognisable.
//!
//! Delivery goes to an SMTP server (`smtp://`, STARTTLS with `?tls=required`, `smtps://`
//! for TLS from the first byte, user and password in the URL), to `.eml` files in a
//! folder (`file://DIR`, for development), or nowhere: without `--smtp-url` each
//! notification is logged and recorded LOGGED, and the notification list says so.
//! Temporary failures (4xx replies, a refused or broken connection) are retried with
//! exponential backoff; a permanent one (5xx, an unusable address) is recorded FAILED
//! and never retried, as is one that used up its attempts. Every attempt is recorded.

mod api;
mod render;
mod sender;
mod store;

use std::sync::Arc;
use std::time::Duration;

pub use api::list_notifications;
pub use render::{Rendered, Template, html_escape, one_line};
pub use sender::{Delivery, Mailer};
pub use store::{
    NotificationRow, NotificationState, insert_drafts, list, list_sql, notification_id, prune, record_attempt,
};

use crate::relay::OutboxEvent;

/// How notifications are delivered, from the server's flags.
#[derive(Clone, clap::Args)]
pub struct MailArgs {
    /// Where notification e-mail goes: smtp://[user:password@]host[:port] (add
    /// ?tls=required for STARTTLS), smtps://… (TLS), or file://DIR to write each message
    /// as a .eml file (development). Unset: notifications are logged and not sent.
    #[arg(long, env = "GCC_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The From: of notification e-mail; its domain also ends each Message-ID.
    #[arg(long, env = "GCC_MAIL_FROM", default_value = "GCC Eligibility <no-reply@gcc.example>")]
    pub mail_from: String,
    /// The eligibility review queue's address: partners' answers and the reviewers'
    /// daily digest of overdue validations go there.
    #[arg(long, env = "GCC_REVIEW_QUEUE_EMAIL", default_value = "usgcce@microsoft.com")]
    pub review_queue_email: String,
    /// Base of the links in notification e-mail (the partner portal).
    #[arg(long, env = "GCC_PORTAL_URL", default_value = "https://partner.gcc.example")]
    pub portal_url: String,
    /// Wait before the first retry of a temporary failure; doubles each time, up to 1 h.
    #[arg(long, env = "GCC_MAIL_RETRY_INITIAL", default_value = "30s", value_parser = crate::config::parse_duration)]
    pub mail_retry_initial: Duration,
    /// Attempts before a notification that keeps failing temporarily is recorded FAILED.
    #[arg(long, env = "GCC_MAIL_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub mail_max_attempts: u32,
    /// How often the sender looks for notifications due when it found none.
    #[arg(long, env = "GCC_MAIL_POLL", default_value = "1s", value_parser = crate::config::parse_duration)]
    pub mail_poll: Duration,
    /// Longest wait for the SMTP server at each step of a delivery.
    #[arg(long, env = "GCC_SMTP_TIMEOUT", default_value = "30s", value_parser = crate::config::parse_duration)]
    pub smtp_timeout: Duration,
}

/// Never prints the SMTP password.
impl std::fmt::Debug for MailArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailArgs")
            .field("smtp_url", &self.smtp_url.as_deref().map(crate::db::redact))
            .field("mail_from", &self.mail_from)
            .field("review_queue_email", &self.review_queue_email)
            .field("portal_url", &self.portal_url)
            .field("mail_retry_initial", &self.mail_retry_initial)
            .field("mail_max_attempts", &self.mail_max_attempts)
            .field("mail_poll", &self.mail_poll)
            .field("smtp_timeout", &self.smtp_timeout)
            .finish()
    }
}

/// One notification an event causes, rendered and addressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// What it says, such as `partner_validation.approved`.
    pub kind: &'static str,
    /// The resource it is about, such as `partnerValidations/{id}`.
    pub about: String,
    /// The tenant it is for (who may list it); empty for the reviewers' own mail.
    pub tenant: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub message: Rendered,
}

/// What a service sends for its events.
pub trait Notifier: Send + Sync + 'static {
    /// The notifications `event` causes; none for most events.
    fn notifications(&self, event: &OutboxEvent) -> Vec<Draft>;
}

pub type SharedNotifier = Arc<dyn Notifier>;

/// A string field of an event's payload, empty when missing.
pub fn field<'a>(event: &'a OutboxEvent, name: &str) -> &'a str {
    event.payload.get(name).and_then(|v| v.as_str()).unwrap_or_default()
}

/// The ID part of a resource name such as `partnerValidations/{id}`.
pub fn id_of(name: &str) -> &str {
    name.rsplit_once('/').map_or(name, |(_, id)| id)
}
