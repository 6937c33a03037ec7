//! The source document's set-up steps, shared by every suite that runs several services:
//! partners enrolled and GCC-qualified (R1, R5), customers created (R17), validated with
//! a code (R8, R9, R12) or invited and accepted (R14, R15). A step that fails is a broken
//! set-up, so it panics with the refusal; the calls a test is about return their
//! `Result` from the suite itself, built with the request builders here.

use std::path::{Path, PathBuf};

use gcc_platform::{Role, TenantId};
use gcc_proto::ordering as opb;
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient;
use gcc_proto::{partner as ppb, relationships as rpb, validation as vpb};
use tonic::transport::Channel;

use crate::{authed, reviewer_token, token};

/// An admin agent of `tenant`.
pub fn admin(tenant: TenantId) -> String {
    token(tenant, &[Role::AdminAgent])
}

/// Servers' flags: `defaults` as flag/value pairs, with any flag in `extra` replacing its
/// default, after `program`.
pub fn merge_args<'a>(program: &'a str, defaults: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![program];
    for pair in defaults.chunks(2) {
        if !extra.contains(&pair[0]) {
            args.extend_from_slice(pair);
        }
    }
    args.extend_from_slice(extra);
    args
}

/// The relationships server's invitation key, in a file that lives as long as the test.
pub struct InvitationKeyFile(PathBuf);

impl InvitationKeyFile {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("gcc-invitation-{}.key", uuid::Uuid::new_v4()));
        std::fs::write(&path, "test-invitation-key-of-at-least-32-bytes!!").expect("write the invitation key");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Default for InvitationKeyFile {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for InvitationKeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Enrollment of `tenant` as a partner of `kind`; an indirect reseller names `provider`.
pub fn enrollment(tenant: TenantId, kind: ppb::PartnerType, provider: Option<TenantId>) -> ppb::EnrollPartnerRequest {
    ppb::EnrollPartnerRequest {
        partner: Some(ppb::Partner {
            legal_name: format!("Partner {tenant}"),
            partner_type: kind as i32,
            indirect_provider: provider.map(|p| format!("partners/{p}")).unwrap_or_default(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// A complete company profile of an agency at `domain`.
pub fn company_profile(domain: &str) -> rpb::CompanyProfile {
    rpb::CompanyProfile {
        legal_name: format!("Agency of {domain}"),
        domain: domain.to_owned(),
        postal_address: Some(rpb::PostalAddress {
            region_code: "US".into(),
            administrative_area: "VA".into(),
            locality: "Arlington".into(),
            postal_code: "22201".into(),
            address_lines: vec!["1 Main Street".into()],
        }),
        contact_email: format!("it.admin@{domain}"),
    }
}

/// The token of an invitation link.
pub fn token_of(url: &str) -> String {
    url.split_once("?token=").expect("a link with a token").1.to_owned()
}

/// A fresh organization domain: at most one validation per organization is open at a
/// time (R12), so each submission that is not about a particular one gets its own.
pub fn fresh_domain() -> String {
    format!("org-{}.example.gov", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A complete customer validation request naming `transacting` as the transacting
/// partner's tenant (R8a, R9), for a fresh organization, and for `customer` if it exists
/// already (then its domain must be the organization's: see `submission_for`).
pub fn submission(transacting: TenantId, customer: Option<TenantId>) -> vpb::SubmitCustomerValidationRequest {
    submission_for(transacting, &fresh_domain(), customer)
}

/// A complete customer validation request for the organization at `domain` (R8a, R9, R12).
pub fn submission_for(
    transacting: TenantId,
    domain: &str,
    customer: Option<TenantId>,
) -> vpb::SubmitCustomerValidationRequest {
    vpb::SubmitCustomerValidationRequest {
        customer_validation: Some(vpb::CustomerValidation {
            partner_tenant_id: transacting.to_string(),
            customer: customer.map(|c| format!("customers/{c}")).unwrap_or_default(),
            organization: Some(vpb::Organization {
                legal_name: "Arlington County".into(),
                domain: domain.into(),
                address_lines: vec!["2100 Clarendon Blvd".into()],
                region_code: "US".into(),
                contact_name: "Pat Doe".into(),
                contact_email: format!("pat.doe@{domain}"),
            }),
            eligibility: Some(vpb::CustomerEligibility {
                basis: Some(vpb::customer_eligibility::Basis::GovernmentEntity(
                    vpb::GovernmentEntityKind::Local as i32,
                )),
                us_presence: String::new(),
            }),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// Approval of the validation `name`, its code good for `uses` customers (R12).
pub fn approval(name: &str, uses: i32) -> vpb::ApproveCustomerValidationRequest {
    vpb::ApproveCustomerValidationRequest { name: name.into(), code_uses: uses, request_id: String::new() }
}

/// Application of a validation code to `customer` (R12).
pub fn code_application(code: &str, customer: TenantId) -> vpb::ApplyValidationCodeRequest {
    vpb::ApplyValidationCodeRequest {
        validation_code: code.into(),
        customer: format!("customers/{customer}"),
        request_id: String::new(),
    }
}

/// `provider` approves the link that `reseller` asked for when it enrolled (R1a).
pub async fn approve_link(
    partners: &mut PartnerEligibilityServiceClient<Channel>,
    provider: TenantId,
    reseller: TenantId,
) -> ppb::ResellerLink {
    let lookup = ppb::LookupTransactingPartnerRequest { tenant_id: reseller.to_string() };
    let t = partners.lookup_transacting_partner(authed(lookup, &admin(reseller))).await;
    let link = t.expect("look up the reseller's link").into_inner().reseller_link;
    let approve = ppb::ApproveResellerLinkRequest { name: link, ..Default::default() };
    let l = partners.approve_reseller_link(authed(approve, &admin(provider))).await;
    l.expect("the provider approves the link").into_inner()
}

/// A PlaceOrder request for `customer` with `(offer id, quantity)` lines.
pub fn order(customer: TenantId, lines: &[(&str, i32)], request_id: &str) -> opb::PlaceOrderRequest {
    opb::PlaceOrderRequest {
        order: Some(opb::Order {
            customer: format!("customers/{customer}"),
            lines: lines
                .iter()
                .map(|(offer, quantity)| opb::OrderLine {
                    offer: format!("offers/{offer}"),
                    quantity: *quantity,
                    subscription: String::new(),
                })
                .collect(),
            ..Default::default()
        }),
        request_id: request_id.to_owned(),
    }
}

/// The set-up steps, over connections to partner-eligibility, relationships and
/// customer-validation.
#[derive(Clone)]
pub struct Steps {
    partner: Channel,
    relationships: Channel,
    validation: Channel,
}

impl Steps {
    pub fn new(partner: Channel, relationships: Channel, validation: Channel) -> Self {
        Self { partner, relationships, validation }
    }

    pub fn partners(&self) -> PartnerEligibilityServiceClient<Channel> {
        PartnerEligibilityServiceClient::new(self.partner.clone())
    }

    pub fn relationships(&self) -> RelationshipsServiceClient<Channel> {
        RelationshipsServiceClient::new(self.relationships.clone())
    }

    pub fn validation(&self) -> CustomerValidationServiceClient<Channel> {
        CustomerValidationServiceClient::new(self.validation.clone())
    }

    /// A newly enrolled partner (R1); an indirect reseller names `provider`, which
    /// approves the link at once (R1a), so that the reseller transacts through it.
    pub async fn enrolled(&self, kind: ppb::PartnerType, provider: Option<TenantId>) -> TenantId {
        let tenant = TenantId::random();
        let req = enrollment(tenant, kind, provider);
        self.partners().enroll_partner(authed(req, &admin(tenant))).await.expect("enroll a partner");
        if let Some(provider) = provider {
            self.link_approved(provider, tenant).await;
        }
        tenant
    }

    /// `provider` approves `reseller`'s pending request for a link (R1a).
    pub async fn link_approved(&self, provider: TenantId, reseller: TenantId) -> ppb::ResellerLink {
        approve_link(&mut self.partners(), provider, reseller).await
    }

    /// Submits and approves `tenant`'s partner GCC validation (R2–R5).
    pub async fn qualify(&self, tenant: TenantId) {
        let req = ppb::SubmitPartnerValidationRequest {
            partner_validation: Some(ppb::PartnerValidation {
                tenant_id: tenant.to_string(),
                qualifying_basis: ppb::QualifyingBasis::GovernmentEntities as i32,
                contact_email: "gov@partner.example".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let v = self
            .partners()
            .submit_partner_validation(authed(req, &admin(tenant)))
            .await
            .expect("submit a partner validation")
            .into_inner();
        let approve = ppb::ApprovePartnerValidationRequest { name: v.name, request_id: String::new() };
        self.partners()
            .approve_partner_validation(authed(approve, &reviewer_token()))
            .await
            .expect("approve a partner validation");
    }

    /// A direct reseller holding GCC.
    pub async fn gcc_partner(&self) -> TenantId {
        let tenant = self.enrolled(ppb::PartnerType::DirectReseller, None).await;
        self.qualify(tenant).await;
        tenant
    }

    /// A new customer created by `partner`, which manages it at once (R17).
    pub async fn customer_of(&self, partner: TenantId) -> TenantId {
        let domain = format!("agency-{}.example.gov", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        self.customer_at(partner, &domain).await
    }

    /// A new customer of `partner` at `domain`.
    pub async fn customer_at(&self, partner: TenantId, domain: &str) -> TenantId {
        let req = rpb::CreateCustomerRequest {
            customer: Some(rpb::Customer { company_profile: Some(company_profile(domain)), ..Default::default() }),
            request_id: String::new(),
        };
        let c = self
            .relationships()
            .create_customer(authed(req, &admin(partner)))
            .await
            .expect("create a customer")
            .into_inner();
        TenantId::parse(&c.tenant_id).expect("the customer's tenant id")
    }

    /// `partner` submits a customer validation naming `transacting` (R8, R9).
    pub async fn submitted(
        &self,
        partner: TenantId,
        transacting: TenantId,
        customer: Option<TenantId>,
    ) -> vpb::CustomerValidation {
        // A validation of an existing customer is of its own organization (R12).
        let domain = match customer {
            Some(c) => self.domain_of(partner, c).await,
            None => fresh_domain(),
        };
        let req = submission_for(transacting, &domain, customer);
        let v = self.validation().submit_customer_validation(authed(req, &admin(partner))).await;
        v.expect("submit a customer validation").into_inner()
    }

    /// `partner` submits a validation of the organization at `domain`, naming no
    /// customer: the code is picked later (R19).
    pub async fn submitted_for(
        &self,
        partner: TenantId,
        transacting: TenantId,
        domain: &str,
    ) -> vpb::CustomerValidation {
        let req = submission_for(transacting, domain, None);
        let v = self.validation().submit_customer_validation(authed(req, &admin(partner))).await;
        v.expect("submit a customer validation").into_inner()
    }

    /// A reviewer approves the validation `name`; its single-use code (R12).
    pub async fn approved(&self, name: &str) -> String {
        let v = self.validation().approve_customer_validation(authed(approval(name, 1), &reviewer_token())).await;
        v.expect("approve a customer validation").into_inner().validation_code
    }

    /// `partner` applies `code` to `customer`, which then holds GCC (R12).
    pub async fn applied(&self, partner: TenantId, code: &str, customer: TenantId) -> vpb::SpecialQualification {
        let req = code_application(code, customer);
        let q = self.validation().apply_validation_code(authed(req, &admin(partner))).await;
        q.expect("apply a validation code").into_inner()
    }

    /// A new customer of `partner` holding the GCC special qualification, validated with
    /// `transacting` as the transacting partner (R19's path).
    pub async fn validated_customer_via(&self, partner: TenantId, transacting: TenantId) -> TenantId {
        let domain = fresh_domain();
        let customer = self.customer_at(partner, &domain).await;
        let req = submission_for(transacting, &domain, None);
        let v = self.validation().submit_customer_validation(authed(req, &admin(partner))).await;
        let v = v.expect("submit a customer validation").into_inner();
        let code = self.approved(&v.name).await;
        self.applied(partner, &code, customer).await;
        customer
    }

    /// The domain of `partner`'s customer `customer`.
    pub async fn domain_of(&self, partner: TenantId, customer: TenantId) -> String {
        let req = rpb::GetCustomerRequest { name: format!("customers/{customer}") };
        let c = self.relationships().get_customer(authed(req, &admin(partner))).await;
        c.expect("get the customer").into_inner().company_profile.map(|p| p.domain).unwrap_or_default()
    }

    /// A new customer of the direct reseller `partner` holding GCC.
    pub async fn validated_customer(&self, partner: TenantId) -> TenantId {
        self.validated_customer_via(partner, partner).await
    }

    /// `partner` invites `customer` (bound to its tenant); the link's token (R14).
    pub async fn invite(&self, partner: TenantId, customer: TenantId) -> String {
        let req = rpb::CreateRelationshipRequestRequest {
            relationship_request: Some(rpb::RelationshipRequest {
                bound_customer_tenant_id: customer.to_string(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let r = self.relationships().create_relationship_request(authed(req, &admin(partner))).await;
        token_of(&r.expect("invite a customer").into_inner().invitation_url)
    }

    /// The customer's admin accepts an invitation (R15).
    pub async fn accept(&self, customer: TenantId, invitation_token: &str) {
        let req = rpb::AcceptRelationshipRequestRequest {
            invitation_token: invitation_token.into(),
            company_profile: None,
            request_id: String::new(),
        };
        let admin = token(customer, &[Role::CustomerAdmin]);
        self.relationships().accept_relationship_request(authed(req, &admin)).await.expect("accept an invitation");
    }
}
