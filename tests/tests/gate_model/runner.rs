//! The system under test: the four services over TCP, each step one call (or a call and a
//! read of the name it created) with the role the contracts give it. Runs a step against
//! the model's state *before* it, and records the names the services gave.

use gcc_e2e::Stack;
use gcc_platform::TenantId;
use gcc_proto::ordering::ordering_service_client::OrderingServiceClient;
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient;
use gcc_proto::{ordering as opb, partner as ppb};
use gcc_testkit::walk::{admin, enrollment};
use gcc_testkit::{authed, reviewer_token};
use tonic::Status;
use tonic::transport::Channel;

use super::model::{Kind, Model, Side};
use super::steps::{COMMERCIAL_OFFERS, GCC_OFFERS, Step};
use super::world::World;

pub struct Sut {
    pub(super) partners: PartnerEligibilityServiceClient<Channel>,
    pub(super) relationships: RelationshipsServiceClient<Channel>,
    pub(super) validation: CustomerValidationServiceClient<Channel>,
    pub(super) ordering: OrderingServiceClient<Channel>,
}

/// A successful answer that contradicts the step itself (never a refusal the model
/// could expect: no reason).
pub(super) fn ensure(holds: bool, what: &str) -> Result<(), Status> {
    if holds { Ok(()) } else { Err(Status::internal(format!("the answer contradicts the step: {what}"))) }
}

pub(super) fn partner_name(t: TenantId) -> String {
    format!("partners/{t}")
}

impl Sut {
    pub async fn connect(s: &Stack) -> Self {
        let ordering = OrderingServiceClient::new(gcc_testkit::channel(s.addrs.ordering).await);
        Self { partners: s.partners(), relationships: s.relationships(), validation: s.validation(), ordering }
    }

    /// The offers the steps use exist, gated as their names say (R21).
    pub async fn check_catalog(&self) {
        let req = opb::ListOffersRequest { page_size: 500, ..Default::default() };
        let offers = self.ordering.clone().list_offers(authed(req, &admin(TenantId::random()))).await;
        let offers = offers.expect("list the catalog").into_inner().offers;
        for (id, gated) in GCC_OFFERS.iter().map(|o| (o, true)).chain(COMMERCIAL_OFFERS.iter().map(|o| (o, false))) {
            let offer = offers.iter().find(|o| o.name == format!("offers/{id}"));
            assert_eq!(offer.map(|o| o.requires_gcc), Some(gated), "offers/{id} in the catalog");
        }
    }

    /// Runs `step`; `m` is the model as it stood before it.
    pub async fn run(&self, w: &mut World, m: &Model, step: &Step) -> Result<(), Status> {
        match *step {
            Step::Enroll { partner, provider } => self.enroll(w, m, partner, provider).await,
            Step::RequestLink { reseller, provider } => self.open_link(w, provider, reseller, Side::Reseller).await,
            Step::InviteReseller { provider, reseller } => self.open_link(w, provider, reseller, Side::Provider).await,
            Step::ApproveLink { link, side } => self.move_link(w, m, link, side, true).await,
            Step::EndLink { link, side } => self.move_link(w, m, link, side, false).await,
            Step::SubmitPartner { partner } => self.submit_partner(w, partner).await,
            Step::DecidePartner { validation, approve } => self.decide_partner(w, validation, approve).await,
            Step::CreateCustomer { partner, org, at_root } => self.create_customer(w, m, partner, org, at_root).await,
            Step::SubmitCustomer { partner, org, customer, own_tenant } => {
                self.submit_customer(w, m, partner, org, customer, own_tenant).await
            }
            Step::DecideCustomer { validation, approve, uses } => {
                self.decide_customer(w, validation, approve, uses).await
            }
            Step::ApplyCode { partner, code, customer } => self.apply_code(w, partner, code, customer).await,
            Step::Invite { partner, customer } => self.invite(w, partner, customer).await,
            Step::Accept { invitation } => self.accept(w, m, invitation).await,
            Step::Withdraw { invitation } => self.withdraw(w, m, invitation).await,
            Step::Revoke { partner, customer, by_customer } => self.revoke(w, partner, customer, by_customer).await,
            Step::Order { partner, customer, offer } => self.order(w, partner, customer, offer).await,
        }
    }

    async fn enroll(&self, w: &mut World, m: &Model, p: usize, provider: usize) -> Result<(), Status> {
        let (tenant, kind) = (w.partners[p], m.partners[p].kind);
        let proto_kind = match kind {
            Kind::Direct => ppb::PartnerType::DirectReseller,
            Kind::Provider => ppb::PartnerType::IndirectProvider,
            Kind::Reseller => ppb::PartnerType::IndirectReseller,
        };
        let named = (kind == Kind::Reseller).then(|| w.partners[provider]);
        let req = enrollment(tenant, proto_kind, named);
        self.partners.clone().enroll_partner(authed(req, &admin(tenant))).await?;
        if kind == Kind::Reseller {
            // Enrolling opened a link, or joined the provider's invitation: its name.
            let lookup = ppb::LookupTransactingPartnerRequest { tenant_id: tenant.to_string() };
            let t = self.partners.clone().lookup_transacting_partner(authed(lookup, &admin(tenant))).await?;
            let link = t.into_inner().reseller_link;
            if !w.links.contains(&link) {
                w.links.push(link);
            }
        }
        Ok(())
    }

    async fn open_link(&self, w: &mut World, provider: usize, reseller: usize, by: Side) -> Result<(), Status> {
        let caller = w.partners[if by == Side::Provider { provider } else { reseller }];
        let link = ppb::ResellerLink {
            provider: partner_name(w.partners[provider]),
            reseller: partner_name(w.partners[reseller]),
            ..Default::default()
        };
        let req = ppb::CreateResellerLinkRequest { reseller_link: Some(link), request_id: String::new() };
        let link = self.partners.clone().create_reseller_link(authed(req, &admin(caller))).await?.into_inner();
        let want = if by == Side::Provider {
            ppb::reseller_link::State::Invited
        } else {
            ppb::reseller_link::State::Requested
        };
        ensure(link.state == want as i32, "a new link waits for the other side")?;
        w.links.push(link.name);
        Ok(())
    }

    async fn move_link(&self, w: &World, m: &Model, l: usize, side: Side, approve: bool) -> Result<(), Status> {
        let token = admin(w.partners[m.links[l].party(side)]);
        let name = w.links[l].clone();
        let mut partners = self.partners.clone();
        let (link, want) = if approve {
            let req = ppb::ApproveResellerLinkRequest { name, ..Default::default() };
            (partners.approve_reseller_link(authed(req, &token)).await?, ppb::reseller_link::State::Active)
        } else {
            let req = ppb::EndResellerLinkRequest {
                name,
                reason: "no longer selling together".into(),
                request_id: String::new(),
            };
            (partners.end_reseller_link(authed(req, &token)).await?, ppb::reseller_link::State::Ended)
        };
        ensure(link.into_inner().state == want as i32, "the link moved to the state asked for")
    }

    async fn submit_partner(&self, w: &mut World, p: usize) -> Result<(), Status> {
        let tenant = w.partners[p];
        let validation = ppb::PartnerValidation {
            tenant_id: tenant.to_string(),
            qualifying_basis: ppb::QualifyingBasis::GovernmentEntities as i32,
            contact_email: "gov@partner.example".into(),
            ..Default::default()
        };
        let req =
            ppb::SubmitPartnerValidationRequest { partner_validation: Some(validation), request_id: String::new() };
        let v = self.partners.clone().submit_partner_validation(authed(req, &admin(tenant))).await?.into_inner();
        w.partner_validations.push(v.name);
        Ok(())
    }

    async fn decide_partner(&self, w: &World, v: usize, approve: bool) -> Result<(), Status> {
        let name = w.partner_validations[v].clone();
        let mut partners = self.partners.clone();
        let decided = if approve {
            let req = ppb::ApprovePartnerValidationRequest { name, request_id: String::new() };
            partners.approve_partner_validation(authed(req, &reviewer_token())).await?
        } else {
            let req = ppb::RejectPartnerValidationRequest {
                name,
                reason: "no government customers".into(),
                request_id: String::new(),
            };
            partners.reject_partner_validation(authed(req, &reviewer_token())).await?
        };
        let want =
            if approve { ppb::partner_validation::State::Approved } else { ppb::partner_validation::State::Rejected };
        ensure(decided.into_inner().state == want as i32, "the review reached the decision asked for")
    }
}
