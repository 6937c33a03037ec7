//! The e-mail of reseller links (R1a): the invitation or request to the other side, its
//! answer to the side that opened the link, and the end of the link to the side that did
//! not end it; each to the address that side has on the link, if any.

use gcc_platform::mail::{Draft, Template, field, id_of};
use gcc_platform::relay::OutboxEvent;

use super::{Notices, readable};

macro_rules! template {
    ($name:literal) => {
        Template {
            text: include_str!(concat!("../../templates/mail/", $name, ".txt")),
            html: include_str!(concat!("../../templates/mail/", $name, ".html")),
        }
    };
}

pub const INVITED: Template = template!("reseller_link_invited");
pub const REQUESTED: Template = template!("reseller_link_requested");
pub const ACCEPTED: Template = template!("reseller_link_accepted");
pub const APPROVED: Template = template!("reseller_link_approved");
pub const ENDED: Template = template!("reseller_link_ended");

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Provider,
    Reseller,
}

impl Side {
    fn of(s: &str) -> Option<Self> {
        match s {
            "PROVIDER" => Some(Self::Provider),
            "RESELLER" => Some(Self::Reseller),
            _ => None,
        }
    }

    fn other(self) -> Self {
        match self {
            Self::Provider => Self::Reseller,
            Self::Reseller => Self::Provider,
        }
    }

    /// The payload fields of this side: its partner name and its address.
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            Self::Provider => ("provider", "provider_contact_email"),
            Self::Reseller => ("reseller", "reseller_contact_email"),
        }
    }
}

/// A party's legal name, or a description when it has not enrolled (yet).
fn name(e: &OutboxEvent, side: Side) -> &str {
    match (field(e, &format!("{}_name", side.fields().0)), side) {
        ("", Side::Provider) => "the indirect provider",
        ("", Side::Reseller) => "your organization",
        (n, _) => n,
    }
}

/// The mail a link's event causes, to the side `state` concerns.
pub fn notifications(n: &Notices, e: &OutboxEvent, state: &str) -> Vec<Draft> {
    let opened_by = Side::of(field(e, "opened_by"));
    let (to_side, kind, template) = match (state, opened_by) {
        ("invited", _) => (Side::Reseller, "reseller_link.invited", &INVITED),
        ("requested", _) => (Side::Provider, "reseller_link.requested", &REQUESTED),
        ("active", Some(Side::Provider)) => (Side::Provider, "reseller_link.accepted", &ACCEPTED),
        ("active", Some(Side::Reseller)) => (Side::Reseller, "reseller_link.approved", &APPROVED),
        ("ended", _) => match Side::of(field(e, "ended_by")) {
            Some(ender) => (ender.other(), "reseller_link.ended", &ENDED),
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let (partner_field, address_field) = to_side.fields();
    let to = field(e, address_field);
    if to.is_empty() {
        return Vec::new();
    }
    let (provider, reseller) = (name(e, Side::Provider), name(e, Side::Reseller));
    let ender = match Side::of(field(e, "ended_by")) {
        Some(Side::Provider) => provider,
        _ => reseller,
    };
    let at = readable(&chrono::DateTime::from_timestamp_micros(e.created_at).unwrap_or_default().to_rfc3339());
    let reason = match field(e, "end_reason") {
        "" => "(none given)",
        r => r,
    };
    let vars = [
        ("provider_name", provider),
        ("reseller_name", reseller),
        ("ender", ender),
        ("name", e.aggregate.as_str()),
        ("link", &n.link(&e.aggregate)),
        ("activated", &at),
        ("ended", &at),
        ("reason", reason),
    ];
    vec![Draft {
        kind,
        about: e.aggregate.clone(),
        tenant: id_of(field(e, partner_field)).to_owned(),
        to: vec![to.to_owned()],
        cc: Vec::new(),
        message: template.render(&vars),
    }]
}
