//! The e-mail this service sends (R11, R12): a customer validation's outcome (approved
//! with its code, rejected with the reason, customer being contacted) to the submitting
//! partner's contact, with the indirect provider's contact copied when it transacts.
//! Rendered from the templates in `templates/mail/` when the relay relays the event.

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

pub const APPROVED: Template = template!("customer_validation_approved");
pub const REJECTED: Template = template!("customer_validation_rejected");
pub const CONTACTING: Template = template!("customer_validation_contacting_customer");

#[derive(Debug, Clone)]
pub struct Notices {
    portal: String,
}

impl Notices {
    pub fn new(mail: &MailArgs) -> Self {
        Self { portal: mail.portal_url.trim_end_matches('/').to_owned() }
    }
}

fn readable(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.to_utc().format("%a, %-d %b %Y %H:%M UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

impl Notifier for Notices {
    fn notifications(&self, e: &OutboxEvent) -> Vec<Draft> {
        let Some(state) = e.topic.strip_prefix("gcc.validation.v1.customer_validation.") else {
            return Vec::new();
        };
        let to = field(e, "partner_contact_email");
        if to.is_empty() {
            return Vec::new();
        }
        let link = format!("{}/{}", self.portal, e.aggregate);
        let (organization, domain) = (field(e, "organization_name"), field(e, "organization_domain"));
        let mut vars = vec![("link", link.as_str()), ("organization", organization), ("domain", domain)];
        let expires = readable(field(e, "code_expire_time"));
        let code = id_of(field(e, "validation_code")).to_owned();
        let (kind, template) = match state {
            "approved" => {
                vars.extend([("code", code.as_str()), ("expires", expires.as_str())]);
                ("customer_validation.approved", &APPROVED)
            }
            "rejected" => {
                vars.push(("reason", field(e, "rejection_reason")));
                ("customer_validation.rejected", &REJECTED)
            }
            "contacting_customer" => {
                vars.push(("note", field(e, "contact_note")));
                ("customer_validation.contacting_customer", &CONTACTING)
            }
            _ => return Vec::new(),
        };
        let cc: Vec<String> = Some(field(e, "provider_contact_email"))
            .filter(|c| !c.is_empty() && *c != to)
            .map(str::to_owned)
            .into_iter()
            .collect();
        vec![Draft {
            kind,
            about: e.aggregate.clone(),
            tenant: id_of(field(e, "partner")).to_owned(),
            to: vec![to.to_owned()],
            cc,
            message: template.render(&vars),
        }]
    }
}
