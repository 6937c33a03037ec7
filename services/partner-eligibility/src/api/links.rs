//! Reseller links (R1a) on the wire: open, approve, end, read, list and watch. Only the
//! two parties see a link (reviewers see all); anyone else gets NOT_FOUND, exactly as for
//! a missing one.

use gcc_platform::events::{WatchStream, Watched, watch};
use gcc_platform::fields::parse_enum_filter;
use gcc_platform::idempotency::IdempotencyKey;
use gcc_platform::names::ResellerLinkName;
use gcc_platform::paging::Page;
use gcc_platform::{Caller, Problem, Role};
use gcc_proto::partner as pb;
use tonic::{Request, Response, Status};

use super::validations::check_len;
use super::{ADMINS, PartnerApi, READERS, caller_of, convert};
use crate::domain::{ContactEmail, LinkMove, ResellerLink, Side};
use crate::error::{DOMAIN, PartnerError};
use crate::store::NewLink;

pub type LinkStream = WatchStream<pb::ResellerLink>;

const COLLECTION: &str = ResellerLinkName::COLLECTION;

impl Watched for ResellerLink {
    fn key(&self) -> &str {
        &self.id
    }
    fn is_final(&self) -> bool {
        self.state == crate::domain::LinkState::Ended
    }
    fn version(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

impl PartnerApi {
    pub(super) async fn create_link(
        &self,
        req: Request<pb::CreateResellerLinkRequest>,
    ) -> Result<Response<pb::ResellerLink>, Status> {
        let caller = caller_of(&req)?;
        let target = convert::partner_name(caller.tenant);
        self.run(&caller, "reseller_link.create", &target, async {
            caller.require(ADMINS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = IdempotencyKey::new(caller.tenant.to_string(), "CreateResellerLink", &request_id, &body)?;
            let l = body.reseller_link.ok_or_else(|| Problem::field_required("reseller_link"))?;
            let provider = convert::parse_partner_name("reseller_link.provider", &l.provider)?;
            let reseller = convert::parse_partner_name("reseller_link.reseller", &l.reseller)?;
            let by = match (provider == caller.tenant, reseller == caller.tenant) {
                (true, false) => Side::Provider,
                (false, true) => Side::Reseller,
                _ => return Err(PartnerError::CallerNotAParty),
            };
            let provider_contact =
                convert::optional_email("reseller_link.provider_contact_email", &l.provider_contact_email)?;
            let reseller_contact =
                convert::optional_email("reseller_link.reseller_contact_email", &l.reseller_contact_email)?;
            let new = NewLink { provider, reseller, by, provider_contact, reseller_contact };
            let (link, fresh) = self.0.store.create_link(&caller, key.as_ref(), new, self.now()).await?;
            if fresh {
                self.0.links.publish(link.clone());
            }
            Ok(convert::link(&link))
        })
        .await
    }

    /// Approve or end (the RPC's name scopes the idempotency record); `contact` is the
    /// approving side's address, when it gives one.
    pub(super) async fn move_link(
        &self,
        caller: &Caller,
        name: &str,
        body: &impl prost::Message,
        request_id: &str,
        m: LinkMove,
        contact: Option<ContactEmail>,
    ) -> Result<pb::ResellerLink, PartnerError> {
        caller.require(ADMINS)?;
        let id = ResellerLinkName::parse("name", name)?.into_id();
        let method = match m {
            LinkMove::Approve => "ApproveResellerLink",
            LinkMove::End { .. } => "EndResellerLink",
        };
        let key = IdempotencyKey::new(caller.tenant.to_string(), method, request_id, body)?;
        let (link, fresh) = self.0.store.move_link(caller, key.as_ref(), id, m, contact, self.now()).await?;
        if fresh {
            self.0.links.publish(link.clone());
        }
        Ok(convert::link(&link))
    }

    pub(super) async fn approve_link(
        &self,
        req: Request<pb::ApproveResellerLinkRequest>,
    ) -> Result<Response<pb::ResellerLink>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let (name, request_id) = (body.name.clone(), std::mem::take(&mut body.request_id));
        self.run(&caller, "reseller_link.approve", &name, async {
            let contact = convert::optional_email("contact_email", &body.contact_email)?;
            let m = LinkMove::Approve;
            self.move_link(&caller, &name, &body, &request_id, m, contact).await
        })
        .await
    }

    pub(super) async fn end_link(
        &self,
        req: Request<pb::EndResellerLinkRequest>,
    ) -> Result<Response<pb::ResellerLink>, Status> {
        let caller = caller_of(&req)?;
        let mut body = req.into_inner();
        let (name, request_id) = (body.name.clone(), std::mem::take(&mut body.request_id));
        self.run(&caller, "reseller_link.end", &name, async {
            let reason = match body.reason.trim() {
                "" => None,
                _ => Some(check_len("reason", &body.reason)?),
            };
            let m = LinkMove::End { reason };
            self.move_link(&caller, &name, &body, &request_id, m, None).await
        })
        .await
    }

    /// A link the caller may see: one it is a party to, or any for reviewers.
    async fn visible_link(&self, caller: &Caller, name: &str) -> Result<ResellerLink, PartnerError> {
        let id = ResellerLinkName::parse("name", name)?.into_id();
        self.0
            .store
            .link(&id)
            .await?
            .filter(|l| caller.has(Role::EligibilityReviewer) || l.side_of(caller.tenant).is_some())
            .ok_or_else(|| PartnerError::LinkNotFound(name.to_owned()))
    }

    pub(super) async fn get_link(
        &self,
        req: Request<pb::GetResellerLinkRequest>,
    ) -> Result<Response<pb::ResellerLink>, Status> {
        let caller = caller_of(&req)?;
        let name = req.into_inner().name;
        self.run(&caller, "reseller_link.get", &name, async {
            caller.require(READERS)?;
            Ok(convert::link(&self.visible_link(&caller, &name).await?))
        })
        .await
    }

    pub(super) async fn list_links(
        &self,
        req: Request<pb::ListResellerLinksRequest>,
    ) -> Result<Response<pb::ListResellerLinksResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "reseller_link.list", COLLECTION, async {
            caller.require(READERS)?;
            let body = req.get_ref();
            let state =
                parse_enum_filter::<pb::reseller_link::State>("state", body.state)?.and_then(convert::link_state_from);
            let party = (!caller.has(Role::EligibilityReviewer)).then_some(caller.tenant);
            let fingerprint = format!("{party:?}/{state:?}");
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let rows = self.0.store.list_links(party, state, &page).await?;
            let (reseller_links, next_page_token) =
                page.finish(rows, |l| l.id.clone(), convert::link, self.0.max_message_bytes)?;
            Ok(pb::ListResellerLinksResponse { reseller_links, next_page_token })
        })
        .await
    }

    pub(super) async fn watch_link(
        &self,
        req: Request<pb::WatchResellerLinkRequest>,
    ) -> Result<Response<LinkStream>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        // Subscribe before reading, so that no change between the two is missed.
        let changes = self.0.links.subscribe();
        self.run(&caller, "reseller_link.watch", &name, async {
            caller.require(READERS)?;
            let current = self.visible_link(&caller, &name).await?;
            let slot = self.0.watchers.admit(caller.tenant)?;
            let store = self.0.store.clone();
            let reload = move |id: String| {
                let store = store.clone();
                async move { store.link(&id).await.map_err(|e| e.into_problem("").into_status(DOMAIN)) }
            };
            Ok(watch(slot, current, changes, reload, convert::link))
        })
        .await
    }
}
