//! Scenario 6, watch across replicas: watchers on replica 1 of each service, every change made
//! through replica 2. Each change must reach the watcher within a second, in order, once.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use gcc_platform::TenantId;
use gcc_proto::partner::{self as ppb, partner_validation::State as PvState};
use gcc_proto::relationships::{self as rpb, relationship_event::Kind};
use gcc_proto::validation::{self as vpb, customer_validation::State as CvState};
use gcc_testkit::walk::{Steps, admin};
use gcc_testkit::{authed, reviewer_token};
use tonic::Streaming;
use tonic::transport::Channel;

use crate::cluster::{Cluster, Service};
use crate::scenarios::Row;

const WITHIN: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Tally {
    changes: usize,
    missed: Vec<String>,
    duplicates: usize,
    slowest: Duration,
}

impl Tally {
    /// The next message on `stream` must be `want`, within a second of `made` (when the
    /// change's call returned).
    async fn expect<T, L: PartialEq + Debug>(
        &mut self,
        what: &str,
        stream: &mut Streaming<T>,
        want: L,
        label: impl Fn(&T) -> L,
        made: Instant,
    ) {
        self.changes += 1;
        match tokio::time::timeout(WITHIN, stream.message()).await {
            Ok(Ok(Some(m))) => {
                self.slowest = self.slowest.max(made.elapsed());
                let got = label(&m);
                if got != want {
                    self.missed.push(format!("{what}: expected {want:?}, got {got:?}"));
                }
            }
            Ok(Ok(None)) => self.missed.push(format!("{what}: the stream ended before {want:?}")),
            Ok(Err(s)) => self.missed.push(format!("{what}: the stream failed: {:?} {}", s.code(), s.message())),
            Err(_) => self.missed.push(format!("{what}: {want:?} not seen within {WITHIN:?}")),
        }
    }

    /// A stream of one resource ends at its final state, with nothing repeated.
    async fn expect_end<T>(&mut self, what: &str, stream: &mut Streaming<T>) {
        match tokio::time::timeout(WITHIN, stream.message()).await {
            Ok(Ok(None)) => {}
            Ok(Ok(Some(_))) => self.duplicates += 1,
            Ok(Err(s)) => self.missed.push(format!("{what}: the stream failed at its end: {:?}", s.code())),
            Err(_) => self.missed.push(format!("{what}: the stream did not end at the final state")),
        }
    }
}

async fn channel(cluster: &Cluster, s: Service, number: usize) -> anyhow::Result<Channel> {
    let addr = cluster.replicas[cluster.replica(s, number)].addr;
    Ok(tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?.connect().await?)
}

pub async fn across_replicas(cluster: &Cluster) -> anyhow::Result<Row> {
    let mut row =
        Row { scenario: "6. watch across replicas (watch on r1, change through r2)".into(), ..Default::default() };
    let (pa, pb) = (channel(cluster, Service::Partner, 1).await?, channel(cluster, Service::Partner, 2).await?);
    let (va, vb) = (channel(cluster, Service::Validation, 1).await?, channel(cluster, Service::Validation, 2).await?);
    let (ra, rb) =
        (channel(cluster, Service::Relationships, 1).await?, channel(cluster, Service::Relationships, 2).await?);
    let through_b = Steps::new(pb.clone(), rb.clone(), vb.clone());
    let on_a = Steps::new(pa, ra, va);
    let mut t = Tally::default();

    // Partner validations (partner-eligibility).
    let partner = through_b.enrolled(ppb::PartnerType::DirectReseller, None).await;
    let submit = ppb::SubmitPartnerValidationRequest {
        partner_validation: Some(ppb::PartnerValidation {
            tenant_id: partner.to_string(),
            qualifying_basis: ppb::QualifyingBasis::GovernmentEntities as i32,
            contact_email: "gov@partner.example".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let v = through_b.partners().submit_partner_validation(authed(submit, &admin(partner))).await?.into_inner();
    let watch = ppb::WatchPartnerValidationRequest { name: v.name.clone() };
    let mut pv = on_a.partners().watch_partner_validation(authed(watch, &admin(partner))).await?.into_inner();
    let pv_state = |m: &ppb::PartnerValidation| PvState::try_from(m.state).unwrap_or(PvState::Unspecified);
    t.expect("partner validation", &mut pv, PvState::PendingReview, pv_state, Instant::now()).await;
    t.changes -= 1; // the current state, not a change
    let ask = ppb::RequestPartnerValidationInformationRequest {
        name: v.name.clone(),
        question: "Which agencies?".into(),
        request_id: String::new(),
    };
    through_b.partners().request_partner_validation_information(authed(ask, &reviewer_token())).await?;
    t.expect("partner validation", &mut pv, PvState::InformationRequested, pv_state, Instant::now()).await;
    let answer = ppb::ProvidePartnerValidationInformationRequest {
        name: v.name.clone(),
        answer: "Arlington County".into(),
        request_id: String::new(),
    };
    through_b.partners().provide_partner_validation_information(authed(answer, &admin(partner))).await?;
    t.expect("partner validation", &mut pv, PvState::PendingReview, pv_state, Instant::now()).await;
    let approve = ppb::ApprovePartnerValidationRequest { name: v.name.clone(), request_id: String::new() };
    through_b.partners().approve_partner_validation(authed(approve, &reviewer_token())).await?;
    t.expect("partner validation", &mut pv, PvState::Approved, pv_state, Instant::now()).await;
    t.expect_end("partner validation", &mut pv).await;

    // Reseller links (partner-eligibility).
    let provider = through_b.enrolled(ppb::PartnerType::IndirectProvider, None).await;
    let reseller = TenantId::random();
    let enroll = gcc_testkit::walk::enrollment(reseller, ppb::PartnerType::IndirectReseller, Some(provider));
    through_b.partners().enroll_partner(authed(enroll, &admin(reseller))).await?;
    let lookup = ppb::LookupTransactingPartnerRequest { tenant_id: reseller.to_string() };
    let link = through_b.partners().lookup_transacting_partner(authed(lookup, &admin(reseller))).await?;
    let link = link.into_inner().reseller_link;
    let watch = ppb::WatchResellerLinkRequest { name: link.clone() };
    let mut links = on_a.partners().watch_reseller_link(authed(watch, &admin(reseller))).await?.into_inner();
    let link_state = |m: &ppb::ResellerLink| m.state;
    t.expect("reseller link", &mut links, ppb::reseller_link::State::Requested as i32, link_state, Instant::now())
        .await;
    t.changes -= 1;
    let approve = ppb::ApproveResellerLinkRequest { name: link.clone(), ..Default::default() };
    through_b.partners().approve_reseller_link(authed(approve, &admin(provider))).await?;
    t.expect("reseller link", &mut links, ppb::reseller_link::State::Active as i32, link_state, Instant::now()).await;
    let end = ppb::EndResellerLinkRequest { name: link, reason: String::new(), request_id: String::new() };
    through_b.partners().end_reseller_link(authed(end, &admin(reseller))).await?;
    t.expect("reseller link", &mut links, ppb::reseller_link::State::Ended as i32, link_state, Instant::now()).await;
    t.expect_end("reseller link", &mut links).await;

    // Customer validations (customer-validation).
    let gcc_partner = through_b.gcc_partner().await;
    let customer = through_b.customer_of(gcc_partner).await;
    let v = through_b.submitted(gcc_partner, gcc_partner, Some(customer)).await;
    let watch = vpb::WatchCustomerValidationRequest { name: v.name.clone() };
    let mut cv = on_a.validation().watch_customer_validation(authed(watch, &admin(gcc_partner))).await?.into_inner();
    let cv_state = |m: &vpb::CustomerValidation| CvState::try_from(m.state).unwrap_or(CvState::Unspecified);
    t.expect("customer validation", &mut cv, CvState::PendingReview, cv_state, Instant::now()).await;
    t.changes -= 1;
    let contact =
        vpb::ContactCustomerRequest { name: v.name.clone(), note: "Which office?".into(), request_id: String::new() };
    through_b.validation().contact_customer(authed(contact, &reviewer_token())).await?;
    t.expect("customer validation", &mut cv, CvState::ContactingCustomer, cv_state, Instant::now()).await;
    let resume = vpb::ResumeCustomerValidationReviewRequest { name: v.name.clone(), request_id: String::new() };
    through_b.validation().resume_customer_validation_review(authed(resume, &reviewer_token())).await?;
    t.expect("customer validation", &mut cv, CvState::PendingReview, cv_state, Instant::now()).await;
    through_b.approved(&v.name).await;
    t.expect("customer validation", &mut cv, CvState::Approved, cv_state, Instant::now()).await;
    t.expect_end("customer validation", &mut cv).await;

    // Relationship events (relationships): a feed, so the last change goes through
    // replica 1 and must be the next event (nothing repeated before it).
    let sales = gcc_testkit::token(partner, &[gcc_platform::Role::SalesAgent]);
    let mut events = on_a
        .relationships()
        .watch_relationship_events(authed(rpb::WatchRelationshipEventsRequest {}, &sales))
        .await?
        .into_inner();
    let event = |m: &rpb::RelationshipEvent| (Kind::try_from(m.kind).unwrap_or(Kind::Unspecified), m.customer.clone());
    let mut first = None;
    for _ in 0..4 {
        let c = through_b.customer_of(partner).await;
        first.get_or_insert(c);
        t.expect(
            "relationship events",
            &mut events,
            (Kind::Activated, format!("customers/{c}")),
            event,
            Instant::now(),
        )
        .await;
    }
    let first = first.unwrap_or(customer);
    let revoke =
        rpb::RevokeCustomerRelationshipRequest { customer: format!("customers/{first}"), ..Default::default() };
    through_b.relationships().revoke_customer_relationship(authed(revoke, &admin(partner))).await?;
    t.expect("relationship events", &mut events, (Kind::Revoked, format!("customers/{first}")), event, Instant::now())
        .await;
    let last = on_a.customer_of(partner).await;
    match tokio::time::timeout(WITHIN, events.message()).await {
        Ok(Ok(Some(m))) if event(&m) == (Kind::Activated, format!("customers/{last}")) => {}
        Ok(Ok(Some(_))) => t.duplicates += 1,
        _ => t.missed.push("relationship events: a change through replica 1 not seen".into()),
    }

    row.calls = t.changes;
    row.failed = t.missed.len();
    row.duplicates = t.duplicates;
    row.recovery = format!("{} ms (slowest change to reach replica 1)", t.slowest.as_millis());
    row.check(t.missed.is_empty(), format!("changes not seen in order within 1 s: {:?}", t.missed));
    row.check(t.duplicates == 0, format!("{} changes seen twice", t.duplicates));
    row.notes.push(format!(
        "{} changes through replica 2 (partner validations, reseller links, customer validations, relationship events), each seen on replica 1",
        t.changes
    ));
    Ok(row)
}
