//! Submitting a customer for validation (R7–R9, R8a) and reviewing it (R11–R13).

use gcc_platform::fields::parse_enum;
use gcc_platform::idempotency::IdempotencyKey;
use gcc_platform::names::{CustomerName, CustomerValidationName};
use gcc_platform::paging::Page;
use gcc_platform::{Caller, Problem, Role, TenantId};
use gcc_proto::validation as pb;
use tonic::{Request, Response, Status};

use super::{AGENTS, AGENTS_AND_REVIEWERS, REVIEWERS, ValidationApi, caller_of, convert};
use crate::domain::{CustomerValidation, NewValidation, Transacting, Transition, check_named_customer};
use crate::error::ValidationError;
use crate::facts::Freshness;
use crate::store::{Move, ValidationFilter};

impl ValidationApi {
    pub(super) async fn submit(
        &self,
        req: Request<pb::SubmitCustomerValidationRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        let caller = caller_of(&req)?;
        let deadline = self.deadline(&req);
        let target = convert::partner_name(caller.tenant);
        self.run(&caller, "customer_validation.submit", &target, async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = IdempotencyKey::new(caller.tenant.to_string(), "SubmitCustomerValidation", &request_id, &body)?;
            let v = body.customer_validation.ok_or_else(|| Problem::field_required("customer_validation"))?;
            let given = TenantId::parse_field("customer_validation.partner_tenant_id", &v.partner_tenant_id)?;
            let organization = convert::parse_organization(v.organization)?;
            let eligibility = convert::parse_eligibility(v.eligibility, &organization)?;
            let customer = match v.customer.as_str() {
                "" => None,
                name => Some(CustomerName::parse("customer_validation.customer", name).map(|n| n.tenant())?),
            };

            let transacting_tenant = self.transacting_for(&caller, given, deadline).await?;
            if let Some(c) = customer {
                let (managed, _) = self.0.facts.managed(&caller, caller.tenant, c, deadline, Freshness::Fresh).await?;
                if !managed.managed {
                    return Err(ValidationError::CustomerNotFound(convert::customer_name(c)));
                }
                check_named_customer(c, managed.domain.as_deref(), &organization)?;
            }
            let partner_contact_email =
                convert::parse_optional_email("customer_validation.partner_contact_email", &v.partner_contact_email)?;
            // The provider is copied only when it transacts for the submitting reseller.
            let provider_contact_email = convert::parse_optional_email(
                "customer_validation.transacting_partner_contact_email",
                &v.transacting_partner_contact_email,
            )?
            .filter(|_| transacting_tenant != caller.tenant);
            let now = self.now();
            let new = NewValidation {
                partner: caller.tenant,
                transacting: transacting_tenant,
                organization,
                eligibility,
                customer,
                partner_contact_email,
                provider_contact_email,
            };
            let (v, fresh) = self.0.store.submit(&caller, key.as_ref(), new, now, self.due_from(now)).await?;
            if fresh {
                self.0.hub.publish(v.clone());
            }
            Ok(convert::validation(&v))
        })
        .await
    }

    /// The caller's transacting partner, which `given` must name (R1a, R7, R9).
    async fn transacting_for(
        &self,
        caller: &Caller,
        given: TenantId,
        deadline: std::time::Duration,
    ) -> Result<TenantId, ValidationError> {
        // R1a: an indirect reseller has a transacting partner only through an active link.
        let (transacting, _) = self.0.facts.transacting(caller, caller.tenant, deadline, Freshness::Fresh).await?;
        let transacting = transacting.ok_or(ValidationError::PartnerNotEnrolled)?;
        let Some(tenant) = transacting.tenant else {
            let (link, state) = transacting.link.unwrap_or_default();
            return Err(ValidationError::ResellerLinkNotActive { state, link });
        };
        let rules = Transacting {
            tenant,
            azure_gcc_tenants: &transacting.azure_gcc_tenants,
            gcc_qualified: transacting.gcc_qualified,
        };
        rules.check_submission(given)?;
        Ok(tenant)
    }

    /// A validation the caller may see.
    pub(super) async fn visible(&self, caller: &Caller, name: &str) -> Result<CustomerValidation, ValidationError> {
        let id = CustomerValidationName::parse("name", name)?.into_id();
        self.0
            .store
            .validation(&id)
            .await?
            .filter(|v| caller.has(Role::EligibilityReviewer) || v.visible_to(caller.tenant))
            .ok_or_else(|| ValidationError::ValidationNotFound(name.to_owned()))
    }

    pub(super) async fn list(
        &self,
        req: Request<pb::ListCustomerValidationsRequest>,
    ) -> Result<Response<pb::ListCustomerValidationsResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "customer_validation.list", "customerValidations", async {
            caller.require(AGENTS_AND_REVIEWERS)?;
            let body = req.get_ref();
            let state = match body.state {
                0 => None,
                n => convert::state_from(parse_enum("state", n)?),
            };
            let filter = ValidationFilter {
                visible_to: (!caller.has(Role::EligibilityReviewer)).then_some(caller.tenant),
                state,
                overdue_at: body.overdue_only.then(|| self.now()),
            };
            let fingerprint = format!("{:?}/{:?}/{}", filter.visible_to, filter.state, body.overdue_only);
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.list(&filter, &page).await?;
            let (customer_validations, next_page_token) =
                page.finish(rows, |v| v.id.clone(), convert::validation, self.0.max_message_bytes)?;
            let names: Vec<&str> = customer_validations.iter().map(|v| v.name.as_str()).collect();
            self.audit_reviewer_read(&caller, "customerValidations", &names);
            Ok(pb::ListCustomerValidationsResponse { customer_validations, next_page_token })
        })
        .await
    }

    pub(super) async fn approve(
        &self,
        req: Request<pb::ApproveCustomerValidationRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let (name, request_id) = (body.name.clone(), std::mem::take(&mut body.request_id));
        self.run(&caller, "customer_validation.approve", &name, async {
            caller.require(REVIEWERS)?;
            let code_uses = match body.code_uses {
                0 => 1,
                n @ 1..=100 => n,
                _ => return Err(Problem::invalid_field("code_uses", "FIELD_INVALID", "1 to 100").into()),
            };
            let code_expires_at =
                self.now() + chrono::Duration::from_std(self.0.code_ttl).unwrap_or(chrono::Duration::MAX);
            self.review(
                &caller,
                "ApproveCustomerValidation",
                &name,
                &body,
                &request_id,
                Transition::Approve { code_uses, code_expires_at },
            )
            .await
        })
        .await
    }

    pub(super) async fn reject(
        &self,
        req: Request<pb::RejectCustomerValidationRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let (name, request_id) = (body.name.clone(), std::mem::take(&mut body.request_id));
        self.run(&caller, "customer_validation.reject", &name, async {
            caller.require(REVIEWERS)?;
            Problem::check_text("reason", &body.reason, 2000)?;
            let reason = body.reason.trim().to_owned();
            self.review(&caller, "RejectCustomerValidation", &name, &body, &request_id, Transition::Reject { reason })
                .await
        })
        .await
    }

    pub(super) async fn contact(
        &self,
        req: Request<pb::ContactCustomerRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let (name, request_id) = (body.name.clone(), std::mem::take(&mut body.request_id));
        self.run(&caller, "customer_validation.contact_customer", &name, async {
            caller.require(REVIEWERS)?;
            Problem::check_text("note", &body.note, 2000)?;
            let note = body.note.trim().to_owned();
            self.review(&caller, "ContactCustomer", &name, &body, &request_id, Transition::ContactCustomer { note })
                .await
        })
        .await
    }

    pub(super) async fn resume(
        &self,
        req: Request<pb::ResumeCustomerValidationReviewRequest>,
    ) -> Result<Response<pb::CustomerValidation>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let (name, request_id) = (body.name.clone(), std::mem::take(&mut body.request_id));
        self.run(&caller, "customer_validation.resume_review", &name, async {
            caller.require(REVIEWERS)?;
            self.review(&caller, "ResumeCustomerValidationReview", &name, &body, &request_id, Transition::Resume).await
        })
        .await
    }

    async fn review(
        &self,
        caller: &Caller,
        method: &str,
        name: &str,
        body: &impl prost::Message,
        request_id: &str,
        transition: Transition,
    ) -> Result<pb::CustomerValidation, ValidationError> {
        let id = CustomerValidationName::parse("name", name)?.into_id();
        if let Some(v) = self.0.store.validation(&id).await? {
            v.check_reviewer(caller.tenant)?;
        }
        let key = IdempotencyKey::new(caller.tenant.to_string(), method, request_id, body)?;
        let now = self.now();
        let change = Move { id, transition, due: self.due_from(now) };
        let (v, fresh) = self.0.store.transition(caller, key.as_ref(), change, now).await?;
        if fresh {
            self.0.hub.publish(v.clone());
        }
        Ok(convert::validation(&v))
    }
}
