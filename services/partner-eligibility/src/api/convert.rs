//! Wire ↔ domain, at the edge: requests are parsed once into domain types (or refused
//! with the field at fault); domain objects become messages on the way out.

use gcc_platform::fields::parse_enum;
use gcc_platform::names::{PartnerName, PartnerValidationName, ResellerLinkName};
use gcc_platform::time::to_timestamp;
use gcc_platform::{Problem, TenantId};
use gcc_proto::partner as pb;

use crate::domain::*;

pub fn partner_name(tenant: TenantId) -> String {
    PartnerName::new(tenant).to_string()
}

pub fn validation_name(id: &str) -> String {
    PartnerValidationName::new(id).to_string()
}

/// `partners/{tenant_id}` → the tenant ID.
pub fn parse_partner_name(field: &str, name: &str) -> Result<TenantId, Problem> {
    PartnerName::parse(field, name).map(|n| n.tenant())
}

pub fn partner_type_from(t: pb::PartnerType) -> Option<PartnerType> {
    match t {
        pb::PartnerType::Unspecified => None,
        pb::PartnerType::DirectReseller => Some(PartnerType::DirectReseller),
        pb::PartnerType::IndirectProvider => Some(PartnerType::IndirectProvider),
        pb::PartnerType::IndirectReseller => Some(PartnerType::IndirectReseller),
    }
}

fn partner_type_to(t: PartnerType) -> pb::PartnerType {
    match t {
        PartnerType::DirectReseller => pb::PartnerType::DirectReseller,
        PartnerType::IndirectProvider => pb::PartnerType::IndirectProvider,
        PartnerType::IndirectReseller => pb::PartnerType::IndirectReseller,
    }
}

pub fn state_from(s: pb::partner_validation::State) -> Option<ValidationState> {
    use pb::partner_validation::State as S;
    match s {
        S::Unspecified => None,
        S::PendingReview => Some(ValidationState::PendingReview),
        S::InformationRequested => Some(ValidationState::InformationRequested),
        S::Approved => Some(ValidationState::Approved),
        S::Rejected => Some(ValidationState::Rejected),
    }
}

fn state_to(s: ValidationState) -> pb::partner_validation::State {
    use pb::partner_validation::State as S;
    match s {
        ValidationState::PendingReview => S::PendingReview,
        ValidationState::InformationRequested => S::InformationRequested,
        ValidationState::Approved => S::Approved,
        ValidationState::Rejected => S::Rejected,
    }
}

pub fn parse_new_partner(p: Option<pb::Partner>) -> Result<NewPartner, Problem> {
    let p = p.ok_or_else(|| Problem::field_required("partner"))?;
    Problem::check_text("partner.legal_name", &p.legal_name, 200)?;
    let partner_type = partner_type_from(parse_enum("partner.partner_type", p.partner_type)?)
        .ok_or_else(|| Problem::field_required("partner.partner_type"))?;
    let azure_gcc_tenant = match p.azure_gcc_tenant_id.as_str() {
        "" => None,
        s => Some(TenantId::parse_field("partner.azure_gcc_tenant_id", s)?),
    };
    let indirect_provider = match (partner_type, p.indirect_provider.as_str()) {
        (PartnerType::IndirectReseller, "") => {
            return Err(Problem::invalid_field(
                "partner.indirect_provider",
                "INDIRECT_PROVIDER_REQUIRED",
                "an indirect reseller names its indirect provider",
            ));
        }
        (PartnerType::IndirectReseller, name) => Some(parse_partner_name("partner.indirect_provider", name)?),
        (_, "") => None,
        (_, _) => {
            return Err(Problem::invalid_field(
                "partner.indirect_provider",
                "INDIRECT_PROVIDER_NOT_ALLOWED",
                "only an indirect reseller names an indirect provider",
            ));
        }
    };
    Ok(NewPartner { legal_name: p.legal_name.trim().to_owned(), partner_type, azure_gcc_tenant, indirect_provider })
}

/// Also checks that the Azure GCC tenant ID is not the commercial one (`caller`).
pub fn parse_new_validation(v: Option<pb::PartnerValidation>) -> Result<NewValidation, Problem> {
    let v = v.ok_or_else(|| Problem::field_required("partner_validation"))?;
    let tenant_id = TenantId::parse_field("partner_validation.tenant_id", &v.tenant_id)?;
    let basis = match v.qualifying_basis {
        0 => {
            return Err(Problem::invalid_field(
                "partner_validation.qualifying_basis",
                "QUALIFYING_BASIS_REQUIRED",
                "state how the partner qualifies (R2a)",
            ));
        }
        n => match parse_enum::<pb::QualifyingBasis>("partner_validation.qualifying_basis", n)? {
            pb::QualifyingBasis::GovernmentEntities => QualifyingBasis::GovernmentEntities,
            pb::QualifyingBasis::GovernmentContracts => QualifyingBasis::GovernmentContracts,
            pb::QualifyingBasis::ContractVehicles => QualifyingBasis::ContractVehicles,
            pb::QualifyingBasis::Unspecified => {
                return Err(Problem::field_required("partner_validation.qualifying_basis"));
            }
        },
    };
    if v.contact_email.is_empty() {
        return Err(Problem::field_required("partner_validation.contact_email"));
    }
    let contact_email = ContactEmail::parse(&v.contact_email).ok_or_else(|| {
        Problem::invalid_field("partner_validation.contact_email", "EMAIL_INVALID", "not an e-mail address")
    })?;
    if v.details.chars().count() > 2000 {
        return Err(Problem::invalid_field("partner_validation.details", "FIELD_TOO_LONG", "at most 2000 characters"));
    }
    Ok(NewValidation { tenant_id, basis, contact_email, details: v.details })
}

pub fn partner(p: &Partner) -> pb::Partner {
    pb::Partner {
        name: partner_name(p.tenant),
        tenant_id: p.tenant.to_string(),
        legal_name: p.legal_name.clone(),
        partner_type: partner_type_to(p.partner_type) as i32,
        azure_gcc_tenant_id: p.azure_gcc_tenant.map(|t| t.to_string()).unwrap_or_default(),
        indirect_provider: p.indirect_provider.map(partner_name).unwrap_or_default(),
        qualifications: p
            .qualifications
            .iter()
            .map(|q| pb::Qualification {
                name: q.name.clone(),
                offer_families: GCC_FAMILIES.iter().map(|f| i32::from(*f)).collect(),
                validation: validation_name(&q.validation_id),
                grant_time: Some(to_timestamp(q.granted_at)),
            })
            .collect(),
        gcc_enabled: p.holds_gcc(),
        create_time: Some(to_timestamp(p.created_at)),
        update_time: Some(to_timestamp(p.updated_at)),
    }
}

pub fn validation(v: &PartnerValidation) -> pb::PartnerValidation {
    let basis = match v.basis {
        QualifyingBasis::GovernmentEntities => pb::QualifyingBasis::GovernmentEntities,
        QualifyingBasis::GovernmentContracts => pb::QualifyingBasis::GovernmentContracts,
        QualifyingBasis::ContractVehicles => pb::QualifyingBasis::ContractVehicles,
    };
    pb::PartnerValidation {
        name: validation_name(&v.id),
        partner: partner_name(v.partner),
        tenant_id: v.tenant_id.to_string(),
        qualifying_basis: basis as i32,
        contact_email: v.contact_email.as_str().to_owned(),
        details: v.details.clone(),
        state: state_to(v.state) as i32,
        due_time: Some(to_timestamp(v.due_at)),
        information_request: v.information_request.clone().unwrap_or_default(),
        information_response: v.information_response.clone().unwrap_or_default(),
        rejection_reason: v.rejection_reason.clone().unwrap_or_default(),
        reviewer: v.reviewer.clone().unwrap_or_default(),
        submit_time: Some(to_timestamp(v.submitted_at)),
        decide_time: v.decided_at.map(to_timestamp),
        update_time: Some(to_timestamp(v.updated_at)),
    }
}

pub fn transacting(t: &TransactingPartner) -> pb::TransactingPartner {
    pb::TransactingPartner {
        partner: partner_name(t.partner),
        partner_type: partner_type_to(t.partner_type) as i32,
        transacting_partner: t.transacting.map(partner_name).unwrap_or_default(),
        transacting_tenant_id: t.transacting.map(|x| x.to_string()).unwrap_or_default(),
        gcc_qualified: t.gcc_qualified,
        azure_gcc_tenant_ids: t.azure_gcc_tenants.iter().map(ToString::to_string).collect(),
        reseller_link_state: t.link.as_ref().map_or(pb::reseller_link::State::Unspecified, |(_, s)| link_state_to(*s))
            as i32,
        reseller_link: t.link.as_ref().map(|(id, _)| link_name(id)).unwrap_or_default(),
    }
}

pub fn link_name(id: &str) -> String {
    ResellerLinkName::new(id).to_string()
}

pub fn link_state_to(s: LinkState) -> pb::reseller_link::State {
    use pb::reseller_link::State as S;
    match s {
        LinkState::Invited => S::Invited,
        LinkState::Requested => S::Requested,
        LinkState::Active => S::Active,
        LinkState::Ended => S::Ended,
    }
}

pub fn link_state_from(s: pb::reseller_link::State) -> Option<LinkState> {
    use pb::reseller_link::State as S;
    match s {
        S::Unspecified => None,
        S::Invited => Some(LinkState::Invited),
        S::Requested => Some(LinkState::Requested),
        S::Active => Some(LinkState::Active),
        S::Ended => Some(LinkState::Ended),
    }
}

fn side_to(s: Option<Side>) -> pb::reseller_link::Side {
    match s {
        None => pb::reseller_link::Side::Unspecified,
        Some(Side::Provider) => pb::reseller_link::Side::Provider,
        Some(Side::Reseller) => pb::reseller_link::Side::Reseller,
    }
}

/// An optional e-mail address: empty is none; anything else must be an address.
pub fn optional_email(field: &str, s: &str) -> Result<Option<ContactEmail>, Problem> {
    match s.trim() {
        "" => Ok(None),
        s => ContactEmail::parse(s)
            .map(Some)
            .ok_or_else(|| Problem::invalid_field(field, "EMAIL_INVALID", "not an e-mail address")),
    }
}

pub fn link(l: &ResellerLink) -> pb::ResellerLink {
    pb::ResellerLink {
        name: link_name(&l.id),
        provider: partner_name(l.provider),
        reseller: partner_name(l.reseller),
        state: link_state_to(l.state) as i32,
        opened_by: side_to(Some(l.opened_by)) as i32,
        ended_by: side_to(l.ended_by) as i32,
        end_reason: l.end_reason.clone().unwrap_or_default(),
        create_time: Some(to_timestamp(l.created_at)),
        activate_time: l.activated_at.map(to_timestamp),
        end_time: l.ended_at.map(to_timestamp),
        update_time: Some(to_timestamp(l.updated_at)),
        provider_contact_email: l.provider_contact.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
        reseller_contact_email: l.reseller_contact.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
    }
}
