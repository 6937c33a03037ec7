//! `PlaceOrder` (R18–R21) and the reads of orders and subscriptions, which the ordering
//! partner and its indirect provider see and nobody else.

use std::time::Instant;

use gcc_platform::Caller;
use gcc_platform::idempotency::IdempotencyKey;
use gcc_platform::ids::new_id;
use gcc_platform::names::{CustomerName, OrderName};
use gcc_platform::paging::Page;
use gcc_proto::ordering as pb;
use tonic::{Request, Response, Status};

use super::{AGENTS, OrderingApi, caller_of, convert};
use crate::domain::{Clearance, NewOrder, Order};
use crate::error::OrderingError;

impl OrderingApi {
    pub(super) async fn place(&self, req: Request<pb::PlaceOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = caller_of(&req)?;
        let until = self.deadline(&req);
        let target = req.get_ref().order.as_ref().map(|o| o.customer.clone()).unwrap_or_default();
        self.run(&caller, "order.place", &target, async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = IdempotencyKey::new(caller.tenant.to_string(), "PlaceOrder", &request_id, &body)?;
            let new = convert::parse_new_order(body.order, &self.0.catalog)?;
            // A retry gets the first answer, whatever the facts say now or whether they
            // can be read at all: a refusal is checked against the record first. (A retry
            // whose facts still hold is settled by the record's key when it is written.)
            let clearance = match self.clear(&caller, &new, until).await {
                Ok(cleared) => cleared,
                Err(refusal) => match &key {
                    Some(key) => match self.0.store.replay(key).await? {
                        Some(order) => return Ok(convert::order(&order)),
                        None => return Err(refusal),
                    },
                    None => return Err(refusal),
                },
            };
            let now = self.now();
            let placement = Order::place(&new, caller.tenant, clearance, &caller.subject, now, new_id);
            let (order, _) = self.0.store.place(&caller, key.as_ref(), placement, now).await?;
            Ok(convert::order(&order))
        })
        .await
    }

    /// R18: whether the caller may order `new` now. Management and, for GCC lines only
    /// (R21), the gate's one verdict for their families (R6) are asked at once; either
    /// failing to answer fails the order. The domain decides from their answers.
    async fn clear(&self, caller: &Caller, new: &NewOrder, until: Instant) -> Result<Clearance, OrderingError> {
        let families = new.gcc_families();
        let facts = &self.0.facts;
        let gate = async {
            if families.is_empty() {
                return Ok(None);
            }
            facts.eligibility(caller, new.customer(), &families, until).await.map(Some)
        };
        let (management, verdict) = tokio::try_join!(facts.management(caller, new.customer(), until), gate)?;
        Ok(new.clear(&management, verdict.as_ref(), || CustomerName::new(new.customer()).to_string())?)
    }

    pub(super) async fn get(&self, req: Request<pb::GetOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = caller_of(&req)?;
        let name = req.into_inner().name;
        self.run(&caller, "order.get", &name, async {
            caller.require(AGENTS)?;
            let id = OrderName::parse("name", &name)?;
            let order = self
                .0
                .store
                .order(id.id())
                .await?
                .filter(|o| o.visible_to(caller.tenant))
                .ok_or_else(|| OrderingError::OrderNotFound(name.clone()))?;
            Ok(convert::order(&order))
        })
        .await
    }

    pub(super) async fn orders(
        &self,
        req: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "order.list", "orders", async {
            caller.require(AGENTS)?;
            let body = req.get_ref();
            let customer = convert::parse_customer_filter("customer", &body.customer)?;
            let fingerprint = format!("{}/{customer:?}", caller.tenant);
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.list_orders(caller.tenant, customer, &page).await?;
            let (orders, next_page_token) =
                page.finish(rows, |o| o.id.clone(), convert::order, self.0.max_message_bytes)?;
            Ok(pb::ListOrdersResponse { orders, next_page_token })
        })
        .await
    }

    pub(super) async fn subscriptions(
        &self,
        req: Request<pb::ListSubscriptionsRequest>,
    ) -> Result<Response<pb::ListSubscriptionsResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "subscription.list", "subscriptions", async {
            caller.require(AGENTS)?;
            let body = req.get_ref();
            let customer = convert::parse_customer_filter("customer", &body.customer)?;
            let fingerprint = format!("{}/{customer:?}", caller.tenant);
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.list_subscriptions(caller.tenant, customer, &page).await?;
            let (subscriptions, next_page_token) =
                page.finish(rows, |s| s.id.clone(), convert::subscription, self.0.max_message_bytes)?;
            Ok(pb::ListSubscriptionsResponse { subscriptions, next_page_token })
        })
        .await
    }
}
