//! Facts the gate reads from their owners: the transacting partner and its GCC
//! qualification (partner-eligibility) and whether a partner manages a customer
//! (relationships). Calls forward the caller's token and what is left of its deadline.
//!
//! Gate reads may reuse a *positive* fact (the transacting partner holds GCC; the partner
//! manages the customer) for `fact_ttl` (default 2 s): that bounds how long a revoked
//! relationship can still look managed to the gate (orders re-check management fresh).
//! Negative facts are never reused, so a new approval or a new relationship counts at
//! once. Mutations always read fresh. A fact that cannot be read is an error
//! (UNAVAILABLE or DEADLINE_EXCEEDED), never a verdict.

use gcc_platform::names::{CustomerName, PartnerName};
use std::time::{Duration, Instant};

use gcc_client::{Connection, dependency_problem, retry_read, with_deadline};
use gcc_platform::cache::TtlCache;
use gcc_platform::{Caller, Problem, Role, TenantId};
use gcc_proto::{partner as ppb, relationships as rpb};
use tonic::Code;

/// Who transacts for a partner.
#[derive(Debug, Clone)]
pub struct Transacting {
    /// `None` for an indirect reseller whose link with its provider is not active (R1a).
    pub tenant: Option<TenantId>,
    pub gcc_qualified: bool,
    pub azure_gcc_tenants: Vec<TenantId>,
    /// An indirect reseller's link: its name and state (`REQUESTED`, `ENDED`, …).
    pub link: Option<(String, String)>,
}

/// Whether a partner manages a customer, and the customer's domain when it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Managed {
    pub managed: bool,
    /// Known only when managed: what validation codes are checked against (R12).
    pub domain: Option<String>,
}

/// Whether to accept a cached fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Cached,
    Fresh,
}

pub struct FactSource {
    partner: Connection,
    relationships: Connection,
    transacting: TtlCache<TenantId, Option<Transacting>>,
    managed: TtlCache<(TenantId, TenantId), Managed>,
}

const READ_ATTEMPTS: u32 = 3;

impl FactSource {
    pub fn new(partner: Connection, relationships: Connection, ttl: Duration) -> Self {
        Self { partner, relationships, transacting: TtlCache::new(ttl, 100_000), managed: TtlCache::new(ttl, 100_000) }
    }

    /// The transacting partner of `partner`, or `None` when it is not enrolled.
    #[tracing::instrument(name = "facts.transacting", skip_all, fields(tenant = %caller.tenant, partner = %partner, ?freshness), err(Debug, level = "info"))]
    pub async fn transacting(
        &self,
        caller: &Caller,
        partner: TenantId,
        deadline: Duration,
        freshness: Freshness,
    ) -> Result<(Option<Transacting>, Instant), Problem> {
        if freshness == Freshness::Cached
            && let Some(hit) = self.transacting.get(&partner)
        {
            return Ok(hit);
        }
        let client = self.partner.with_token(caller.token()).map_err(|e| {
            tracing::error!(error = ?e, "the caller's token cannot be forwarded");
            Problem::internal()
        })?;
        let read_at = Instant::now();
        let answer = retry_read(READ_ATTEMPTS, || {
            let mut c = client.partner();
            let req = ppb::LookupTransactingPartnerRequest { tenant_id: partner.to_string() };
            async move { c.lookup_transacting_partner(with_deadline(req, deadline)).await }
        })
        .await;
        let fact = match answer {
            Ok(r) => {
                let r = r.into_inner();
                let tenant = match r.transacting_tenant_id.as_str() {
                    "" => None,
                    t => Some(TenantId::parse(t).map_err(|_| bad_answer("partner-eligibility"))?),
                };
                let link_state = ppb::reseller_link::State::try_from(r.reseller_link_state)
                    .unwrap_or(ppb::reseller_link::State::Unspecified);
                let link =
                    (link_state != ppb::reseller_link::State::Unspecified || !r.reseller_link.is_empty()).then(|| {
                        let state = link_state.as_str_name().trim_start_matches("STATE_");
                        (
                            r.reseller_link.clone(),
                            if state == "UNSPECIFIED" { "ENDED".to_owned() } else { state.to_owned() },
                        )
                    });
                // A partner with no transacting partner has no link that could explain it:
                // the answer is unusable rather than a guess.
                if tenant.is_none() && link.is_none() {
                    return Err(bad_answer("partner-eligibility"));
                }
                Some(Transacting {
                    tenant,
                    gcc_qualified: r.gcc_qualified && tenant.is_some(),
                    azure_gcc_tenants: r.azure_gcc_tenant_ids.iter().filter_map(|t| TenantId::parse(t).ok()).collect(),
                    link,
                })
            }
            Err(s) if s.code() == Code::NotFound => None,
            Err(s) => return Err(dependency_problem("partner-eligibility", &s)),
        };
        if fact.as_ref().is_some_and(|t| t.gcc_qualified) {
            self.transacting.insert(partner, fact.clone(), read_at);
        }
        Ok((fact, read_at))
    }

    /// Whether `partner` manages `customer`, directly or as the indirect provider.
    #[tracing::instrument(name = "facts.managed", skip_all, fields(tenant = %caller.tenant, partner = %partner, customer = %customer, ?freshness), err(Debug, level = "info"))]
    pub async fn managed(
        &self,
        caller: &Caller,
        partner: TenantId,
        customer: TenantId,
        deadline: Duration,
        freshness: Freshness,
    ) -> Result<(Managed, Instant), Problem> {
        if freshness == Freshness::Cached
            && let Some(hit) = self.managed.get(&(partner, customer))
        {
            return Ok(hit);
        }
        let client = self.relationships.with_token(caller.token()).map_err(|e| {
            tracing::error!(error = ?e, "the caller's token cannot be forwarded");
            Problem::internal()
        })?;
        // A reviewer asks on a partner's behalf; a partner asks about itself.
        let partner_name =
            if caller.has(Role::EligibilityReviewer) { PartnerName::new(partner).to_string() } else { String::new() };
        let read_at = Instant::now();
        let answer = retry_read(READ_ATTEMPTS, || {
            let mut c = client.relationships();
            let req = rpb::CheckCustomerManagementRequest {
                customer: CustomerName::new(customer).to_string(),
                partner: partner_name.clone(),
            };
            async move { c.check_customer_management(with_deadline(req, deadline)).await }
        })
        .await;
        let managed = match answer {
            Ok(r) => {
                let r = r.into_inner();
                let domain = (r.managed && !r.customer_domain.is_empty()).then_some(r.customer_domain);
                Managed { managed: r.managed, domain }
            }
            Err(s) if s.code() == Code::NotFound => Managed { managed: false, domain: None },
            Err(s) => return Err(dependency_problem("relationships", &s)),
        };
        if managed.managed {
            self.managed.insert((partner, customer), managed.clone(), read_at);
        }
        Ok((managed, read_at))
    }
}

fn bad_answer(service: &str) -> Problem {
    tracing::error!(service, "dependency answered with a malformed message");
    Problem::new(Code::Unavailable, "DEPENDENCY_UNAVAILABLE", format!("{service} gave an unusable answer"))
        .with_meta("dependency", service)
}
