//! partner-eligibility's lists, as the indirect provider and as the reviewers see them:
//! partners (the provider and its resellers), partner validations, reseller links and
//! notifications.

use gcc_e2e::bulk;
use gcc_proto::notification as npb;
use gcc_proto::partner as ppb;
use gcc_testkit::reviewer_token;
use gcc_testkit::walk::admin;
use partner_eligibility::notify;

use crate::World;
use crate::probe::{PAGE_SIZE, Probe, pages};

const SERVICE: &str = "partner-eligibility";

pub fn probes(w: &World) -> Vec<Probe> {
    [partners(w), validations(w), links_and_notifications(w)].into_iter().flatten().collect()
}

fn partners(w: &World) -> Vec<Probe> {
    let c = w.stack.partners();
    let (me, reviewer) = (admin(w.provider), reviewer_token());
    let reseller = ppb::PartnerType::IndirectReseller as i32;
    vec![
        Probe::paged(
            SERVICE,
            "ListPartners (a provider: itself and its resellers)",
            pages!(c, me, list_partners, |t| {
                ppb::ListPartnersRequest { page_size: PAGE_SIZE, page_token: t, ..Default::default() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListPartners (reviewers, one type)",
            pages!(c, reviewer, list_partners, |t| {
                ppb::ListPartnersRequest { page_size: PAGE_SIZE, page_token: t, partner_type: reseller }
            }),
        ),
    ]
}

fn validations(w: &World) -> Vec<Probe> {
    let c = w.stack.partners();
    let (me, reviewer) = (admin(w.provider), reviewer_token());
    let provider = w.provider;
    let approved = ppb::partner_validation::State::Approved as i32;
    let rejected = ppb::partner_validation::State::Rejected as i32;
    vec![
        Probe::paged(
            SERVICE,
            "ListPartnerValidations (a partner's own)",
            pages!(c, me, list_partner_validations, |t| {
                ppb::ListPartnerValidationsRequest { page_size: PAGE_SIZE, page_token: t, ..Default::default() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListPartnerValidations (own, one state)",
            pages!(c, me, list_partner_validations, |t| {
                ppb::ListPartnerValidationsRequest {
                    page_size: PAGE_SIZE,
                    page_token: t,
                    state: approved,
                    ..Default::default()
                }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListPartnerValidations (reviewers, one partner)",
            pages!(c, reviewer, list_partner_validations, |t| {
                let partner = format!("partners/{provider}");
                ppb::ListPartnerValidationsRequest {
                    page_size: PAGE_SIZE,
                    page_token: t,
                    partner,
                    ..Default::default()
                }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListPartnerValidations (reviewers, one state)",
            pages!(c, reviewer, list_partner_validations, |t| {
                ppb::ListPartnerValidationsRequest {
                    page_size: PAGE_SIZE,
                    page_token: t,
                    state: rejected,
                    ..Default::default()
                }
            }),
        ),
    ]
}

fn links_and_notifications(w: &World) -> Vec<Probe> {
    let c = w.stack.partners();
    let me = admin(w.provider);
    let requested = ppb::reseller_link::State::Requested as i32;
    let failed = npb::notification::State::Failed as i32;
    vec![
        Probe::paged(
            SERVICE,
            "ListResellerLinks (a provider's)",
            pages!(c, me, list_reseller_links, |t| {
                ppb::ListResellerLinksRequest { page_size: PAGE_SIZE, page_token: t, ..Default::default() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListResellerLinks (a provider's, one state)",
            pages!(c, me, list_reseller_links, |t| {
                ppb::ListResellerLinksRequest { page_size: PAGE_SIZE, page_token: t, state: requested }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListNotifications (a partner's)",
            pages!(c, me, list_notifications, |t| {
                npb::ListNotificationsRequest { page_size: PAGE_SIZE, page_token: t, ..Default::default() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListNotifications (a partner's, one state)",
            pages!(c, me, list_notifications, |t| {
                npb::ListNotificationsRequest {
                    page_size: PAGE_SIZE,
                    page_token: t,
                    state: failed,
                    ..Default::default()
                }
            }),
        ),
    ]
}

/// Adds `rows` resellers with their links, `rows` partner validations and `rows`
/// notifications; `first` enrolls the other partners (as providers) first.
pub async fn grow(w: &World, rows: usize, first: bool) -> anyhow::Result<()> {
    let url = w.database(SERVICE);
    if first {
        let others: Vec<String> = w.others.iter().map(|(p, _)| p.clone()).collect();
        bulk::providers(url, &others).await?;
    }
    let owner = w.owner(w.provider, w.customer);
    bulk::resellers(url, rows, &owner).await?;
    bulk::partner_validations(url, rows, &owner).await?;
    let mail = bulk::Mail {
        kind: "partner_validation.approved",
        collection: "partnerValidations",
        template: notify::APPROVED,
    };
    bulk::notifications(url, rows, mail, &owner).await
}
