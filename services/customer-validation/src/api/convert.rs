//! Wire ↔ domain at the edge of customer-validation.

use gcc_platform::fields::parse_enum;
use gcc_platform::names::{CustomerName, CustomerValidationName, PartnerName, ValidationCodeName};
use gcc_platform::time::to_timestamp;
use gcc_platform::{Problem, TenantId};
use gcc_proto::validation as pb;

use crate::domain::*;
use gcc_platform::contact::{DnsDomain, EmailAddress, RegionCode};

pub fn validation_name(id: &str) -> String {
    CustomerValidationName::new(id).to_string()
}

pub fn code_name(code: &str) -> String {
    ValidationCodeName::new(code).to_string()
}

pub fn partner_name(t: TenantId) -> String {
    PartnerName::new(t).to_string()
}

pub fn customer_name(t: TenantId) -> String {
    CustomerName::new(t).to_string()
}

pub fn parse_families(field: &str, values: &[i32]) -> Result<Vec<OfferFamily>, Problem> {
    if values.is_empty() {
        return Err(Problem::field_required(field));
    }
    let mut out = Vec::new();
    for v in values {
        let f = OfferFamily::from_field(field, *v)?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

fn text(field: &str, value: &str, max: usize) -> Result<String, Problem> {
    Problem::check_text(field, value, max)?;
    Ok(value.trim().to_owned())
}

pub fn parse_organization(o: Option<pb::Organization>) -> Result<Organization, Problem> {
    let o = o.ok_or_else(|| Problem::field_required("customer_validation.organization"))?;
    let legal_name = text("customer_validation.organization.legal_name", &o.legal_name, 200)?;
    if o.domain.is_empty() {
        return Err(Problem::field_required("customer_validation.organization.domain"));
    }
    let domain = DnsDomain::parse(&o.domain).map(|d| d.as_str().to_owned()).ok_or_else(|| {
        Problem::invalid_field(
            "customer_validation.organization.domain",
            "DOMAIN_INVALID",
            "not a DNS domain such as agency.example.gov",
        )
    })?;
    if o.address_lines.is_empty() || o.address_lines.len() > 5 {
        return Err(Problem::invalid_field(
            "customer_validation.organization.address_lines",
            "FIELD_REQUIRED",
            "1 to 5 lines",
        ));
    }
    let address_lines = o
        .address_lines
        .iter()
        .map(|l| text("customer_validation.organization.address_lines", l, 200))
        .collect::<Result<Vec<_>, _>>()?;
    if o.region_code.is_empty() {
        return Err(Problem::field_required("customer_validation.organization.region_code"));
    }
    if RegionCode::parse(&o.region_code).is_none() {
        return Err(Problem::invalid_field(
            "customer_validation.organization.region_code",
            "REGION_CODE_INVALID",
            "a two-letter CLDR region code such as US",
        ));
    }
    let contact_name = text("customer_validation.organization.contact_name", &o.contact_name, 200)?;
    if o.contact_email.is_empty() {
        return Err(Problem::field_required("customer_validation.organization.contact_email"));
    }
    let contact_email = EmailAddress::parse(&o.contact_email).map(|e| e.as_str().to_owned()).ok_or_else(|| {
        Problem::invalid_field(
            "customer_validation.organization.contact_email",
            "EMAIL_INVALID",
            "not an e-mail address",
        )
    })?;
    Ok(Organization { legal_name, domain, address_lines, region_code: o.region_code, contact_name, contact_email })
}

pub fn parse_eligibility(e: Option<pb::CustomerEligibility>, org: &Organization) -> Result<Eligibility, Problem> {
    use pb::customer_eligibility::Basis;
    const FIELD: &str = "customer_validation.eligibility";
    let required =
        || Problem::invalid_field(FIELD, "ELIGIBILITY_BASIS_REQUIRED", "state how the customer qualifies (R8a)");
    let e = e.ok_or_else(required)?;
    if e.us_presence.chars().count() > 2000 {
        return Err(Problem::invalid_field(
            "customer_validation.eligibility.us_presence",
            "FIELD_TOO_LONG",
            "at most 2000 characters",
        ));
    }
    let us_presence = Some(e.us_presence.trim().to_owned()).filter(|p| !p.is_empty());
    let eligibility = match e.basis.ok_or_else(required)? {
        Basis::GovernmentEntity(0) => return Err(required()),
        Basis::GovernmentEntity(k) => {
            let kind =
                match parse_enum::<pb::GovernmentEntityKind>("customer_validation.eligibility.government_entity", k)? {
                    pb::GovernmentEntityKind::Federal => EntityKind::Federal,
                    pb::GovernmentEntityKind::State => EntityKind::State,
                    pb::GovernmentEntityKind::Local => EntityKind::Local,
                    pb::GovernmentEntityKind::Tribal => EntityKind::Tribal,
                    pb::GovernmentEntityKind::RegionalOrInterstate => EntityKind::RegionalOrInterstate,
                    pb::GovernmentEntityKind::Ffrdc => EntityKind::Ffrdc,
                    pb::GovernmentEntityKind::Unspecified => return Err(required()),
                };
            Eligibility::GovernmentEntity { kind, us_presence }
        }
        Basis::RegulatedData(d) => {
            if d.kinds.is_empty() {
                return Err(required());
            }
            let mut kinds = Vec::new();
            for k in d.kinds {
                let kind = match parse_enum::<pb::RegulatedDataKind>(
                    "customer_validation.eligibility.regulated_data.kinds",
                    k,
                )? {
                    pb::RegulatedDataKind::Itar => RegulatedKind::Itar,
                    pb::RegulatedDataKind::Cui => RegulatedKind::Cui,
                    pb::RegulatedDataKind::DodUcni => RegulatedKind::DodUcni,
                    pb::RegulatedDataKind::DoeUcni => RegulatedKind::DoeUcni,
                    pb::RegulatedDataKind::Cji => RegulatedKind::Cji,
                    pb::RegulatedDataKind::DodImpactLevel => RegulatedKind::DodImpactLevel,
                    pb::RegulatedDataKind::Unspecified => return Err(required()),
                };
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            Eligibility::RegulatedData { kinds, us_presence }
        }
    };
    if eligibility.needs_us_presence(org) {
        return Err(Problem::invalid_field(
            "customer_validation.eligibility.us_presence",
            "US_PRESENCE_REQUIRED",
            "an organization outside the US must state its proven US presence (R8a)",
        ));
    }
    Ok(eligibility)
}

fn eligibility_to(e: &Eligibility) -> pb::CustomerEligibility {
    use pb::customer_eligibility::Basis;
    let (basis, presence) = match e {
        Eligibility::GovernmentEntity { kind, us_presence } => {
            let k = match kind {
                EntityKind::Federal => pb::GovernmentEntityKind::Federal,
                EntityKind::State => pb::GovernmentEntityKind::State,
                EntityKind::Local => pb::GovernmentEntityKind::Local,
                EntityKind::Tribal => pb::GovernmentEntityKind::Tribal,
                EntityKind::RegionalOrInterstate => pb::GovernmentEntityKind::RegionalOrInterstate,
                EntityKind::Ffrdc => pb::GovernmentEntityKind::Ffrdc,
            };
            (Basis::GovernmentEntity(k as i32), us_presence)
        }
        Eligibility::RegulatedData { kinds, us_presence } => {
            let kinds = kinds
                .iter()
                .map(|k| {
                    (match k {
                        RegulatedKind::Itar => pb::RegulatedDataKind::Itar,
                        RegulatedKind::Cui => pb::RegulatedDataKind::Cui,
                        RegulatedKind::DodUcni => pb::RegulatedDataKind::DodUcni,
                        RegulatedKind::DoeUcni => pb::RegulatedDataKind::DoeUcni,
                        RegulatedKind::Cji => pb::RegulatedDataKind::Cji,
                        RegulatedKind::DodImpactLevel => pb::RegulatedDataKind::DodImpactLevel,
                    }) as i32
                })
                .collect();
            (Basis::RegulatedData(pb::RegulatedData { kinds }), us_presence)
        }
    };
    pb::CustomerEligibility { basis: Some(basis), us_presence: presence.clone().unwrap_or_default() }
}

pub fn state_from(s: pb::customer_validation::State) -> Option<ValidationState> {
    use pb::customer_validation::State as S;
    match s {
        S::Unspecified => None,
        S::PendingReview => Some(ValidationState::PendingReview),
        S::ContactingCustomer => Some(ValidationState::ContactingCustomer),
        S::Approved => Some(ValidationState::Approved),
        S::Rejected => Some(ValidationState::Rejected),
    }
}

fn state_to(s: ValidationState) -> i32 {
    use pb::customer_validation::State as S;
    (match s {
        ValidationState::PendingReview => S::PendingReview,
        ValidationState::ContactingCustomer => S::ContactingCustomer,
        ValidationState::Approved => S::Approved,
        ValidationState::Rejected => S::Rejected,
    }) as i32
}

pub fn validation(v: &CustomerValidation) -> pb::CustomerValidation {
    let o = &v.organization;
    pb::CustomerValidation {
        name: validation_name(&v.id),
        partner: partner_name(v.partner),
        transacting_partner: partner_name(v.transacting),
        partner_tenant_id: v.transacting.to_string(),
        organization: Some(pb::Organization {
            legal_name: o.legal_name.clone(),
            domain: o.domain.clone(),
            address_lines: o.address_lines.clone(),
            region_code: o.region_code.clone(),
            contact_name: o.contact_name.clone(),
            contact_email: o.contact_email.clone(),
        }),
        eligibility: Some(eligibility_to(&v.eligibility)),
        customer: v.customer.map(customer_name).unwrap_or_default(),
        state: state_to(v.state),
        due_time: Some(to_timestamp(v.due_at)),
        contact_note: v.contact_note.clone().unwrap_or_default(),
        rejection_reason: v.rejection_reason.clone().unwrap_or_default(),
        reviewer: v.reviewer.clone().unwrap_or_default(),
        validation_code: v.validation_code.as_deref().map(code_name).unwrap_or_default(),
        submit_time: Some(to_timestamp(v.submitted_at)),
        decide_time: v.decided_at.map(to_timestamp),
        update_time: Some(to_timestamp(v.updated_at)),
        partner_contact_email: v.partner_contact_email.clone().unwrap_or_default(),
        transacting_partner_contact_email: v.provider_contact_email.clone().unwrap_or_default(),
    }
}

/// An optional e-mail address field: `None` when empty, EMAIL_INVALID when not an address.
pub fn parse_optional_email(field: &str, value: &str) -> Result<Option<String>, Problem> {
    if value.is_empty() {
        return Ok(None);
    }
    EmailAddress::parse(value)
        .map(|e| Some(e.as_str().to_owned()))
        .ok_or_else(|| Problem::invalid_field(field, "EMAIL_INVALID", "not an e-mail address"))
}

pub fn code(c: &ValidationCode) -> pb::ValidationCode {
    pb::ValidationCode {
        name: code_name(&c.code),
        validation: validation_name(&c.validation_id),
        organization_name: c.organization_name.clone(),
        organization_domain: c.organization_domain.clone(),
        partner: partner_name(c.partner),
        transacting_partner: partner_name(c.transacting),
        total_uses: c.total_uses,
        remaining_uses: c.remaining_uses,
        create_time: Some(to_timestamp(c.created_at)),
        expire_time: c.expires_at.map(to_timestamp),
    }
}

pub fn qualification(q: &SpecialQualification) -> pb::SpecialQualification {
    pb::SpecialQualification {
        display_name: GCC_SPECIAL_QUALIFICATION.to_owned(),
        customer: customer_name(q.customer),
        offer_families: GCC_FAMILIES.iter().map(|f| i32::from(*f)).collect(),
        validation_code: code_name(&q.validation_code),
        validation: validation_name(&q.validation_id),
        grant_time: Some(to_timestamp(q.granted_at)),
    }
}

pub fn reason_to(r: Reason) -> i32 {
    (match r {
        Reason::PartnerNotEnrolled => pb::IneligibilityReason::PartnerNotEnrolled,
        Reason::ResellerLinkPending => pb::IneligibilityReason::ResellerLinkPending,
        Reason::ResellerLinkEnded => pb::IneligibilityReason::ResellerLinkEnded,
        Reason::PartnerNotGccQualified => pb::IneligibilityReason::PartnerNotGccQualified,
        Reason::CustomerNotManaged => pb::IneligibilityReason::CustomerNotManaged,
        Reason::CustomerNotValidated => pb::IneligibilityReason::CustomerNotValidated,
        Reason::ValidationPending => pb::IneligibilityReason::ValidationPending,
    }) as i32
}
