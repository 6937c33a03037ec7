//! customer-validation's lists, as the partner and as the reviewers see them: customer
//! validations, validation codes, a customer's special qualifications and notifications.

use customer_validation::notify;
use gcc_e2e::bulk;
use gcc_proto::notification as npb;
use gcc_proto::validation as vpb;
use gcc_testkit::reviewer_token;
use gcc_testkit::walk::admin;

use crate::World;
use crate::probe::{PAGE_SIZE, Probe, pages, single};

const SERVICE: &str = "customer-validation";

pub fn probes(w: &World) -> Vec<Probe> {
    [validations(w), codes_and_notifications(w)].into_iter().flatten().collect()
}

fn validations(w: &World) -> Vec<Probe> {
    let c = w.stack.validation();
    let (me, reviewer) = (admin(w.partner), reviewer_token());
    let approved = vpb::customer_validation::State::Approved as i32;
    let pending = vpb::customer_validation::State::PendingReview as i32;
    vec![
        Probe::paged(
            SERVICE,
            "ListCustomerValidations (a partner's)",
            pages!(c, me, list_customer_validations, |t| {
                vpb::ListCustomerValidationsRequest { page_size: PAGE_SIZE, page_token: t, ..Default::default() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListCustomerValidations (a partner's, one state)",
            pages!(c, me, list_customer_validations, |t| {
                vpb::ListCustomerValidationsRequest {
                    page_size: PAGE_SIZE,
                    page_token: t,
                    state: approved,
                    ..Default::default()
                }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListCustomerValidations (reviewers, one state)",
            pages!(c, reviewer, list_customer_validations, |t| {
                vpb::ListCustomerValidationsRequest {
                    page_size: PAGE_SIZE,
                    page_token: t,
                    state: pending,
                    ..Default::default()
                }
            }),
        ),
    ]
}

fn codes_and_notifications(w: &World) -> Vec<Probe> {
    let c = w.stack.validation();
    let me = admin(w.partner);
    let customer = w.customer;
    let failed = npb::notification::State::Failed as i32;
    vec![
        Probe::paged(
            SERVICE,
            "ListValidationCodes (a partner's, unspent)",
            pages!(c, me, list_validation_codes, |t| {
                vpb::ListValidationCodesRequest { page_size: PAGE_SIZE, page_token: t, include_spent: false }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListValidationCodes (a partner's, spent too)",
            pages!(c, me, list_validation_codes, |t| {
                vpb::ListValidationCodesRequest { page_size: PAGE_SIZE, page_token: t, include_spent: true }
            }),
        ),
        Probe::single(
            SERVICE,
            "ListSpecialQualifications (one customer)",
            single!(c, me, list_special_qualifications, {
                vpb::ListSpecialQualificationsRequest { customer: format!("customers/{customer}") }
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

/// Adds `rows` customer validations (with the codes and special qualifications of the
/// approved ones) and `rows` notifications.
pub async fn grow(w: &World, rows: usize) -> anyhow::Result<()> {
    let url = w.database(SERVICE);
    let owner = w.owner(w.partner, w.customer);
    bulk::customer_validations(url, rows, &owner).await?;
    let mail = bulk::Mail {
        kind: "customer_validation.approved",
        collection: "customerValidations",
        template: notify::APPROVED,
    };
    bulk::notifications(url, rows, mail, &owner).await
}
