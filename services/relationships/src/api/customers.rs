//! Customer accounts (R17) and who manages them (R15): create, read, list, the management
//! check that ordering asks before every order, and ending a relationship.

use gcc_platform::idempotency;
use gcc_platform::names::{CustomerName, PartnerName};
use gcc_platform::paging::Page;
use gcc_platform::{Caller, Role, TenantId};
use gcc_proto::relationships as pb;
use tonic::{Request, Response, Status};

use super::{AGENTS, CHECKERS, ENDERS, RelationshipsApi, caller_of, convert, idempotency_key};
use super::{parse_customer_name, parse_partner_name};
use crate::domain::{Customer, EventKind, ManagementKind, Relationship, customer::fold};
use crate::error::RelationshipsError;
use crate::store::CustomerFilter;

impl RelationshipsApi {
    pub(super) async fn create(
        &self,
        req: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let caller = caller_of(&req)?;
        let deadline = self.dependency_deadline(&req);
        self.run(&caller, "customer.create", "customers", async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "CreateCustomer", &request_id, &body)?;
            let profile = convert::parse_new_customer(body.customer)?;
            // A retry is answered from its record, even while partner-eligibility is down.
            if let Some(key) = &key
                && let Some(customer) = idempotency::peek::<Customer>(self.0.store.db(), key).await?
            {
                return Ok(convert::customer(&customer, ManagementKind::Direct));
            }
            let acting = self.0.partners.acting(&caller, deadline).await?;
            let (customer, fresh) =
                self.0.store.create_customer(&caller, key.as_ref(), acting, profile, self.now()).await?;
            if fresh {
                let r = Relationship {
                    partner: acting.tenant,
                    customer: customer.tenant,
                    provider: acting.provider,
                    active: true,
                };
                self.publish(&r, EventKind::Activated);
            }
            Ok(convert::customer(&customer, ManagementKind::Direct))
        })
        .await
    }

    pub(super) async fn customer(
        &self,
        req: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "customer.get", &name, async {
            caller.require(AGENTS)?;
            let tenant = parse_customer_name("name", &name)?;
            let (customer, kind) = self
                .0
                .store
                .managed_customer(caller.tenant, tenant)
                .await?
                .ok_or_else(|| RelationshipsError::CustomerNotFound(name.clone()))?;
            Ok(convert::customer(&customer, kind))
        })
        .await
    }

    pub(super) async fn customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "customer.list", "customers", async {
            caller.require(AGENTS)?;
            let body = req.get_ref();
            let filter = CustomerFilter {
                name_prefix: fold(&convert::optional_text("name_prefix", &body.name_prefix, 200)?),
                domain_prefix: convert::optional_text("domain_prefix", &body.domain_prefix, 253)?.to_ascii_lowercase(),
            };
            let fingerprint = format!("{:?}/{:?}", filter.name_prefix, filter.domain_prefix);
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.list_customers(caller.tenant, &filter, &page).await?;
            let (customers, next_page_token) = page.finish(
                rows,
                |(c, _)| c.tenant.to_string(),
                |(c, kind)| convert::customer(c, *kind),
                self.0.max_message_bytes,
            )?;
            Ok(pb::ListCustomersResponse { customers, next_page_token })
        })
        .await
    }

    pub(super) async fn revoke_relationship(
        &self,
        req: Request<pb::RevokeCustomerRelationshipRequest>,
    ) -> Result<Response<pb::CustomerRelationship>, Status> {
        let caller = caller_of(&req)?;
        let target = req.get_ref().customer.clone();
        self.run(&caller, "relationship.revoke", &target, async {
            caller.require(ENDERS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "RevokeCustomerRelationship", &request_id, &body)?;
            let customer = parse_customer_name("customer", &body.customer)?;
            let partner = ending_partner(&caller, customer, &body.partner)?;
            let (r, fresh) =
                self.0.store.revoke_relationship(&caller, key.as_ref(), partner, customer, self.now()).await?;
            if fresh {
                self.publish(&r, EventKind::Revoked);
            }
            Ok(convert::relationship(&r))
        })
        .await
    }

    pub(super) async fn check_management(
        &self,
        req: Request<pb::CheckCustomerManagementRequest>,
    ) -> Result<Response<pb::CheckCustomerManagementResponse>, Status> {
        let caller = caller_of(&req)?;
        let target = req.get_ref().customer.clone();
        let deadline = self.dependency_deadline(&req);
        self.run(&caller, "customer.check_management", &target, async {
            caller.require(CHECKERS)?;
            let body = req.get_ref();
            let customer = parse_customer_name("customer", &body.customer)?;
            let partner = match body.partner.as_str() {
                "" => caller.tenant,
                name => parse_partner_name("partner", name)?,
            };
            // A partner asks about itself; another partner is as unknown as a missing one.
            if partner != caller.tenant && !caller.has(Role::EligibilityReviewer) {
                return Err(RelationshipsError::PartnerNotFound(body.partner.clone()));
            }
            // R1a: a reseller's relationship counts for the provider it transacts through
            // now, not the one recorded when the invitation was made. A provider whose link
            // has ended no longer manages the reseller's customers.
            for (m, domain) in self.0.store.management(partner, customer).await? {
                let provider = match m.provider {
                    None => None,
                    Some(_) => self.0.partners.current_provider(&caller, m.managing_partner, deadline).await?,
                };
                if m.kind == ManagementKind::IndirectProvider && provider != Some(partner) {
                    continue;
                }
                return Ok(pb::CheckCustomerManagementResponse {
                    managed: true,
                    management: convert::management_kind(m.kind) as i32,
                    managing_partner: PartnerName::new(m.managing_partner).to_string(),
                    indirect_provider: provider.map(|p| PartnerName::new(p).to_string()).unwrap_or_default(),
                    customer_domain: domain,
                });
            }
            Ok(pb::CheckCustomerManagementResponse::default())
        })
        .await
    }
}

/// Whose relationship the caller may end: a partner's admin agent its own (the partner
/// field empty or itself); a customer's admin its own customer's, with a named partner.
/// Anything else is as unknown as a missing relationship.
fn ending_partner(caller: &Caller, customer: TenantId, partner: &str) -> Result<TenantId, RelationshipsError> {
    let not_found = |p: String| RelationshipsError::RelationshipNotFound {
        partner: p,
        customer: CustomerName::new(customer).to_string(),
    };
    if caller.has(Role::CustomerAdmin) && customer == caller.tenant {
        return Ok(parse_partner_name("partner", partner)?);
    }
    if !caller.has(Role::AdminAgent) {
        return Err(not_found(partner.to_owned()));
    }
    let named = match partner {
        "" => caller.tenant,
        name => parse_partner_name("partner", name)?,
    };
    if named != caller.tenant {
        return Err(not_found(PartnerName::new(named).to_string()));
    }
    Ok(named)
}
