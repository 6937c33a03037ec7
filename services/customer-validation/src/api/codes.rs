//! Validation codes (R10, R12): the partner's pick list, applying a code to a customer
//! it manages, and a customer's special qualifications (R12, R16).

use gcc_platform::Role;
use gcc_platform::idempotency::IdempotencyKey;
use gcc_platform::names::{CustomerName, ValidationCodeName};
use gcc_platform::paging::Page;
use gcc_proto::validation as pb;
use tonic::{Request, Response, Status};

use super::{AGENTS, AGENTS_AND_REVIEWERS, ValidationApi, caller_of, convert};
use crate::error::ValidationError;
use crate::facts::Freshness;

impl ValidationApi {
    pub(super) async fn list_codes(
        &self,
        req: Request<pb::ListValidationCodesRequest>,
    ) -> Result<Response<pb::ListValidationCodesResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "validation_code.list", "validationCodes", async {
            caller.require(AGENTS)?;
            let body = req.get_ref();
            let fingerprint = format!("{}/{}", caller.tenant, body.include_spent);
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.codes(caller.tenant, body.include_spent, self.now(), &page).await?;
            let (validation_codes, next_page_token) =
                page.finish(rows, |c| c.code.clone(), convert::code, self.0.max_message_bytes)?;
            // R10: nothing to pick yet; say where to get a customer validated.
            let help = (validation_codes.is_empty() && body.page_token.is_empty()).then(|| pb::HelpLink {
                description: "No validation code yet: submit a new customer validation request, or contact the \
                              validation support team"
                    .to_owned(),
                url: self.0.eligibility_contact.clone(),
            });
            Ok(pb::ListValidationCodesResponse { validation_codes, next_page_token, help })
        })
        .await
    }

    pub(super) async fn apply_code(
        &self,
        req: Request<pb::ApplyValidationCodeRequest>,
    ) -> Result<Response<pb::SpecialQualification>, Status> {
        let caller = caller_of(&req)?;
        let deadline = self.deadline(&req);
        let target = req.get_ref().customer.clone();
        self.run(&caller, "validation_code.apply", &target, async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = IdempotencyKey::new(caller.tenant.to_string(), "ApplyValidationCode", &request_id, &body)?;
            let code = ValidationCodeName::parse("validation_code", &body.validation_code)?.into_id();
            let customer = CustomerName::parse("customer", &body.customer).map(|n| n.tenant())?;
            let (managed, _) =
                self.0.facts.managed(&caller, caller.tenant, customer, deadline, Freshness::Fresh).await?;
            let domain = match managed.domain {
                Some(d) if managed.managed => d,
                _ => return Err(ValidationError::CustomerNotFound(body.customer)),
            };
            let (q, _) = self.0.store.apply_code(&caller, key.as_ref(), code, (customer, domain), self.now()).await?;
            Ok(convert::qualification(&q))
        })
        .await
    }

    pub(super) async fn qualifications(
        &self,
        req: Request<pb::ListSpecialQualificationsRequest>,
    ) -> Result<Response<pb::ListSpecialQualificationsResponse>, Status> {
        let caller = caller_of(&req)?;
        let deadline = self.deadline(&req);
        let name = req.get_ref().customer.clone();
        self.run(&caller, "special_qualification.list", &name, async {
            caller.require(AGENTS_AND_REVIEWERS)?;
            let customer = CustomerName::parse("customer", &name).map(|n| n.tenant())?;
            if !caller.has(Role::EligibilityReviewer) {
                let (managed, _) =
                    self.0.facts.managed(&caller, caller.tenant, customer, deadline, Freshness::Cached).await?;
                if !managed.managed {
                    return Err(ValidationError::CustomerNotFound(name.clone()));
                }
            }
            let found = self.0.store.special_qualification(customer).await?;
            Ok(pb::ListSpecialQualificationsResponse {
                special_qualifications: found.iter().map(convert::qualification).collect(),
            })
        })
        .await
    }
}
