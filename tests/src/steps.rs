//! The workflow's steps as plain calls through the typed clients, each acting as the
//! role the source document gives it.

use gcc_client::Connection;
use gcc_platform::{Role, TenantId};
use gcc_proto::{ordering as opb, partner as ppb, relationships as rpb, validation as vpb};
use gcc_testkit::{reviewer_token, token};
use tonic::Status;

use crate::Stack;

pub fn admin(tenant: TenantId) -> String {
    token(tenant, &[Role::AdminAgent])
}

impl Stack {
    fn partner_svc(&self, token: &str) -> gcc_client::PartnerClient {
        self.connect(self.addrs.partner, token).expect("endpoint").partner()
    }

    pub fn relationships_svc(&self, token: &str) -> gcc_client::RelationshipsClient {
        self.connect(self.addrs.relationships, token).expect("endpoint").relationships()
    }

    pub fn validation_svc(&self, token: &str) -> gcc_client::ValidationClient {
        self.connect(self.addrs.validation, token).expect("endpoint").validation()
    }

    pub fn ordering_svc(&self, token: &str) -> gcc_client::OrderingClient {
        self.connect(self.addrs.ordering, token).expect("endpoint").ordering()
    }

    pub fn ordering_connection(&self, token: &str) -> Connection {
        self.connect(self.addrs.ordering, token).expect("endpoint")
    }

    /// Enrolls a partner (R1); an indirect reseller names its provider.
    pub async fn enroll(&self, kind: ppb::PartnerType, provider: Option<TenantId>) -> Result<TenantId, Status> {
        let tenant = TenantId::random();
        let req = ppb::EnrollPartnerRequest {
            partner: Some(ppb::Partner {
                legal_name: format!("Partner {tenant}"),
                partner_type: kind as i32,
                indirect_provider: provider.map(|p| format!("partners/{p}")).unwrap_or_default(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        self.partner_svc(&admin(tenant)).enroll_partner(req).await?;
        Ok(tenant)
    }

    /// Submits and approves the partner's GCC validation (R2–R5).
    pub async fn approve_partner(&self, tenant: TenantId) -> Result<(), Status> {
        let req = ppb::SubmitPartnerValidationRequest {
            partner_validation: Some(ppb::PartnerValidation {
                tenant_id: tenant.to_string(),
                qualifying_basis: ppb::QualifyingBasis::GovernmentContracts as i32,
                contact_email: "gov@partner.example".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let v = self.partner_svc(&admin(tenant)).submit_partner_validation(req).await?.into_inner();
        let approve = ppb::ApprovePartnerValidationRequest { name: v.name, request_id: String::new() };
        self.partner_svc(&reviewer_token()).approve_partner_validation(approve).await?;
        Ok(())
    }

    /// A direct reseller holding GCC.
    pub async fn gcc_partner(&self) -> Result<TenantId, Status> {
        let t = self.enroll(ppb::PartnerType::DirectReseller, None).await?;
        self.approve_partner(t).await?;
        Ok(t)
    }

    /// A new customer created by `partner` (R17).
    pub async fn new_customer(&self, partner: TenantId) -> Result<TenantId, Status> {
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..12];
        let req = rpb::CreateCustomerRequest {
            customer: Some(rpb::Customer {
                company_profile: Some(rpb::CompanyProfile {
                    legal_name: format!("County {suffix}"),
                    domain: format!("county-{suffix}.example.gov"),
                    postal_address: Some(rpb::PostalAddress {
                        region_code: "US".into(),
                        administrative_area: "MD".into(),
                        locality: "Rockville".into(),
                        postal_code: "20850".into(),
                        address_lines: vec!["101 Monroe St".into()],
                    }),
                    contact_email: format!("it@county-{suffix}.example.gov"),
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let c = self.relationships_svc(&admin(partner)).create_customer(req).await?.into_inner();
        Ok(TenantId::parse(&c.tenant_id).expect("tenant id"))
    }

    /// Submits a customer validation on the customer's behalf (R8), giving `tenant_id`
    /// as the transacting partner's tenant (R9).
    pub async fn submit_customer(
        &self,
        partner: TenantId,
        tenant_id: TenantId,
        customer: Option<TenantId>,
    ) -> Result<vpb::CustomerValidation, Status> {
        let req = vpb::SubmitCustomerValidationRequest {
            customer_validation: Some(vpb::CustomerValidation {
                partner_tenant_id: tenant_id.to_string(),
                organization: Some(vpb::Organization {
                    legal_name: "Montgomery County".into(),
                    domain: "montgomery.example.gov".into(),
                    address_lines: vec!["101 Monroe St".into()],
                    region_code: "US".into(),
                    contact_name: "Jordan Lee".into(),
                    contact_email: "jordan.lee@montgomery.example.gov".into(),
                }),
                eligibility: Some(vpb::CustomerEligibility {
                    basis: Some(vpb::customer_eligibility::Basis::GovernmentEntity(
                        vpb::GovernmentEntityKind::Local as i32,
                    )),
                    us_presence: String::new(),
                }),
                customer: customer.map(|c| format!("customers/{c}")).unwrap_or_default(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        Ok(self.validation_svc(&admin(partner)).submit_customer_validation(req).await?.into_inner())
    }

    /// Approves a customer validation; returns its code (R12).
    pub async fn approve_customer(&self, name: &str) -> Result<String, Status> {
        let req = vpb::ApproveCustomerValidationRequest { name: name.into(), code_uses: 1, request_id: String::new() };
        Ok(self.validation_svc(&reviewer_token()).approve_customer_validation(req).await?.into_inner().validation_code)
    }

    pub async fn apply_code(
        &self,
        partner: TenantId,
        code: &str,
        customer: TenantId,
    ) -> Result<vpb::SpecialQualification, Status> {
        let req = vpb::ApplyValidationCodeRequest {
            validation_code: code.into(),
            customer: format!("customers/{customer}"),
            request_id: String::new(),
        };
        Ok(self.validation_svc(&admin(partner)).apply_validation_code(req).await?.into_inner())
    }

    /// R19's new-customer path up to the order: created, validated, code applied.
    pub async fn validated_customer(&self, partner: TenantId) -> Result<TenantId, Status> {
        let customer = self.new_customer(partner).await?;
        let v = self.submit_customer(partner, partner, None).await?;
        let code = self.approve_customer(&v.name).await?;
        self.apply_code(partner, &code, customer).await?;
        Ok(customer)
    }

    /// `partner` invites `customer` (bound to its tenant) and returns the link's token
    /// (R14).
    pub async fn invite(&self, partner: TenantId, customer: TenantId) -> Result<String, Status> {
        let req = rpb::CreateRelationshipRequestRequest {
            relationship_request: Some(rpb::RelationshipRequest {
                bound_customer_tenant_id: customer.to_string(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let invitation = self.relationships_svc(&admin(partner)).create_relationship_request(req).await?.into_inner();
        Ok(invitation.invitation_url.split("token=").nth(1).unwrap_or_default().to_owned())
    }

    /// The customer's admin accepts an invitation (R15).
    pub async fn accept(&self, customer: TenantId, link_token: &str) -> Result<(), Status> {
        let req = rpb::AcceptRelationshipRequestRequest {
            invitation_token: link_token.to_owned(),
            company_profile: None,
            request_id: String::new(),
        };
        self.relationships_svc(&token(customer, &[Role::CustomerAdmin])).accept_relationship_request(req).await?;
        Ok(())
    }

    /// A customer's special qualifications, as `partner` sees them (R12, R16).
    pub async fn special_qualifications(
        &self,
        partner: TenantId,
        customer: TenantId,
    ) -> Result<Vec<vpb::SpecialQualification>, Status> {
        let req = vpb::ListSpecialQualificationsRequest { customer: format!("customers/{customer}") };
        Ok(self
            .validation_svc(&admin(partner))
            .list_special_qualifications(req)
            .await?
            .into_inner()
            .special_qualifications)
    }

    /// An order of `lines` (offer id, quantity) for `customer`.
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

    pub async fn place_order(&self, partner: TenantId, req: opb::PlaceOrderRequest) -> Result<opb::Order, Status> {
        Ok(self.ordering_svc(&admin(partner)).place_order(req).await?.into_inner())
    }
}
