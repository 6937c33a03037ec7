//! The workflow's calls that the end-to-end tests are about, through the typed clients and
//! each acting as the role the source document gives it. The set-up steps are the shared
//! `gcc_testkit::walk::Steps`, which `Stack` derefs to.

use gcc_client::Connection;
use gcc_platform::TenantId;
use gcc_proto::{ordering as opb, validation as vpb};
pub use gcc_testkit::walk::{admin, order};
use gcc_testkit::walk::{submission, submission_for};
use tonic::Status;

use crate::Stack;

impl Stack {
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

    /// Submits a customer validation on the customer's behalf (R8), giving `tenant_id`
    /// as the transacting partner's tenant (R9).
    pub async fn submit_customer(
        &self,
        partner: TenantId,
        tenant_id: TenantId,
        customer: Option<TenantId>,
    ) -> Result<vpb::CustomerValidation, Status> {
        // A validation of an existing customer is of its own organization (R12).
        let req = match customer {
            Some(c) => submission_for(tenant_id, &self.domain_of(partner, c).await, customer),
            None => submission(tenant_id, None),
        };
        Ok(self.validation_svc(&admin(partner)).submit_customer_validation(req).await?.into_inner())
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

    pub async fn place_order(&self, partner: TenantId, req: opb::PlaceOrderRequest) -> Result<opb::Order, Status> {
        Ok(self.ordering_svc(&admin(partner)).place_order(req).await?.into_inner())
    }
}
