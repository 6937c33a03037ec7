//! Facts ordering reads from their owners before an order: whether the caller manages the
//! customer (relationships) and the GCC verdict (customer-validation's gate). Calls
//! forward the caller's token and what is left of its deadline. The verdict is asked for
//! every GCC order. Management is read for every order too, unless
//! `--management-cache-ttl` lets a positive answer be reused for that long (a revoked
//! relationship can then be ordered for until it expires); a negative one is always read
//! again.
//! A fact that cannot be read is an error (UNAVAILABLE or DEADLINE_EXCEEDED), never a
//! verdict: the gate fails closed.

use std::time::{Duration, Instant};

use gcc_client::{Connection, dependency_problem, retry_read_until, with_deadline};
use gcc_platform::cache::TtlCache;
use gcc_platform::names::{CustomerName, PartnerName};
use gcc_platform::{Caller, Problem, TenantId};
use gcc_proto::{relationships as rpb, validation as vpb};
use tonic::Code;

use crate::domain::{Eligibility, Management, OfferFamily};

const READ_ATTEMPTS: u32 = 3;
/// Management answers kept at most; past it, expired ones are dropped, then all.
const CACHED_MANAGEMENT: usize = 100_000;

pub struct FactSource {
    validation: Connection,
    relationships: Connection,
    /// Positive management answers by (caller's tenant, customer).
    managed: TtlCache<(TenantId, TenantId), Management>,
}

impl FactSource {
    /// `ttl` bounds how long a positive management answer is reused (zero: never).
    pub fn new(validation: Connection, relationships: Connection, ttl: Duration) -> Self {
        Self { validation, relationships, managed: TtlCache::new(ttl, CACHED_MANAGEMENT) }
    }

    /// Whether the caller manages `customer` (R15, R17).
    #[tracing::instrument(skip_all, fields(dependency = "relationships", tenant = %caller.tenant, resource = %customer), err(Debug))]
    pub async fn management(&self, caller: &Caller, customer: TenantId, until: Instant) -> Result<Management, Problem> {
        let key = (caller.tenant, customer);
        if let Some((hit, _)) = self.managed.get(&key) {
            return Ok(hit);
        }
        let read_at = Instant::now();
        let client = self.relationships.with_token(caller.token()).map_err(|e| {
            tracing::error!(error = ?e, "the caller's token cannot be forwarded");
            Problem::internal()
        })?;
        let answer = retry_read_until(READ_ATTEMPTS, until, || {
            let mut c = client.relationships();
            let req = rpb::CheckCustomerManagementRequest {
                customer: CustomerName::new(customer).to_string(),
                partner: String::new(),
            };
            async move { c.check_customer_management(with_deadline(req, left(until))).await }
        })
        .await;
        match answer {
            Ok(r) => {
                let r = r.into_inner();
                let provider = match r.indirect_provider.as_str() {
                    "" => None,
                    name => Some(
                        PartnerName::parse("indirect_provider", name)
                            .map_err(|_| bad_answer("relationships"))?
                            .tenant(),
                    ),
                };
                let management = Management { managed: r.managed, provider };
                if management.managed {
                    self.managed.insert(key, management.clone(), read_at);
                }
                Ok(management)
            }
            Err(s) if s.code() == Code::NotFound => Ok(Management { managed: false, provider: None }),
            Err(s) => Err(dependency_problem("relationships", &s)),
        }
    }

    /// The gate's one verdict for `families` (R6, R18).
    #[tracing::instrument(skip_all, fields(dependency = "customer-validation", tenant = %caller.tenant, resource = %customer), err(Debug))]
    pub async fn eligibility(
        &self,
        caller: &Caller,
        customer: TenantId,
        families: &[OfferFamily],
        until: Instant,
    ) -> Result<Eligibility, Problem> {
        let client = self.validation.with_token(caller.token()).map_err(|e| {
            tracing::error!(error = ?e, "the caller's token cannot be forwarded");
            Problem::internal()
        })?;
        let offer_families: Vec<i32> = families.iter().map(|f| i32::from(*f)).collect();
        let answer = retry_read_until(READ_ATTEMPTS, until, || {
            let mut c = client.validation();
            let req = vpb::CheckEligibilityRequest {
                customer: CustomerName::new(customer).to_string(),
                offer_families: offer_families.clone(),
                partner: String::new(),
            };
            async move { c.check_eligibility(with_deadline(req, left(until))).await }
        })
        .await;
        let answer = match answer {
            Ok(r) => r.into_inner(),
            // The gate answers NOT_FOUND for a customer the caller does not manage; the
            // management check beside it refuses that order as CUSTOMER_NOT_FOUND.
            Err(s) if s.code() == Code::NotFound => {
                return Ok(Eligibility { eligible: false, reasons: vec!["CUSTOMER_NOT_MANAGED".to_owned()] });
            }
            Err(s) => return Err(dependency_problem("customer-validation", &s)),
        };
        let reasons: Vec<String> = answer.reasons.iter().map(|r| reason_name(*r)).collect();
        // Eligible only on a clean "yes": a verdict with reasons is a "no".
        Ok(Eligibility { eligible: answer.eligible && reasons.is_empty(), reasons })
    }
}

/// What is left until `until`, never zero (a zero timeout would mean "none").
fn left(until: Instant) -> Duration {
    until.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))
}

/// `INELIGIBILITY_REASON_CUSTOMER_NOT_VALIDATED` → `CUSTOMER_NOT_VALIDATED`.
fn reason_name(value: i32) -> String {
    vpb::IneligibilityReason::try_from(value)
        .ok()
        .filter(|r| *r != vpb::IneligibilityReason::Unspecified)
        .map(|r| r.as_str_name().trim_start_matches("INELIGIBILITY_REASON_").to_owned())
        .unwrap_or_else(|| "UNKNOWN_REASON".to_owned())
}

fn bad_answer(service: &str) -> Problem {
    tracing::error!(service, "dependency answered with a malformed message");
    Problem::new(Code::Unavailable, "DEPENDENCY_UNAVAILABLE", format!("{service} gave an unusable answer"))
        .with_meta("dependency", service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_reasons_are_named_without_their_enum_prefix() {
        assert_eq!(reason_name(vpb::IneligibilityReason::CustomerNotValidated as i32), "CUSTOMER_NOT_VALIDATED");
        assert_eq!(reason_name(vpb::IneligibilityReason::PartnerNotGccQualified as i32), "PARTNER_NOT_GCC_QUALIFIED");
        assert_eq!(reason_name(0), "UNKNOWN_REASON");
        assert_eq!(reason_name(99), "UNKNOWN_REASON");
    }
}
