//! The e-mail this service sends (R14, R15): an invitation, as the partner wrote it and
//! with its current link, to the customer address the partner gave; and to the address
//! given with the invitation, the customer's acceptance and the end of the relationship
//! by the customer. Rendered from the templates in `templates/mail/` when the relay
//! relays the event; the link is derived again then, so no event carries it.

use chrono::DateTime;
use gcc_platform::mail::{Draft, MailArgs, Notifier, Template, field, id_of};
use gcc_platform::relay::OutboxEvent;

use crate::domain::Links;
use crate::domain::link::render;

macro_rules! template {
    ($name:literal) => {
        Template {
            text: include_str!(concat!("../templates/mail/", $name, ".txt")),
            html: include_str!(concat!("../templates/mail/", $name, ".html")),
        }
    };
}

pub const INVITATION: Template = template!("relationship_request_invitation");
pub const ACCEPTED: Template = template!("relationship_request_accepted");
pub const ENDED: Template = template!("relationship_ended");

#[derive(Clone)]
pub struct Notices {
    portal: String,
    links: Links,
}

impl Notices {
    pub fn new(mail: &MailArgs, links: Links) -> Self {
        Self { portal: mail.portal_url.trim_end_matches('/').to_owned(), links }
    }

    fn draft(&self, e: &OutboxEvent, kind: &'static str, to: &str, message: gcc_platform::mail::Rendered) -> Draft {
        Draft {
            kind,
            about: e.aggregate.clone(),
            tenant: id_of(field(e, "partner")).to_owned(),
            to: vec![to.to_owned()],
            cc: Vec::new(),
            message,
        }
    }

    /// R14: the partner's text with the link of the generation it was sent for.
    fn invitation(&self, e: &OutboxEvent) -> Option<Draft> {
        let generation = e.payload.get("generation").and_then(serde_json::Value::as_i64)?;
        let url = self.links.url_for(id_of(&e.aggregate), generation);
        let body = render(field(e, "email_body"), &url);
        let message = INVITATION.render(&[("subject", field(e, "email_subject")), ("body", &body), ("link", &url)]);
        Some(self.draft(e, "relationship_request.invitation", field(e, "to"), message))
    }

    fn accepted(&self, e: &OutboxEvent) -> Draft {
        let customer = field(e, "customer");
        let vars = [
            ("customer_name", name_or_tenant(e)),
            ("customer", id_of(customer)),
            ("accepted", &readable(e.created_at)),
            ("customer_link", &format!("{}/{customer}", self.portal)),
            ("link", &format!("{}/{}", self.portal, e.aggregate)),
        ];
        self.draft(e, "relationship_request.accepted", field(e, "notify_email"), ACCEPTED.render(&vars))
    }

    fn ended(&self, e: &OutboxEvent) -> Draft {
        let vars = [
            ("customer_name", name_or_tenant(e)),
            ("customer", id_of(&e.aggregate)),
            ("ended", &readable(e.created_at)),
            ("customer_link", &format!("{}/{}", self.portal, e.aggregate)),
        ];
        self.draft(e, "relationship.ended_by_customer", field(e, "notify_email"), ENDED.render(&vars))
    }
}

/// The customer's legal name, or "The customer" when it has none on record.
fn name_or_tenant(e: &OutboxEvent) -> &str {
    match field(e, "customer_name") {
        "" => "The customer",
        name => name,
    }
}

/// An event's time, readable (`Tue, 2 Dec 2025 15:00 UTC`).
fn readable(created_at_us: i64) -> String {
    DateTime::from_timestamp_micros(created_at_us).unwrap_or_default().format("%a, %-d %b %Y %H:%M UTC").to_string()
}

impl Notifier for Notices {
    fn notifications(&self, e: &OutboxEvent) -> Vec<Draft> {
        let Some(action) = e.topic.strip_prefix("gcc.relationships.v1.") else {
            return Vec::new();
        };
        let told = !field(e, "notify_email").is_empty();
        let draft = match action {
            "relationship_request.email_requested" => self.invitation(e),
            "relationship_request.accepted" if told => Some(self.accepted(e)),
            "relationship.revoked" if told && field(e, "ended_by") == "customer" => Some(self.ended(e)),
            _ => None,
        };
        draft.into_iter().collect()
    }
}
