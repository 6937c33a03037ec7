//! Wire ↔ domain, at the edge: requests are parsed once into domain types (or refused
//! with the field at fault); domain objects become messages on the way out.

use chrono::{DateTime, Utc};
use gcc_platform::fields::parse_enum_filter;
use gcc_platform::names::{CustomerName, PartnerName, RelationshipRequestName};
use gcc_platform::time::to_timestamp;
use gcc_platform::{Problem, TenantId};
use gcc_proto::relationships as pb;

use crate::domain::link::{mailto_url, render};
use crate::domain::*;

/// `{collection}/{tenant_id}` → the tenant ID.
fn parse_tenant_name(field: &str, name: &str, collection: &str) -> Result<TenantId, Problem> {
    if name.is_empty() {
        return Err(Problem::field_required(field));
    }
    let id =
        name.strip_prefix(collection).and_then(|rest| rest.strip_prefix('/')).filter(|id| !id.is_empty()).ok_or_else(
            || Problem::invalid_field(field, "NAME_INVALID", format!("expected `{collection}/{{tenant_id}}`")),
        )?;
    TenantId::parse_field(field, id)
}

pub fn parse_customer_name(field: &str, name: &str) -> Result<TenantId, Problem> {
    parse_tenant_name(field, name, CustomerName::COLLECTION)
}

pub fn parse_partner_name(field: &str, name: &str) -> Result<TenantId, Problem> {
    parse_tenant_name(field, name, PartnerName::COLLECTION)
}

/// An optional enum filter: 0 means "any"; unknown numbers are refused.
pub fn parse_state_filter(field: &str, value: i32) -> Result<Option<InvitationState>, Problem> {
    use pb::relationship_request::State as S;
    Ok(parse_enum_filter::<S>(field, value)?.and_then(|state| match state {
        S::Unspecified => None,
        S::Invited => Some(InvitationState::Invited),
        S::Accepted => Some(InvitationState::Accepted),
        S::Expired => Some(InvitationState::Expired),
        S::Revoked => Some(InvitationState::Revoked),
    }))
}

/// Optional free text of at most `max` characters, trimmed.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String, Problem> {
    if value.chars().count() > max {
        return Err(Problem::invalid_field(field, "FIELD_TOO_LONG", format!("at most {max} characters")));
    }
    Ok(value.trim().to_owned())
}

/// Required free text of 1 to `max` characters, trimmed.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, Problem> {
    Problem::check_text(field, value, max)?;
    Ok(value.trim().to_owned())
}

pub fn parse_domain(field: &str, value: &str) -> Result<DnsDomain, Problem> {
    if value.trim().is_empty() {
        return Err(Problem::field_required(field));
    }
    DnsDomain::parse(value)
        .ok_or_else(|| Problem::invalid_field(field, "DOMAIN_INVALID", "not a domain name such as agency.example.gov"))
}

/// A company profile; `at` is the field path of the message (`customer.company_profile`).
pub fn parse_profile(at: &str, p: Option<pb::CompanyProfile>) -> Result<CompanyProfile, Problem> {
    let p = p.ok_or_else(|| Problem::field_required(at))?;
    let field = |name: &str| format!("{at}.{name}");
    let legal_name = required_text(&field("legal_name"), &p.legal_name, 200)?;
    let domain = parse_domain(&field("domain"), &p.domain)?;
    let postal_address = parse_address(&field("postal_address"), p.postal_address)?;
    if p.contact_email.trim().is_empty() {
        return Err(Problem::field_required(&field("contact_email")));
    }
    let contact_email = parse_email(&field("contact_email"), &p.contact_email)?;
    Ok(CompanyProfile { legal_name, domain, postal_address, contact_email })
}

fn parse_address(at: &str, a: Option<pb::PostalAddress>) -> Result<PostalAddress, Problem> {
    let a = a.ok_or_else(|| Problem::field_required(at))?;
    let field = |name: &str| format!("{at}.{name}");
    if a.region_code.is_empty() {
        return Err(Problem::field_required(&field("region_code")));
    }
    let region_code = RegionCode::parse(&a.region_code).ok_or_else(|| {
        Problem::invalid_field(&field("region_code"), "REGION_CODE_INVALID", "two upper-case letters, such as US")
    })?;
    let lines_field = field("address_lines");
    if a.address_lines.is_empty() {
        return Err(Problem::field_required(&lines_field));
    }
    if a.address_lines.len() > 3 {
        return Err(Problem::invalid_field(&lines_field, "FIELD_INVALID", "at most 3 street lines"));
    }
    let address_lines =
        a.address_lines.iter().map(|l| required_text(&lines_field, l, 200)).collect::<Result<Vec<_>, _>>()?;
    Ok(PostalAddress {
        region_code,
        administrative_area: optional_text(&field("administrative_area"), &a.administrative_area, 100)?,
        locality: required_text(&field("locality"), &a.locality, 100)?,
        postal_code: optional_text(&field("postal_code"), &a.postal_code, 20)?,
        address_lines,
    })
}

pub fn parse_new_customer(c: Option<pb::Customer>) -> Result<CompanyProfile, Problem> {
    let c = c.ok_or_else(|| Problem::field_required("customer"))?;
    parse_profile("customer.company_profile", c.company_profile)
}

pub fn parse_new_invitation(r: Option<pb::RelationshipRequest>) -> Result<NewInvitation, Problem> {
    let r = r.ok_or_else(|| Problem::field_required("relationship_request"))?;
    let bound_tenant = match r.bound_customer_tenant_id.as_str() {
        "" => None,
        t => Some(TenantId::parse_field("relationship_request.bound_customer_tenant_id", t)?),
    };
    let bound_domain = match r.bound_domain.as_str() {
        "" => None,
        d => Some(parse_domain("relationship_request.bound_domain", d)?),
    };
    let notify_email = match r.notify_email.trim() {
        "" => None,
        e => Some(parse_email("relationship_request.notify_email", e)?),
    };
    Ok(NewInvitation { bound_tenant, bound_domain, notify_email })
}

/// An e-mail address, or EMAIL_INVALID for `field`.
pub fn parse_email(field: &str, s: &str) -> Result<EmailAddress, Problem> {
    EmailAddress::parse(s).ok_or_else(|| Problem::invalid_field(field, "EMAIL_INVALID", "not an e-mail address"))
}

fn profile(p: &CompanyProfile) -> pb::CompanyProfile {
    let a = &p.postal_address;
    pb::CompanyProfile {
        legal_name: p.legal_name.clone(),
        domain: p.domain.as_str().to_owned(),
        postal_address: Some(pb::PostalAddress {
            region_code: a.region_code.as_str().to_owned(),
            administrative_area: a.administrative_area.clone(),
            locality: a.locality.clone(),
            postal_code: a.postal_code.clone(),
            address_lines: a.address_lines.clone(),
        }),
        contact_email: p.contact_email.as_str().to_owned(),
    }
}

pub fn management_kind(k: ManagementKind) -> pb::ManagementKind {
    match k {
        ManagementKind::Direct => pb::ManagementKind::Direct,
        ManagementKind::IndirectProvider => pb::ManagementKind::IndirectProvider,
    }
}

pub fn customer(c: &Customer, kind: ManagementKind) -> pb::Customer {
    pb::Customer {
        name: CustomerName::new(c.tenant).to_string(),
        tenant_id: c.tenant.to_string(),
        company_profile: Some(profile(&c.profile)),
        management: management_kind(kind) as i32,
        create_time: Some(to_timestamp(c.created_at)),
        update_time: Some(to_timestamp(c.updated_at)),
    }
}

fn state(s: InvitationState) -> pb::relationship_request::State {
    use pb::relationship_request::State as S;
    match s {
        InvitationState::Invited => S::Invited,
        InvitationState::Accepted => S::Accepted,
        InvitationState::Expired => S::Expired,
        InvitationState::Revoked => S::Revoked,
    }
}

/// An invitation as of `now`. With `link`, the e-mail body carries it; `show_url` also
/// returns it on its own (Create and Resend only).
pub fn invitation(i: &Invitation, now: DateTime<Utc>, link: Option<&str>, show_url: bool) -> pb::RelationshipRequest {
    pb::RelationshipRequest {
        name: RelationshipRequestName::new(i.id.clone()).to_string(),
        partner: PartnerName::new(i.partner).to_string(),
        bound_customer_tenant_id: i.bound_tenant.map(|t| t.to_string()).unwrap_or_default(),
        bound_domain: i.bound_domain.as_ref().map(|d| d.as_str().to_owned()).unwrap_or_default(),
        state: state(i.state_at(now)) as i32,
        invitation_url: link.filter(|_| show_url).unwrap_or_default().to_owned(),
        email_subject: i.email_subject.clone(),
        email_body: link.map_or_else(|| i.email_body.clone(), |url| render(&i.email_body, url)),
        notify_email: i.notify_email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
        mailto_url: link.map(|url| mailto_url(&i.email_subject, &render(&i.email_body, url))).unwrap_or_default(),
        expire_time: Some(to_timestamp(i.expire_at)),
        customer: i.customer.map(|c| CustomerName::new(c).to_string()).unwrap_or_default(),
        create_time: Some(to_timestamp(i.created_at)),
        update_time: Some(to_timestamp(i.updated_at)),
    }
}

pub fn relationship(r: &Relationship) -> pb::CustomerRelationship {
    pb::CustomerRelationship {
        partner: PartnerName::new(r.partner).to_string(),
        customer: CustomerName::new(r.customer).to_string(),
        active: r.active,
    }
}

pub fn event(e: &RelationshipEvent) -> pb::RelationshipEvent {
    use pb::relationship_event::Kind;
    let kind = match e.kind {
        EventKind::Activated => Kind::Activated,
        EventKind::Revoked => Kind::Revoked,
    };
    pb::RelationshipEvent {
        partner: PartnerName::new(e.partner).to_string(),
        customer: CustomerName::new(e.customer).to_string(),
        kind: kind as i32,
        event_time: Some(to_timestamp(e.at)),
    }
}
