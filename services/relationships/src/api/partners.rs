//! What partner-eligibility knows about the calling partner: whether it is enrolled and,
//! for an indirect reseller, its indirect provider. Asked only by mutations that record
//! it; the management check reads the stored relationship instead.

use std::time::Duration;

use gcc_client::{Connection, Transport, dependency_problem, retry_read, with_deadline};
use gcc_platform::{Caller, Problem, TenantId};
use gcc_proto::partner as ppb;
use tonic::Code;

use crate::domain::ActingPartner;
use crate::error::RelationshipsError;

const SERVICE: &str = "partner-eligibility";
/// A lookup is a read: retried on UNAVAILABLE, at most this many attempts in all.
const READ_ATTEMPTS: u32 = 3;

pub struct PartnerDirectory {
    connection: Connection,
}

impl PartnerDirectory {
    /// Connects lazily, so that the service starts while partner-eligibility is down.
    pub fn new(transport: &Transport, endpoint: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self { connection: Connection::lazy_with(transport, endpoint, None, timeout)? })
    }

    /// Records the calls as `service`'s calls to partner-eligibility (spans, metrics).
    pub fn observed(self, service: &'static str, endpoint: &str, metrics: gcc_platform::metrics::Metrics) -> Self {
        Self { connection: self.connection.observed(service, "partner-eligibility", endpoint, metrics) }
    }

    /// The provider `reseller` transacts through now (R1a), asked with the caller's token:
    /// the reseller itself, or its provider (which sees the reseller only while their
    /// link is active), or a reviewer. `None` when there is none, or when the caller may
    /// not see the reseller (a provider whose link has ended).
    #[tracing::instrument(skip_all, fields(dependency = "partner-eligibility", tenant = %caller.tenant, resource = %reseller), err(Debug))]
    pub async fn current_provider(
        &self,
        caller: &Caller,
        reseller: TenantId,
        deadline: Duration,
    ) -> Result<Option<TenantId>, RelationshipsError> {
        let client = self.connection.with_token(caller.token()).map_err(|e| {
            tracing::error!(error = ?e, "the caller's token cannot be forwarded");
            Problem::internal()
        })?;
        let answer = retry_read(READ_ATTEMPTS, || {
            let mut c = client.partner();
            let req = ppb::LookupTransactingPartnerRequest { tenant_id: reseller.to_string() };
            async move { c.lookup_transacting_partner(with_deadline(req, deadline)).await }
        })
        .await;
        match answer {
            Ok(r) => match r.into_inner().transacting_tenant_id.as_str() {
                "" => Ok(None),
                t => Ok(TenantId::parse(t).ok().filter(|t| *t != reseller)),
            },
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(dependency_problem(SERVICE, &s).into()),
        }
    }

    /// The caller's partner, asked with the caller's own token within `deadline`.
    #[tracing::instrument(skip_all, fields(dependency = "partner-eligibility", tenant = %caller.tenant), err(Debug))]
    pub async fn acting(&self, caller: &Caller, deadline: Duration) -> Result<ActingPartner, RelationshipsError> {
        let client = self.connection.with_token(caller.token()).map_err(|e| {
            tracing::error!(error = ?e, "the caller's token cannot be forwarded");
            Problem::internal()
        })?;
        let answer = retry_read(READ_ATTEMPTS, || {
            let mut c = client.partner();
            let req = ppb::LookupTransactingPartnerRequest { tenant_id: caller.tenant.to_string() };
            async move { c.lookup_transacting_partner(with_deadline(req, deadline)).await }
        })
        .await;
        match answer {
            Ok(r) => {
                let r = r.into_inner();
                // R1a: an indirect reseller without an active link has no transacting partner.
                if r.transacting_tenant_id.is_empty() && !r.reseller_link.is_empty() {
                    let state = ppb::reseller_link::State::try_from(r.reseller_link_state)
                        .unwrap_or(ppb::reseller_link::State::Ended)
                        .as_str_name()
                        .trim_start_matches("STATE_")
                        .to_owned();
                    return Err(RelationshipsError::ResellerLinkNotActive { state, link: r.reseller_link });
                }
                let transacting = TenantId::parse(&r.transacting_tenant_id).map_err(|_| {
                    tracing::error!(service = SERVICE, "dependency answered with a malformed transacting tenant ID");
                    Problem::new(
                        Code::Unavailable,
                        "DEPENDENCY_UNAVAILABLE",
                        format!("{SERVICE} gave an unusable answer"),
                    )
                    .with_meta("dependency", SERVICE)
                })?;
                Ok(ActingPartner::new(caller.tenant, transacting))
            }
            Err(s) if s.code() == Code::NotFound => Err(RelationshipsError::PartnerNotEnrolled),
            Err(s) => Err(dependency_problem(SERVICE, &s).into()),
        }
    }
}
