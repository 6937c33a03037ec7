//! partner-eligibility's partners, reseller links and partner validations, as enrollment,
//! the links' moves and the reviews write them.

use gcc_platform::ids::new_id;
use partner_eligibility::domain::{LinkState, PartnerType, QualifyingBasis, Side, ValidationState};

use super::{Rows, V, now_micros, write};

const PARTNERS: &str =
    "partners (tenant_id, legal_name, partner_type, azure_gcc_tenant_id, indirect_provider, created_at, updated_at)";

/// Enrolls `tenants` as indirect providers, for the rows of other partners to name.
pub async fn providers(url: &str, tenants: &[String]) -> anyhow::Result<()> {
    let now = now_micros();
    write(url, tenants.len(), |range| {
        let mut partners = Rows::new(PARTNERS);
        for i in range {
            let name = format!("Provider {i} Government Solutions LLC");
            let kind = PartnerType::IndirectProvider.as_str();
            partners.push([
                tenants[i].clone().into(),
                name.into(),
                kind.into(),
                V::OptText(None),
                V::OptText(None),
                now.into(),
                now.into(),
            ]);
        }
        vec![partners]
    })
    .await
}

/// Adds `rows` indirect resellers, each enrolled naming the provider `owner(i).0` and with
/// one reseller link to it: active for half of them, requested or ended for a quarter
/// each. The providers must be enrolled.
pub async fn resellers(url: &str, rows: usize, owner: impl Fn(usize) -> (String, String)) -> anyhow::Result<()> {
    let now = now_micros();
    write(url, rows, |range| {
        let mut partners = Rows::new(PARTNERS);
        let mut links = Rows::new(
            "reseller_links (id, provider_tenant, reseller_tenant, state, opened_by, ended_by, end_reason, created_at, \
             activated_at, ended_at, updated_at, provider_contact_email, reseller_contact_email)",
        );
        for i in range {
            let (provider, _) = owner(i);
            let reseller = uuid::Uuid::new_v4().to_string();
            let name = format!("Reseller {i} Federal Services Inc.");
            let kind = PartnerType::IndirectReseller.as_str();
            partners.push([
                reseller.clone().into(),
                name.into(),
                kind.into(),
                V::OptText(None),
                provider.clone().into(),
                now.into(),
                now.into(),
            ]);
            // Owners alternate, so the state follows every other row.
            let state = [LinkState::Active, LinkState::Active, LinkState::Requested, LinkState::Ended][(i / 2) % 4];
            let ended = state == LinkState::Ended;
            let activated = matches!(state, LinkState::Active | LinkState::Ended).then_some(now);
            links.push([
                new_id().into(),
                provider.into(),
                reseller.into(),
                state.as_str().into(),
                Side::Reseller.as_str().into(),
                ended.then(|| Side::Provider.as_str().to_owned()).into(),
                ended.then(|| "The reseller agreement ended.".to_owned()).into(),
                now.into(),
                activated.into(),
                ended.then_some(now).into(),
                now.into(),
                Some(format!("partners@provider-{}.example", i % 1000)).into(),
                Some(format!("admin@reseller-{i}.example")).into(),
            ]);
        }
        vec![partners, links]
    })
    .await
}

/// Adds `rows` decided partner validations of the partner `owner(i).0` (enrolled): three
/// in four approved, the rest rejected (a partner has at most one open review).
pub async fn partner_validations(
    url: &str,
    rows: usize,
    owner: impl Fn(usize) -> (String, String),
) -> anyhow::Result<()> {
    let now = now_micros();
    write(url, rows, |range| {
        let mut validations = Rows::new(
            "partner_validations (id, partner_tenant, tenant_id, qualifying_basis, contact_email, details, state, \
             due_at, information_request, information_response, rejection_reason, reviewer, submitted_at, \
             decided_at, updated_at)",
        );
        for i in range {
            let (partner, _) = owner(i);
            let rejected = (i / 2) % 4 == 3;
            let state = if rejected { ValidationState::Rejected } else { ValidationState::Approved };
            validations.push([
                new_id().into(),
                partner.clone().into(),
                partner.into(),
                QualifyingBasis::GovernmentEntities.as_str().into(),
                "gov@partner.example".into(),
                "State and local agencies under contract since 2019.".into(),
                state.as_str().into(),
                (now + 2 * 86_400_000_000).into(),
                V::OptText(None),
                V::OptText(None),
                rejected.then(|| "The contracts named are not with government entities.".to_owned()).into(),
                Some("reviewer@eligibility.example".to_owned()).into(),
                now.into(),
                Some(now).into(),
                now.into(),
            ]);
        }
        vec![validations]
    })
    .await
}
