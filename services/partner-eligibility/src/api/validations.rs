//! Partner validations on the wire: submit (R1–R3), read, list and review (R4, R5).

use gcc_platform::audit::record_reviewer_read;
use gcc_platform::fields::parse_enum_filter;
use gcc_platform::idempotency::IdempotencyKey;
use gcc_platform::names::PartnerValidationName;
use gcc_platform::time::to_micros;
use gcc_platform::{Caller, Problem, Role};
use gcc_proto::partner as pb;
use tonic::{Request, Response, Status};

use super::{ADMINS, PartnerApi, READERS, REVIEWERS, caller_of, convert, parse_partner_name, partner_name, watch};
use crate::domain::{PartnerValidation, Transition};
use crate::error::PartnerError;
use crate::store::{Move, ValidationFilter};
use gcc_platform::paging::Page;

pub(super) fn check_len(field: &str, value: &str) -> Result<String, Problem> {
    Problem::check_text(field, value, 2000)?;
    Ok(value.trim().to_owned())
}

impl PartnerApi {
    pub(super) async fn transition(
        &self,
        caller: &Caller,
        method: &str,
        name: &str,
        body: impl prost::Message,
        request_id: String,
        t: Transition,
    ) -> Result<pb::PartnerValidation, PartnerError> {
        let (roles, owner) = match t {
            Transition::ProvideInformation { .. } => (ADMINS, Some(caller.tenant)),
            _ => (REVIEWERS, None),
        };
        caller.require(roles)?;
        let id = PartnerValidationName::parse("name", name)?.into_id();
        // A reviewer never decides a validation of its own organization.
        if owner.is_none()
            && let Some(v) = self.0.store.validation(&id).await?
        {
            v.check_reviewer(caller.tenant)?;
        }
        let key = IdempotencyKey::new(caller.tenant.to_string(), method, &request_id, &body)?;
        let now = self.now();
        let (v, fresh) = self
            .0
            .store
            .transition(caller, key.as_ref(), Move { id, owner, transition: t, due: self.due_from(now) }, now)
            .await?;
        if fresh {
            self.0.hub.publish(v.clone());
        }
        Ok(convert::validation(&v))
    }

    /// A validation the caller may see: its own partner's, or any for reviewers.
    pub(super) async fn visible_validation(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<PartnerValidation, PartnerError> {
        let id = PartnerValidationName::parse("name", name)?.into_id();
        self.0
            .store
            .validation(&id)
            .await?
            .filter(|v| caller.has(Role::EligibilityReviewer) || v.partner == caller.tenant)
            .ok_or_else(|| PartnerError::ValidationNotFound(name.to_owned()))
    }

    pub(super) async fn submit_partner_validation_rpc(
        &self,
        req: Request<pb::SubmitPartnerValidationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        let caller = caller_of(&req)?;
        let target = partner_name(caller.tenant);
        self.run(&caller, "partner_validation.submit", &target, async {
            caller.require(ADMINS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = IdempotencyKey::new(caller.tenant.to_string(), "SubmitPartnerValidation", &request_id, &body)?;
            let new = convert::parse_new_validation(body.partner_validation)?;
            let now = self.now();
            let (v, fresh) =
                self.0.store.submit_validation(&caller, key.as_ref(), new, now, self.due_from(now)).await?;
            if fresh {
                self.0.hub.publish(v.clone());
            }
            Ok(convert::validation(&v))
        })
        .await
    }

    pub(super) async fn get_partner_validation_rpc(
        &self,
        req: Request<pb::GetPartnerValidationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "partner_validation.get", &name, async {
            caller.require(READERS)?;
            let validation = convert::validation(&self.visible_validation(&caller, &name).await?);
            record_reviewer_read(
                self.0.store.db(),
                &caller,
                to_micros(self.now()),
                "partner_validation.read",
                &name,
                &[&validation.name],
            );
            Ok(validation)
        })
        .await
    }

    pub(super) async fn list_partner_validations_rpc(
        &self,
        req: Request<pb::ListPartnerValidationsRequest>,
    ) -> Result<Response<pb::ListPartnerValidationsResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "partner_validation.list", "partnerValidations", async {
            caller.require(READERS)?;
            let body = req.get_ref();
            let state =
                parse_enum_filter::<pb::partner_validation::State>("state", body.state)?.and_then(convert::state_from);
            let requested = match body.partner.as_str() {
                "" => None,
                name => Some(parse_partner_name("partner", name)?),
            };
            // A partner sees its own requests only, whatever it asks for.
            let partner = if caller.has(Role::EligibilityReviewer) { requested } else { Some(caller.tenant) };
            if requested.is_some() && requested != partner {
                return Ok(pb::ListPartnerValidationsResponse::default());
            }
            let filter = ValidationFilter { partner, state, overdue_at: body.overdue_only.then(|| self.now()) };
            let fingerprint = format!("{:?}/{:?}/{}", filter.partner, filter.state, body.overdue_only);
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.list_validations(&filter, &page).await?;
            let (partner_validations, next_page_token) =
                page.finish(rows, |v| v.id.clone(), convert::validation, self.0.max_message_bytes)?;
            let names: Vec<&str> = partner_validations.iter().map(|v| v.name.as_str()).collect();
            record_reviewer_read(
                self.0.store.db(),
                &caller,
                to_micros(self.now()),
                "partner_validation.read",
                "partnerValidations",
                &names,
            );
            Ok(pb::ListPartnerValidationsResponse { partner_validations, next_page_token })
        })
        .await
    }

    pub(super) async fn approve_partner_validation_rpc(
        &self,
        req: Request<pb::ApprovePartnerValidationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let name = body.name.clone();
        let request_id = std::mem::take(&mut body.request_id);
        self.run(
            &caller,
            "partner_validation.approve",
            &name,
            self.transition(&caller, "ApprovePartnerValidation", &name, body, request_id, Transition::Approve),
        )
        .await
    }

    pub(super) async fn reject_partner_validation_rpc(
        &self,
        req: Request<pb::RejectPartnerValidationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let name = body.name.clone();
        let request_id = std::mem::take(&mut body.request_id);
        self.run(&caller, "partner_validation.reject", &name, async {
            caller.require(REVIEWERS)?;
            let reason = check_len("reason", &body.reason)?;
            self.transition(&caller, "RejectPartnerValidation", &name, body, request_id, Transition::Reject { reason })
                .await
        })
        .await
    }

    pub(super) async fn request_partner_validation_information_rpc(
        &self,
        req: Request<pb::RequestPartnerValidationInformationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let name = body.name.clone();
        let request_id = std::mem::take(&mut body.request_id);
        self.run(&caller, "partner_validation.request_information", &name, async {
            caller.require(REVIEWERS)?;
            let question = check_len("question", &body.question)?;
            self.transition(
                &caller,
                "RequestPartnerValidationInformation",
                &name,
                body,
                request_id,
                Transition::RequestInformation { question },
            )
            .await
        })
        .await
    }

    pub(super) async fn provide_partner_validation_information_rpc(
        &self,
        req: Request<pb::ProvidePartnerValidationInformationRequest>,
    ) -> Result<Response<pb::PartnerValidation>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let name = body.name.clone();
        let request_id = std::mem::take(&mut body.request_id);
        self.run(&caller, "partner_validation.provide_information", &name, async {
            caller.require(ADMINS)?;
            let answer = check_len("answer", &body.answer)?;
            self.transition(
                &caller,
                "ProvidePartnerValidationInformation",
                &name,
                body,
                request_id,
                Transition::ProvideInformation { answer },
            )
            .await
        })
        .await
    }

    pub(super) async fn watch_validation(
        &self,
        req: Request<pb::WatchPartnerValidationRequest>,
    ) -> Result<Response<watch::ValidationStream>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        // Subscribe before reading, so that no change between the two is missed.
        let changes = self.0.hub.subscribe();
        self.run(&caller, "partner_validation.watch", &name, async {
            caller.require(READERS)?;
            let slot = self.0.watchers.admit(caller.tenant)?;
            let current = self.visible_validation(&caller, &name).await?;
            Ok(watch::stream(slot, self.0.store.clone(), current, changes))
        })
        .await
    }
}
