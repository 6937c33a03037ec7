//! relationships' customers with the relationships through which partners manage them,
//! and partners' relationship requests (invitations), as CreateCustomer and
//! CreateRelationshipRequest and the invitations' moves write them. No invitation link
//! (token hash) is written: no list reads one.

use gcc_platform::ids::new_id;
use relationships::domain::customer::fold;
use relationships::domain::{InvitationState, draft_email};

use super::{Rows, V, now_micros, write};

const DAY_US: i64 = 86_400_000_000;

/// Adds `rows` customers, each created by (and managed directly by) the partner
/// `owner(i).0`. Their legal names start with "City of", "County of", "Department of" or
/// "State of", a quarter each.
pub async fn customers(url: &str, rows: usize, owner: impl Fn(usize) -> (String, String)) -> anyhow::Result<()> {
    let now = now_micros();
    write(url, rows, |range| {
        let mut customers = Rows::new(
            "customers (tenant_id, legal_name, name_key, domain, region_code, administrative_area, locality, \
             postal_code, address_lines, contact_email, created_at, updated_at)",
        );
        let mut relationships = Rows::new(
            "relationships (partner_tenant, customer_tenant, provider_tenant, active, created_at, updated_at)",
        );
        for i in range {
            let (partner, _) = owner(i);
            let tenant = uuid::Uuid::new_v4();
            // Owners alternate, so the name follows every other row.
            let kind = ["City", "County", "Department", "State"][(i / 2) % 4];
            let legal_name = format!("{kind} of Springfield {i}");
            let domain = format!("agency-{}.example.gov", tenant.simple());
            customers.push([
                tenant.to_string().into(),
                legal_name.clone().into(),
                fold(&legal_name).into(),
                domain.clone().into(),
                "US".into(),
                "IL".into(),
                "Springfield".into(),
                "62701".into(),
                r#"["100 Main Street"]"#.into(),
                format!("it@{domain}").into(),
                now.into(),
                now.into(),
            ]);
            relationships.push([
                partner.into(),
                tenant.to_string().into(),
                V::OptText(None),
                V::Flag(true),
                now.into(),
                now.into(),
            ]);
        }
        vec![customers, relationships]
    })
    .await
}

/// Adds `rows` relationship requests of the partner `owner(i).0`, with the draft e-mail.
/// Of every four: one invited, one invited and expired, one accepted, one revoked.
pub async fn relationship_requests(
    url: &str,
    rows: usize,
    owner: impl Fn(usize) -> (String, String),
) -> anyhow::Result<()> {
    let now = now_micros();
    let (subject, body) = draft_email();
    write(url, rows, |range| {
        let mut requests = Rows::new(
            "relationship_requests (id, partner_tenant, provider_tenant, bound_tenant, bound_domain, state, generation, \
             email_subject, email_body, expire_at, customer_tenant, created_at, updated_at, notify_email)",
        );
        for i in range {
            let (partner, _) = owner(i);
            // Owners alternate, so the state follows every other row.
            let (state, expire_at) = match (i / 2) % 4 {
                0 => (InvitationState::Invited, now + 30 * DAY_US),
                1 => (InvitationState::Invited, now - DAY_US),
                2 => (InvitationState::Accepted, now + 30 * DAY_US),
                _ => (InvitationState::Revoked, now + 30 * DAY_US),
            };
            let customer = (state == InvitationState::Accepted).then(|| uuid::Uuid::new_v4().to_string());
            requests.push([
                new_id().into(),
                partner.into(),
                V::OptText(None),
                V::OptText(None),
                V::OptText(None),
                state.as_str().into(),
                1i64.into(),
                subject.clone().into(),
                body.clone().into(),
                expire_at.into(),
                customer.into(),
                now.into(),
                now.into(),
                Some("sales@partner.example".to_owned()).into(),
            ]);
        }
        vec![requests]
    })
    .await
}
