//! The customer-side steps over TCP: customers, relationships, customer validations and
//! codes, orders.

use gcc_platform::{Role, TenantId};
use gcc_proto::{relationships as rpb, validation as vpb};
use gcc_testkit::walk::{admin, approval, code_application, company_profile, order, submission_for, token_of};
use gcc_testkit::{authed, reviewer_token, token};
use tonic::Status;

use super::model::Model;
use super::runner::{Sut, ensure, partner_name};
use super::steps::is_gcc;
use super::world::World;

fn customer_name(t: TenantId) -> String {
    format!("customers/{t}")
}

fn customer_admin(t: TenantId) -> String {
    token(t, &[Role::CustomerAdmin])
}

impl Sut {
    pub(super) async fn create_customer(
        &self,
        w: &mut World,
        m: &Model,
        p: usize,
        org: usize,
        at_root: bool,
    ) -> Result<(), Status> {
        let domain = w.customer_domain(m.customers.len(), org, at_root);
        let customer = rpb::Customer { company_profile: Some(company_profile(&domain)), ..Default::default() };
        let req = rpb::CreateCustomerRequest { customer: Some(customer), request_id: String::new() };
        let c = self.relationships.clone().create_customer(authed(req, &admin(w.partners[p]))).await?.into_inner();
        let tenant = TenantId::parse(&c.tenant_id).map_err(|_| Status::internal("a customer without a tenant ID"))?;
        w.customers.push(tenant);
        Ok(())
    }

    /// The tenant given is the transacting partner's (R9), or the caller's own when the
    /// step says so or it has none.
    pub(super) async fn submit_customer(
        &self,
        w: &mut World,
        m: &Model,
        p: usize,
        org: usize,
        customer: Option<usize>,
        own_tenant: bool,
    ) -> Result<(), Status> {
        let given = match m.transacting(p) {
            Ok(t) if !own_tenant => w.partners[t],
            _ => w.partners[p],
        };
        let req = submission_for(given, &w.org_domain(org), customer.map(|c| w.customers[c]));
        let v = self.validation.clone().submit_customer_validation(authed(req, &admin(w.partners[p]))).await?;
        w.customer_validations.push(v.into_inner().name);
        Ok(())
    }

    pub(super) async fn decide_customer(
        &self,
        w: &mut World,
        v: usize,
        approve: bool,
        uses: i32,
    ) -> Result<(), Status> {
        let name = w.customer_validations[v].clone();
        let mut validation = self.validation.clone();
        if !approve {
            let req = vpb::RejectCustomerValidationRequest {
                name,
                reason: "not a government entity".into(),
                request_id: String::new(),
            };
            let v = validation.reject_customer_validation(authed(req, &reviewer_token())).await?.into_inner();
            return ensure(v.state == vpb::customer_validation::State::Rejected as i32, "rejected");
        }
        let v = validation.approve_customer_validation(authed(approval(&name, uses), &reviewer_token())).await?;
        let v = v.into_inner();
        ensure(
            v.state == vpb::customer_validation::State::Approved as i32 && !v.validation_code.is_empty(),
            "approved with a code",
        )?;
        w.codes.push(v.validation_code);
        Ok(())
    }

    pub(super) async fn apply_code(&self, w: &World, p: usize, k: usize, c: usize) -> Result<(), Status> {
        let req = code_application(&w.codes[k], w.customers[c]);
        let q = self.validation.clone().apply_validation_code(authed(req, &admin(w.partners[p]))).await?.into_inner();
        ensure(q.customer == customer_name(w.customers[c]), "the qualification is the customer's")
    }

    pub(super) async fn invite(&self, w: &mut World, p: usize, c: usize) -> Result<(), Status> {
        let bound =
            rpb::RelationshipRequest { bound_customer_tenant_id: w.customers[c].to_string(), ..Default::default() };
        let req =
            rpb::CreateRelationshipRequestRequest { relationship_request: Some(bound), request_id: String::new() };
        let r = self.relationships.clone().create_relationship_request(authed(req, &admin(w.partners[p]))).await?;
        let r = r.into_inner();
        w.invitations.push((r.name, token_of(&r.invitation_url)));
        Ok(())
    }

    pub(super) async fn accept(&self, w: &World, m: &Model, i: usize) -> Result<(), Status> {
        let customer = w.customers[m.invitations[i].customer];
        let req = rpb::AcceptRelationshipRequestRequest {
            invitation_token: w.invitations[i].1.clone(),
            company_profile: None,
            request_id: String::new(),
        };
        let r = self.relationships.clone().accept_relationship_request(authed(req, &customer_admin(customer))).await?;
        ensure(r.into_inner().active, "an accepted relationship is active")
    }

    pub(super) async fn withdraw(&self, w: &World, m: &Model, i: usize) -> Result<(), Status> {
        let req = rpb::RevokeRelationshipRequestRequest { name: w.invitations[i].0.clone(), request_id: String::new() };
        let token = admin(w.partners[m.invitations[i].partner]);
        self.relationships.clone().revoke_relationship_request(authed(req, &token)).await?;
        Ok(())
    }

    /// By the partner's admin agent, or by the customer's admin naming the partner.
    pub(super) async fn revoke(&self, w: &World, p: usize, c: usize, by_customer: bool) -> Result<(), Status> {
        let (partner, token) = match by_customer {
            true => (partner_name(w.partners[p]), customer_admin(w.customers[c])),
            false => (String::new(), admin(w.partners[p])),
        };
        let req = rpb::RevokeCustomerRelationshipRequest {
            customer: customer_name(w.customers[c]),
            partner,
            request_id: String::new(),
        };
        let r = self.relationships.clone().revoke_customer_relationship(authed(req, &token)).await?;
        ensure(!r.into_inner().active, "a revoked relationship is not active")
    }

    pub(super) async fn order(&self, w: &World, p: usize, c: usize, offer: &str) -> Result<(), Status> {
        let req = order(w.customers[c], &[(offer, 1)], "");
        let o = self.ordering.clone().place_order(authed(req, &admin(w.partners[p]))).await?.into_inner();
        ensure(o.partner == partner_name(w.partners[p]), "the order is the caller's")?;
        ensure(o.gcc_checked == is_gcc(offer), "the gate was asked exactly for a GCC offer (R18, R21)")
    }
}
