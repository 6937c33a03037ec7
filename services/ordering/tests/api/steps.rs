//! Walks partners and customers through the other services to the state a test needs:
//! enrolled and GCC-qualified partners (R1, R5), customers created (R17), validated (R12)
//! or invited and accepted (R14, R15).

use gcc_platform::{Role, TenantId};
use gcc_proto::{partner as ppb, relationships as rpb, validation as vpb};
use gcc_testkit::{authed, reviewer_token, token};

use crate::helpers::{World, admin};

impl World {
    /// An enrolled partner; an indirect reseller names `provider`.
    pub async fn enrolled(&self, kind: ppb::PartnerType, provider: Option<TenantId>) -> TenantId {
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
        self.partners().enroll_partner(authed(req, &admin(tenant))).await.expect("enroll");
        tenant
    }

    /// Approves `tenant`'s partner GCC validation (R5).
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
        let v =
            self.partners().submit_partner_validation(authed(req, &admin(tenant))).await.expect("submit").into_inner();
        let approve = ppb::ApprovePartnerValidationRequest { name: v.name, request_id: String::new() };
        self.partners().approve_partner_validation(authed(approve, &reviewer_token())).await.expect("approve");
    }

    /// A direct reseller holding GCC.
    pub async fn gcc_partner(&self) -> TenantId {
        let t = self.enrolled(ppb::PartnerType::DirectReseller, None).await;
        self.qualify(t).await;
        t
    }

    /// A new customer created by `partner` (R17).
    pub async fn customer_of(&self, partner: TenantId) -> TenantId {
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..10];
        let req = rpb::CreateCustomerRequest {
            customer: Some(rpb::Customer {
                company_profile: Some(rpb::CompanyProfile {
                    legal_name: format!("Agency {suffix}"),
                    domain: format!("agency-{suffix}.example.gov"),
                    postal_address: Some(rpb::PostalAddress {
                        region_code: "US".into(),
                        administrative_area: "VA".into(),
                        locality: "Arlington".into(),
                        postal_code: "22201".into(),
                        address_lines: vec!["1 Court House Plaza".into()],
                    }),
                    contact_email: format!("it@agency-{suffix}.example.gov"),
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let c = self
            .relationships()
            .create_customer(authed(req, &admin(partner)))
            .await
            .expect("create customer")
            .into_inner();
        TenantId::parse(&c.tenant_id).expect("tenant id")
    }

    /// Submits `customer` for validation by `partner`, giving `transacting` as the
    /// transacting partner's tenant ID (R9).
    pub async fn submit(
        &self,
        partner: TenantId,
        transacting: TenantId,
        customer: TenantId,
    ) -> vpb::CustomerValidation {
        let req = submission(transacting, customer);
        self.validation().submit_customer_validation(authed(req, &admin(partner))).await.expect("submit").into_inner()
    }

    /// Approves a validation (R12) and gives its validation code.
    pub async fn approve(&self, name: &str) -> String {
        let req = vpb::ApproveCustomerValidationRequest { name: name.into(), code_uses: 1, request_id: String::new() };
        let v = self.validation().approve_customer_validation(authed(req, &reviewer_token())).await.expect("approve");
        v.into_inner().validation_code
    }

    pub async fn apply(&self, partner: TenantId, code: &str, customer: TenantId) {
        let req = vpb::ApplyValidationCodeRequest {
            validation_code: code.into(),
            customer: format!("customers/{customer}"),
            request_id: String::new(),
        };
        self.validation().apply_validation_code(authed(req, &admin(partner))).await.expect("apply");
    }

    /// A customer of `partner` holding the GCC special qualification; `transacting` is
    /// the partner's transacting partner.
    pub async fn validated_customer_via(&self, partner: TenantId, transacting: TenantId) -> TenantId {
        let customer = self.customer_of(partner).await;
        let v = self.submit(partner, transacting, customer).await;
        let code = self.approve(&v.name).await;
        self.apply(partner, &code, customer).await;
        customer
    }

    /// A customer of the direct reseller `partner` holding the GCC special qualification.
    pub async fn validated_customer(&self, partner: TenantId) -> TenantId {
        self.validated_customer_via(partner, partner).await
    }

    /// R14: `partner` invites `customer`; the invitation's link token.
    pub async fn invite(&self, partner: TenantId, customer: TenantId) -> String {
        let req = rpb::CreateRelationshipRequestRequest {
            relationship_request: Some(rpb::RelationshipRequest {
                bound_customer_tenant_id: customer.to_string(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let r = self
            .relationships()
            .create_relationship_request(authed(req, &admin(partner)))
            .await
            .expect("invite")
            .into_inner();
        r.invitation_url.split_once("?token=").expect("a link with a token").1.to_owned()
    }

    /// R15: the customer's admin accepts an invitation.
    pub async fn accept(&self, customer: TenantId, invitation_token: &str) {
        let req = rpb::AcceptRelationshipRequestRequest {
            invitation_token: invitation_token.into(),
            company_profile: None,
            request_id: String::new(),
        };
        let admin = token(customer, &[Role::CustomerAdmin]);
        self.relationships().accept_relationship_request(authed(req, &admin)).await.expect("accept");
    }
}

/// A complete customer validation request for `customer`, naming `transacting` (R8a, R9).
pub fn submission(transacting: TenantId, customer: TenantId) -> vpb::SubmitCustomerValidationRequest {
    vpb::SubmitCustomerValidationRequest {
        customer_validation: Some(vpb::CustomerValidation {
            partner_tenant_id: transacting.to_string(),
            customer: format!("customers/{customer}"),
            organization: Some(vpb::Organization {
                legal_name: "Arlington County".into(),
                domain: "arlingtonva.example.gov".into(),
                address_lines: vec!["2100 Clarendon Blvd".into()],
                region_code: "US".into(),
                contact_name: "Pat Doe".into(),
                contact_email: "pat.doe@arlingtonva.example.gov".into(),
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
