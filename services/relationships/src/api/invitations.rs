//! The invitation RPCs (R14, R15): create, read, edit, resend, send by e-mail, revoke and
//! accept.

use gcc_platform::ids::new_id;
use gcc_platform::names::RelationshipRequestName;
use gcc_platform::paging::Page;
use gcc_platform::{Problem, idempotency};
use gcc_proto::relationships as pb;
use tonic::{Request, Response, Status};

use super::{AGENTS, CUSTOMER_ADMINS, RelationshipsApi, caller_of, convert, idempotency_key};
use crate::domain::Change;
use crate::domain::{EventKind, Invitation, InvitationState, draft_email, token_hash};
use crate::error::RelationshipsError;
use crate::store::InvitationFilter;

const COLLECTION: &str = RelationshipRequestName::COLLECTION;
/// Longer than any token this service makes.
const MAX_TOKEN_CHARS: usize = 256;

impl RelationshipsApi {
    /// R14: a new invitation, its personalized link and its draft e-mail.
    pub(super) async fn create_invitation(
        &self,
        req: Request<pb::CreateRelationshipRequestRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        let caller = caller_of(&req)?;
        let deadline = self.dependency_deadline(&req);
        self.run(&caller, "relationship_request.create", COLLECTION, async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "CreateRelationshipRequest", &request_id, &body)?;
            let new = convert::parse_new_invitation(body.relationship_request)?;
            // A retry is answered from its record, even while partner-eligibility is down.
            if let Some(key) = &key
                && let Some(i) = idempotency::peek::<Invitation>(self.0.store.db(), key).await?
            {
                return Ok(self.with_link(&i, true));
            }
            let acting = self.0.partners.acting(&caller, deadline).await?;
            let now = self.now();
            let (email_subject, email_body) = draft_email();
            let invitation = Invitation {
                id: new_id(),
                partner: acting.tenant,
                provider: acting.provider,
                bound_tenant: new.bound_tenant,
                bound_domain: new.bound_domain,
                state: InvitationState::Invited,
                generation: 1,
                email_subject,
                email_body,
                expire_at: now + self.0.invitation_ttl,
                customer: None,
                created_at: now,
                updated_at: now,
                notify_email: new.notify_email,
            };
            let hash = token_hash(&self.0.links.token(&invitation.id, invitation.generation));
            // A retry gets the stored invitation, whose link is derived again: the same one.
            let (i, _) = self.0.store.create_invitation(&caller, key.as_ref(), invitation, hash).await?;
            Ok(self.with_link(&i, true))
        })
        .await
    }

    pub(super) async fn get_invitation(
        &self,
        req: Request<pb::GetRelationshipRequestRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "relationship_request.get", &name, async {
            caller.require(AGENTS)?;
            let id = RelationshipRequestName::parse("name", &name)?;
            let i = self
                .0
                .store
                .invitation(id.id())
                .await?
                .filter(|i| i.partner == caller.tenant)
                .ok_or_else(|| RelationshipsError::RequestNotFound(name.clone()))?;
            Ok(convert::invitation(&i, self.now(), None, false))
        })
        .await
    }

    pub(super) async fn list_invitations(
        &self,
        req: Request<pb::ListRelationshipRequestsRequest>,
    ) -> Result<Response<pb::ListRelationshipRequestsResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "relationship_request.list", COLLECTION, async {
            caller.require(AGENTS)?;
            let body = req.get_ref();
            let filter = InvitationFilter { state: convert::parse_state_filter("state", body.state)? };
            let fingerprint = format!("{:?}", filter.state);
            let page = Page::parse(body.page_size, &body.page_token, &fingerprint)?;
            let now = self.now();
            let rows = self.0.store.list_invitations(caller.tenant, filter, now, &page).await?;
            let (relationship_requests, next_page_token) = page.finish(
                rows,
                |i| i.id.clone(),
                |i| convert::invitation(i, now, None, false),
                self.0.max_message_bytes,
            )?;
            Ok(pb::ListRelationshipRequestsResponse { relationship_requests, next_page_token })
        })
        .await
    }

    /// R14: the partner's own text, which must keep the link.
    pub(super) async fn update_email(
        &self,
        req: Request<pb::UpdateRelationshipRequestEmailRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "relationship_request.update_email", &name, async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "UpdateRelationshipRequestEmail", &request_id, &body)?;
            let id = RelationshipRequestName::parse("name", &name)?.into_id();
            let subject = convert::required_text("email_subject", &body.email_subject, 200)?;
            convert::required_text("email_body", &body.email_body, 10_000)?;
            let links = self
                .0
                .links
                .tokens_in(&body.email_body)
                .into_iter()
                .map(|t| (token_hash(t), self.0.links.url(t)))
                .collect();
            let change = Change::UpdateEmail { subject, body: body.email_body, links };
            let (i, _) =
                self.0.store.change_invitation(&caller, key.as_ref(), id, caller.tenant, change, self.now()).await?;
            Ok(self.with_link(&i, false))
        })
        .await
    }

    /// A new link; the old one then answers INVITATION_REVOKED.
    pub(super) async fn resend(
        &self,
        req: Request<pb::ResendRelationshipRequestRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "relationship_request.resend", &name, async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "ResendRelationshipRequest", &request_id, &body)?;
            let id = RelationshipRequestName::parse("name", &name)?.into_id();
            let now = self.now();
            let change = Change::Resend { links: self.0.links.clone(), expire_at: now + self.0.invitation_ttl };
            let (i, _) = self.0.store.change_invitation(&caller, key.as_ref(), id, caller.tenant, change, now).await?;
            Ok(self.with_link(&i, true))
        })
        .await
    }

    /// R14: the service sends the e-mail as it stands, with the current link, to the
    /// customer address given (the relay renders it as it relays the event).
    pub(super) async fn send_email(
        &self,
        req: Request<pb::SendRelationshipRequestEmailRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "relationship_request.send_email", &name, async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "SendRelationshipRequestEmail", &request_id, &body)?;
            let id = RelationshipRequestName::parse("name", &name)?.into_id();
            if body.to.trim().is_empty() {
                return Err(Problem::field_required("to").into());
            }
            let to = convert::parse_email("to", &body.to)?;
            let now = self.now();
            let change = Change::SendEmail { to };
            let (i, _) = self.0.store.change_invitation(&caller, key.as_ref(), id, caller.tenant, change, now).await?;
            Ok(convert::invitation(&i, now, None, false))
        })
        .await
    }

    /// The e-mail this service made for the caller's partner, and how each delivery went.
    pub(super) async fn notifications(
        &self,
        req: Request<gcc_proto::notification::ListNotificationsRequest>,
    ) -> Result<Response<gcc_proto::notification::ListNotificationsResponse>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "notification.list", "notifications", async {
            caller.require(AGENTS)?;
            // A partner sees the notifications for itself only.
            let (db, tenant) = (self.0.store.db(), caller.tenant.to_string());
            let max = self.0.max_message_bytes;
            Ok(gcc_platform::mail::list_notifications(db, &self.0.mailer, Some(&tenant), req.get_ref(), max).await?)
        })
        .await
    }

    pub(super) async fn revoke_invitation(
        &self,
        req: Request<pb::RevokeRelationshipRequestRequest>,
    ) -> Result<Response<pb::RelationshipRequest>, Status> {
        let caller = caller_of(&req)?;
        let name = req.get_ref().name.clone();
        self.run(&caller, "relationship_request.revoke", &name, async {
            caller.require(AGENTS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "RevokeRelationshipRequest", &request_id, &body)?;
            let id = RelationshipRequestName::parse("name", &name)?.into_id();
            let now = self.now();
            let (i, _) =
                self.0.store.change_invitation(&caller, key.as_ref(), id, caller.tenant, Change::Revoke, now).await?;
            Ok(convert::invitation(&i, now, None, false))
        })
        .await
    }

    /// R15: the customer's admin accepts; the customer then appears in the partner's list.
    pub(super) async fn accept(
        &self,
        req: Request<pb::AcceptRelationshipRequestRequest>,
    ) -> Result<Response<pb::CustomerRelationship>, Status> {
        let caller = caller_of(&req)?;
        self.run(&caller, "relationship_request.accept", COLLECTION, async {
            caller.require(CUSTOMER_ADMINS)?;
            let mut body = req.into_inner();
            let request_id = std::mem::take(&mut body.request_id);
            let key = idempotency_key(&caller, "AcceptRelationshipRequest", &request_id, &body)?;
            let token = convert::required_text("invitation_token", &body.invitation_token, MAX_TOKEN_CHARS)?;
            let profile = match body.company_profile {
                Some(p) => Some(convert::parse_profile("company_profile", Some(p))?),
                None => None,
            };
            let (r, fresh) =
                self.0.store.accept(&caller, key.as_ref(), token_hash(&token), profile, self.now()).await?;
            if fresh {
                self.publish(&r, EventKind::Activated);
            }
            Ok(convert::relationship(&r))
        })
        .await
    }

    /// The invitation with its current link in the e-mail body (and on its own when
    /// `show_url`).
    fn with_link(&self, i: &Invitation, show_url: bool) -> pb::RelationshipRequest {
        let url = self.0.links.url_for(&i.id, i.generation);
        convert::invitation(i, self.now(), Some(&url), show_url)
    }
}
