//! customer-validation's customer validations, the codes their approvals issued and the
//! special qualifications those codes granted, as submission, approval and
//! ApplyValidationCode write them.

use customer_validation::domain::{Eligibility, EntityKind, Organization, ValidationCode, ValidationState};
use gcc_platform::ids::new_id;

use super::{Rows, V, now_micros, write};

const DAY_US: i64 = 86_400_000_000;

/// Adds `rows` validations submitted by the direct reseller `owner(i).0` (its own
/// transacting partner), each for a new organization naming a new customer. Of every
/// four: two approved with a two-use code, one use taken by the customer's special
/// qualification; one approved with a single-use code, spent the same way; one pending
/// review, with no code.
pub async fn customer_validations(
    url: &str,
    rows: usize,
    owner: impl Fn(usize) -> (String, String),
) -> anyhow::Result<()> {
    let now = now_micros();
    write(url, rows, |range| {
        let mut validations = Rows::new(
            "customer_validations (id, partner_tenant, transacting_tenant, customer_tenant, organization, eligibility, \
             state, due_at, contact_note, rejection_reason, reviewer, validation_code, submitted_at, decided_at, \
             updated_at, organization_domain, partner_contact_email, provider_contact_email)",
        );
        let mut codes = Rows::new(
            "validation_codes (code, validation_id, partner_tenant, transacting_tenant, organization_name, \
             organization_domain, total_uses, remaining_uses, created_at, expires_at)",
        );
        let mut qualifications = Rows::new(
            "special_qualifications (customer_tenant, validation_code, validation_id, granted_by, granted_at)",
        );
        for i in range {
            let (partner, _) = owner(i);
            let (id, customer) = (new_id(), uuid::Uuid::new_v4().to_string());
            let org = organization(&id);
            // Owners alternate, so the kind of row follows every other row.
            let kind = (i / 2) % 4;
            let approved = kind < 3;
            let code = approved.then(ValidationCode::generate);
            let state = if approved { ValidationState::Approved } else { ValidationState::PendingReview };
            let eligibility = Eligibility::GovernmentEntity { kind: EntityKind::Local, us_presence: None };
            validations.push([
                id.clone().into(),
                partner.clone().into(),
                partner.clone().into(),
                approved.then(|| customer.clone()).into(),
                serde_json::to_string(&org).unwrap_or_default().into(),
                serde_json::to_string(&eligibility).unwrap_or_default().into(),
                state.as_str().into(),
                (now + 2 * DAY_US).into(),
                V::OptText(None),
                V::OptText(None),
                approved.then(|| "reviewer@eligibility.example".to_owned()).into(),
                code.clone().into(),
                now.into(),
                approved.then_some(now).into(),
                now.into(),
                org.domain.clone().into(),
                Some("orders@partner.example".to_owned()).into(),
                V::OptText(None),
            ]);
            if let Some(code) = code {
                let uses = if kind == 2 { 1 } else { 2 };
                let issued = Issued { code, validation: id, partner, customer, uses, now };
                issued.push(&mut codes, &mut qualifications, org);
            }
        }
        vec![validations, codes, qualifications]
    })
    .await
}

/// A code an approval issued, and the special qualification that took one of its uses.
struct Issued {
    code: String,
    validation: String,
    partner: String,
    customer: String,
    uses: i64,
    now: i64,
}

impl Issued {
    fn push(self, codes: &mut Rows, qualifications: &mut Rows, org: Organization) {
        codes.push([
            self.code.clone().into(),
            self.validation.clone().into(),
            self.partner.clone().into(),
            self.partner.clone().into(),
            org.legal_name.into(),
            org.domain.into(),
            self.uses.into(),
            (self.uses - 1).into(),
            self.now.into(),
            Some(self.now + 90 * DAY_US).into(),
        ]);
        qualifications.push([
            self.customer.into(),
            self.code.into(),
            self.validation.into(),
            self.partner.into(),
            self.now.into(),
        ]);
    }
}

fn organization(id: &str) -> Organization {
    Organization {
        legal_name: format!("City of Springfield {}", &id[id.len() - 8..]),
        domain: format!("city-{id}.example.gov"),
        address_lines: vec!["100 Main Street".to_owned()],
        region_code: "US".to_owned(),
        contact_name: "Pat Lee".to_owned(),
        contact_email: format!("it@city-{id}.example.gov"),
    }
}
