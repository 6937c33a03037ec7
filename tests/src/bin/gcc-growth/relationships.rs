//! relationships' lists, as the partner sees them: the customers it manages, its
//! relationship requests and its notifications.

use gcc_e2e::bulk;
use gcc_proto::notification as npb;
use gcc_proto::relationships as rpb;
use gcc_testkit::walk::admin;
use relationships::notify;

use crate::World;
use crate::probe::{PAGE_SIZE, Probe, pages};

const SERVICE: &str = "relationships";

pub fn probes(w: &World) -> Vec<Probe> {
    let c = w.stack.relationships();
    let me = admin(w.partner);
    let invited = rpb::relationship_request::State::Invited as i32;
    let failed = npb::notification::State::Failed as i32;
    vec![
        Probe::paged(
            SERVICE,
            "ListCustomers (a partner's)",
            pages!(c, me, list_customers, |t| {
                rpb::ListCustomersRequest { page_size: PAGE_SIZE, page_token: t, ..Default::default() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListCustomers (a partner's, name prefix)",
            pages!(c, me, list_customers, |t| {
                let name_prefix = "county".to_owned();
                rpb::ListCustomersRequest { page_size: PAGE_SIZE, page_token: t, name_prefix, ..Default::default() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListRelationshipRequests (a partner's)",
            pages!(c, me, list_relationship_requests, |t| {
                rpb::ListRelationshipRequestsRequest { page_size: PAGE_SIZE, page_token: t, ..Default::default() }
            }),
        ),
        Probe::paged(
            SERVICE,
            "ListRelationshipRequests (a partner's, one state)",
            pages!(c, me, list_relationship_requests, |t| {
                rpb::ListRelationshipRequestsRequest { page_size: PAGE_SIZE, page_token: t, state: invited }
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

/// Adds `rows` customers with their relationships, `rows` relationship requests and
/// `rows` notifications.
pub async fn grow(w: &World, rows: usize) -> anyhow::Result<()> {
    let url = w.database(SERVICE);
    let owner = w.owner(w.partner, w.customer);
    bulk::customers(url, rows, &owner).await?;
    bulk::relationship_requests(url, rows, &owner).await?;
    let mail = bulk::Mail {
        kind: "relationship_request.accepted",
        collection: "relationshipRequests",
        template: notify::ACCEPTED,
    };
    bulk::notifications(url, rows, mail, &owner).await
}
