//! The e-mail this service sends (R4, R5): the reviewers' decision or question to the
//! validation's contact, the partner's answer to the review queue. Rendered from the
//! templates in `templates/mail/` when the relay relays the event. Reseller links' e-mail
//! (R1a) is in [`links`].

mod links;

use chrono::DateTime;
use gcc_platform::mail::{Draft, MailArgs, Notifier, Template, field, id_of};
use gcc_platform::relay::OutboxEvent;

macro_rules! template {
    ($name:literal) => {
        Template {
            text: include_str!(concat!("../templates/mail/", $name, ".txt")),
            html: include_str!(concat!("../templates/mail/", $name, ".html")),
        }
    };
}

pub const APPROVED: Template = template!("validation_approved");
pub const REJECTED: Template = template!("validation_rejected");
pub const INFORMATION_REQUESTED: Template = template!("validation_information_requested");
pub const ANSWERED: Template = template!("validation_answered");

/// Who gets what, from the service's flags.
#[derive(Debug, Clone)]
pub struct Notices {
    review_queue: String,
    portal: String,
    contact: String,
}

impl Notices {
    pub fn new(mail: &MailArgs, eligibility_contact: &str) -> Self {
        Self {
            review_queue: mail.review_queue_email.clone(),
            portal: mail.portal_url.trim_end_matches('/').to_owned(),
            contact: eligibility_contact.to_owned(),
        }
    }

    fn link(&self, name: &str) -> String {
        format!("{}/{name}", self.portal)
    }
}

/// A timestamp of a payload, readable (`Tue, 2 Dec 2025 15:00 UTC`), or as given.
pub fn readable(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.to_utc().format("%a, %-d %b %Y %H:%M UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

impl Notifier for Notices {
    fn notifications(&self, e: &OutboxEvent) -> Vec<Draft> {
        if let Some(state) = e.topic.strip_prefix("gcc.partner.v1.reseller_link.") {
            return links::notifications(self, e, state);
        }
        let Some(kind) = e.topic.strip_prefix("gcc.partner.v1.partner_validation.") else {
            return Vec::new();
        };
        let about = e.aggregate.clone();
        let tenant = id_of(field(e, "partner")).to_owned();
        let link = self.link(&about);
        let contact_email = field(e, "contact_email").to_owned();
        let decided = readable(&chrono::DateTime::from_timestamp_micros(e.created_at).unwrap_or_default().to_rfc3339());
        let to_partner = |kind: &'static str, t: &Template, vars: &[(&str, &str)]| {
            let mut all =
                vec![("link", link.as_str()), ("contact", self.contact.as_str()), ("decided", decided.as_str())];
            all.extend_from_slice(vars);
            Draft {
                kind,
                about: about.clone(),
                tenant: tenant.clone(),
                to: vec![contact_email.clone()],
                cc: Vec::new(),
                message: t.render(&all),
            }
        };
        match kind {
            "approved" => vec![to_partner("partner_validation.approved", &APPROVED, &[])],
            "rejected" => {
                vec![to_partner("partner_validation.rejected", &REJECTED, &[("reason", field(e, "rejection_reason"))])]
            }
            "information_requested" => vec![to_partner(
                "partner_validation.information_requested",
                &INFORMATION_REQUESTED,
                &[("question", field(e, "information_request"))],
            )],
            "pending_review" if field(e, "action") == "partner_validation.provide_information" => {
                let due = readable(field(e, "due_time"));
                let message = ANSWERED.render(&[
                    ("link", &link),
                    ("due", &due),
                    ("question", field(e, "information_request")),
                    ("answer", field(e, "information_response")),
                    ("partner", field(e, "partner")),
                    ("contact_email", &contact_email),
                ]);
                vec![Draft {
                    kind: "partner_validation.answered",
                    about,
                    tenant,
                    to: vec![self.review_queue.clone()],
                    cc: Vec::new(),
                    message,
                }]
            }
            _ => Vec::new(),
        }
    }
}
