//! `CheckEligibility`, the gate before every GCC order (R18). Read-only. The three facts
//! are read at once; remote ones may come from the fact cache (bounded staleness), the
//! customer's own status always from the database. A fact that cannot be read fails the
//! call: the gate never reports eligible on a guess.

use std::time::Instant;

use gcc_platform::names::{CustomerName, PartnerName};
use gcc_platform::time::to_timestamp;
use gcc_platform::{Problem, Role, TenantId};
use gcc_proto::validation as pb;
use tonic::{Request, Response, Status};

use super::{AGENTS_AND_REVIEWERS, ValidationApi, caller_of, convert};
use crate::domain::{Facts, PartnerFact, Verdict};
use crate::facts::{Freshness, Transacting};

impl ValidationApi {
    pub(super) async fn check(
        &self,
        req: Request<pb::CheckEligibilityRequest>,
    ) -> Result<Response<pb::EligibilityVerdict>, Status> {
        let caller = caller_of(&req)?;
        let deadline = self.deadline(&req);
        let target = req.get_ref().customer.clone();
        self.run(&caller, "eligibility.check", &target, async {
            caller.require(AGENTS_AND_REVIEWERS)?;
            let body = req.get_ref();
            let customer = CustomerName::parse("customer", &body.customer).map(|n| n.tenant())?;
            let families = convert::parse_families("offer_families", &body.offer_families)?;
            let partner = self.partner_asked(&caller, &body.partner)?;

            let facts = &self.0.facts;
            let (transacting, managed, status) = tokio::try_join!(
                facts.transacting(&caller, partner, deadline, Freshness::Cached),
                facts.managed(&caller, partner, customer, deadline, Freshness::Cached),
                async { self.0.store.customer_status(customer).await.map_err(|e| e.into_problem("")) },
            )?;
            // No oracle: for a partner, a customer it does not manage answers exactly like a
            // missing one. Reviewers asking on a partner's behalf get the full verdict.
            if !managed.0.managed && !caller.has(Role::EligibilityReviewer) {
                return Err(crate::error::ValidationError::CustomerNotFound(body.customer.clone()));
            }
            let oldest = transacting.1.min(managed.1);
            let (customer_qualified, validation_open) = status;
            let partner_fact = partner_fact(transacting.0.as_ref());
            let facts =
                Facts { partner: partner_fact, managed: managed.0.managed, customer_qualified, validation_open };
            let verdict = Verdict::from_facts(&facts);
            let reasons: Vec<&str> = verdict.reasons.iter().map(|r| r.as_str()).collect();
            self.0.metrics.gate_verdict(verdict.eligible(), &reasons);
            let now = self.now();
            let age = chrono::Duration::from_std(Instant::now().saturating_duration_since(oldest)).unwrap_or_default();
            let partner_name = convert::partner_name(partner);
            let customer_name = convert::customer_name(customer);
            let violations = violations(&verdict, &partner_name, &customer_name);
            Ok(pb::EligibilityVerdict {
                eligible: verdict.eligible(),
                reasons: verdict.reasons.iter().map(|r| convert::reason_to(*r)).collect(),
                violations,
                partner: partner_name,
                transacting_partner: match facts.partner {
                    PartnerFact::Transacting { tenant, .. } => convert::partner_name(tenant),
                    _ => String::new(),
                },
                customer: customer_name,
                offer_families: families.iter().map(|f| i32::from(*f)).collect(),
                facts_as_of: Some(to_timestamp(now - age)),
            })
        })
        .await
    }

    /// The partner a check is about: the caller's own, or any for a reviewer.
    fn partner_asked(&self, caller: &gcc_platform::Caller, name: &str) -> Result<TenantId, Problem> {
        if name.is_empty() {
            if caller.has(Role::EligibilityReviewer) {
                return Err(Problem::field_required("partner"));
            }
            return Ok(caller.tenant);
        }
        let partner = PartnerName::parse("partner", name).map(|n| n.tenant())?;
        if partner != caller.tenant && !caller.has(Role::EligibilityReviewer) {
            return Err(Problem::not_found("PARTNER_NOT_FOUND", name));
        }
        Ok(partner)
    }
}

/// What the gate knows of the partner's transacting partner (R1a, R7).
fn partner_fact(transacting: Option<&Transacting>) -> PartnerFact {
    match transacting {
        None => PartnerFact::NotEnrolled,
        Some(Transacting { tenant: Some(t), gcc_qualified, .. }) => {
            PartnerFact::Transacting { tenant: *t, gcc: *gcc_qualified }
        }
        Some(Transacting { link, .. }) => {
            PartnerFact::LinkNotActive { ended: link.as_ref().is_none_or(|(_, state)| state == "ENDED") }
        }
    }
}

/// Each reason of a verdict as a violation, about the customer or the partner.
fn violations(verdict: &Verdict, partner_name: &str, customer_name: &str) -> Vec<pb::PreconditionViolation> {
    verdict
        .reasons
        .iter()
        .map(|r| pb::PreconditionViolation {
            r#type: r.as_str().to_owned(),
            subject: match r {
                crate::domain::Reason::CustomerNotValidated | crate::domain::Reason::ValidationPending => {
                    customer_name.to_owned()
                }
                _ => partner_name.to_owned(),
            },
            description: r.description().to_owned(),
        })
        .collect()
}
