//! Starts partner-eligibility, relationships and customer-validation on 127.0.0.1:0, and
//! walks partners and customers to the state a test needs.

use std::sync::Arc;

use clap::Parser;
use gcc_platform::time::ManualClock;
use gcc_platform::{Role, TenantId};
use gcc_proto::partner::partner_eligibility_service_client::PartnerEligibilityServiceClient;
use gcc_proto::relationships::relationships_service_client::RelationshipsServiceClient;
use gcc_proto::types::OfferFamily;
use gcc_proto::validation::customer_validation_service_client::CustomerValidationServiceClient;
use gcc_proto::{partner as ppb, relationships as rpb, validation as pb};
use gcc_testkit::{TestDb, authed, channel, listener, manual_clock, reviewer_token, token, verifier};
use tonic::Status;
use tonic::transport::Channel;

pub struct World {
    pub clock: ManualClock,
    pub partner: Option<partner_eligibility::Application>,
    pub relationships: Option<relationships::Application>,
    _validation: customer_validation::Application,
    partner_channel: Channel,
    relationships_channel: Channel,
    validation_channel: Channel,
    db_url: String,
    _dbs: Vec<TestDb>,
    _key: KeyFile,
}

/// The invitation key of the relationships server, in a file that lives as long as the
/// test.
struct KeyFile(std::path::PathBuf);

impl KeyFile {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("gcc-invitation-{}.key", uuid::Uuid::new_v4()));
        std::fs::write(&path, "test-invitation-key-of-at-least-32-bytes!!").expect("write key");
        Self(path)
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl World {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// `extra` are flags for customer-validation.
    pub async fn spawn_with(extra: &[&str]) -> Self {
        let clock = manual_clock();
        let (pdb, rdb, vdb) = (TestDb::fresh().await, TestDb::fresh().await, TestDb::fresh().await);
        let key = KeyFile::new();

        let pconfig = partner_eligibility::Config::try_parse_from(["p", "--database-url", &pdb.url]).unwrap();
        let partner = partner_eligibility::build(&pconfig, listener().await, Arc::new(clock.clone()), verifier())
            .await
            .expect("partner-eligibility starts");
        let partner_url = format!("http://{}", partner.local_addr());

        let key_path = key.0.display().to_string();
        let rconfig = relationships::Config::try_parse_from([
            "r",
            "--database-url",
            &rdb.url,
            "--partner-endpoint",
            &partner_url,
            "--invitation-key-file",
            &key_path,
        ])
        .unwrap();
        let relationships = relationships::build(&rconfig, listener().await, Arc::new(clock.clone()), verifier())
            .await
            .expect("relationships starts");
        let relationships_url = format!("http://{}", relationships.local_addr());

        let defaults = [
            "--database-url",
            &vdb.url,
            "--partner-endpoint",
            &partner_url,
            "--relationships-endpoint",
            &relationships_url,
        ];
        let args = merge_args("v", &defaults, extra);
        let vconfig = customer_validation::Config::try_parse_from(args).unwrap();
        let validation = customer_validation::build(&vconfig, listener().await, Arc::new(clock.clone()), verifier())
            .await
            .expect("customer-validation starts");

        Self {
            clock,
            partner_channel: channel(partner.local_addr()).await,
            relationships_channel: channel(relationships.local_addr()).await,
            validation_channel: channel(validation.local_addr()).await,
            partner: Some(partner),
            relationships: Some(relationships),
            _validation: validation,
            db_url: vdb.url.clone(),
            _dbs: vec![pdb, rdb, vdb],
            _key: key,
        }
    }

    pub fn validation(&self) -> CustomerValidationServiceClient<Channel> {
        CustomerValidationServiceClient::new(self.validation_channel.clone())
    }

    pub fn partners(&self) -> PartnerEligibilityServiceClient<Channel> {
        PartnerEligibilityServiceClient::new(self.partner_channel.clone())
    }

    pub fn relationships(&self) -> RelationshipsServiceClient<Channel> {
        RelationshipsServiceClient::new(self.relationships_channel.clone())
    }

    /// Rows in a customer-validation table.
    pub async fn count(&self, table: &str) -> i64 {
        gcc_testkit::count_rows(&self.db_url, table).await
    }

    /// An enrolled partner; an indirect reseller names `provider`.
    pub async fn enrolled(
        &self,
        kind: ppb::PartnerType,
        provider: Option<TenantId>,
        azure: Option<TenantId>,
    ) -> TenantId {
        let tenant = TenantId::random();
        let req = ppb::EnrollPartnerRequest {
            partner: Some(ppb::Partner {
                legal_name: format!("Partner {tenant}"),
                partner_type: kind as i32,
                indirect_provider: provider.map(|p| format!("partners/{p}")).unwrap_or_default(),
                azure_gcc_tenant_id: azure.map(|a| a.to_string()).unwrap_or_default(),
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
        let t = self.enrolled(ppb::PartnerType::DirectReseller, None, None).await;
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

    pub async fn submit(
        &self,
        partner: TenantId,
        req: pb::SubmitCustomerValidationRequest,
    ) -> Result<pb::CustomerValidation, Status> {
        self.validation().submit_customer_validation(authed(req, &admin(partner))).await.map(|r| r.into_inner())
    }

    pub async fn approve(&self, name: &str, uses: i32) -> Result<pb::CustomerValidation, Status> {
        let req =
            pb::ApproveCustomerValidationRequest { name: name.into(), code_uses: uses, request_id: String::new() };
        self.validation().approve_customer_validation(authed(req, &reviewer_token())).await.map(|r| r.into_inner())
    }

    pub async fn apply(
        &self,
        partner: TenantId,
        code: &str,
        customer: TenantId,
    ) -> Result<pb::SpecialQualification, Status> {
        let req = pb::ApplyValidationCodeRequest {
            validation_code: code.into(),
            customer: format!("customers/{customer}"),
            request_id: String::new(),
        };
        self.validation().apply_validation_code(authed(req, &admin(partner))).await.map(|r| r.into_inner())
    }

    /// An approved validation's code for `partner` (submitted with `tenant_id`).
    pub async fn approved_code(&self, partner: TenantId, tenant_id: TenantId, uses: i32) -> String {
        let v = self.submit(partner, submission(tenant_id)).await.expect("submit");
        self.approve(&v.name, uses).await.expect("approve").validation_code
    }

    /// A customer of `partner` holding the GCC special qualification.
    pub async fn validated_customer(&self, partner: TenantId) -> TenantId {
        let customer = self.customer_of(partner).await;
        let code = self.approved_code(partner, partner, 1).await;
        self.apply(partner, &code, customer).await.expect("apply");
        customer
    }

    pub async fn check(
        &self,
        token: &str,
        customer: TenantId,
        families: &[OfferFamily],
    ) -> Result<pb::EligibilityVerdict, Status> {
        let req = pb::CheckEligibilityRequest {
            customer: format!("customers/{customer}"),
            offer_families: families.iter().map(|f| *f as i32).collect(),
            partner: String::new(),
        };
        self.validation().check_eligibility(authed(req, token)).await.map(|r| r.into_inner())
    }
}

/// `defaults` as flag/value pairs, with any flag in `extra` replacing the default.
fn merge_args<'a>(program: &'a str, defaults: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![program];
    for pair in defaults.chunks(2) {
        if !extra.contains(&pair[0]) {
            args.extend_from_slice(pair);
        }
    }
    args.extend_from_slice(extra);
    args
}

pub fn admin(tenant: TenantId) -> String {
    token(tenant, &[Role::AdminAgent])
}

/// A complete, valid submission giving `tenant_id` as the transacting partner's tenant.
pub fn submission(tenant_id: TenantId) -> pb::SubmitCustomerValidationRequest {
    pb::SubmitCustomerValidationRequest {
        customer_validation: Some(pb::CustomerValidation {
            partner_tenant_id: tenant_id.to_string(),
            organization: Some(pb::Organization {
                legal_name: "Arlington County".into(),
                domain: "arlingtonva.example.gov".into(),
                address_lines: vec!["2100 Clarendon Blvd".into()],
                region_code: "US".into(),
                contact_name: "Pat Doe".into(),
                contact_email: "pat.doe@arlingtonva.example.gov".into(),
            }),
            eligibility: Some(pb::CustomerEligibility {
                basis: Some(pb::customer_eligibility::Basis::GovernmentEntity(pb::GovernmentEntityKind::Local as i32)),
                us_presence: String::new(),
            }),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

pub fn reasons(v: &pb::EligibilityVerdict) -> Vec<pb::IneligibilityReason> {
    v.reasons.iter().map(|r| pb::IneligibilityReason::try_from(*r).expect("known reason")).collect()
}

pub fn state(v: &pb::CustomerValidation) -> pb::customer_validation::State {
    pb::customer_validation::State::try_from(v.state).expect("known state")
}

pub const ALL_FAMILIES: [OfferFamily; 4] =
    [OfferFamily::Office365, OfferFamily::Dynamics365, OfferFamily::Ems, OfferFamily::PowerBi];
