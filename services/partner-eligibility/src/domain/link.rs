//! Reseller links (R1a): an indirect reseller transacts through an indirect provider only
//! once both agreed. The provider invites and the reseller accepts, or the reseller asks
//! and the provider approves; either side can end the link. What each move does is
//! decided here; the store only persists it.

use chrono::{DateTime, Utc};
use gcc_platform::TenantId;
use gcc_platform::contact::EmailAddress;
use serde::{Deserialize, Serialize};

use super::refusal::Refusal;

/// Where a link stands. `Ended` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    /// The provider invited; waiting for the reseller.
    Invited,
    /// The reseller asked; waiting for the provider.
    Requested,
    Active,
    Ended,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "INVITED",
            Self::Requested => "REQUESTED",
            Self::Active => "ACTIVE",
            Self::Ended => "ENDED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Invited, Self::Requested, Self::Active, Self::Ended].into_iter().find(|t| t.as_str() == s)
    }

    pub fn is_pending(self) -> bool {
        matches!(self, Self::Invited | Self::Requested)
    }
}

/// One side of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Provider,
    Reseller,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider => "PROVIDER",
            Self::Reseller => "RESELLER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Provider, Self::Reseller].into_iter().find(|t| t.as_str() == s)
    }

    fn other(self) -> Self {
        match self {
            Self::Provider => Self::Reseller,
            Self::Reseller => Self::Provider,
        }
    }
}

/// A move on a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkMove {
    /// The awaited side agrees.
    Approve,
    /// Either side ends (or declines) it.
    End { reason: Option<String> },
}

impl LinkMove {
    pub fn action(&self) -> &'static str {
        match self {
            Self::Approve => "reseller_link.approve",
            Self::End { .. } => "reseller_link.end",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResellerLink {
    pub id: String,
    pub provider: TenantId,
    pub reseller: TenantId,
    pub state: LinkState,
    pub opened_by: Side,
    pub ended_by: Option<Side>,
    pub end_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Where the provider is told of the reseller's moves on the link.
    #[serde(default)]
    pub provider_contact: Option<EmailAddress>,
    /// Where the reseller is told of the provider's moves on the link.
    #[serde(default)]
    pub reseller_contact: Option<EmailAddress>,
}

impl ResellerLink {
    /// A new link, waiting for the side that did not open it.
    pub fn open(id: String, provider: TenantId, reseller: TenantId, by: Side, now: DateTime<Utc>) -> Self {
        Self {
            id,
            provider,
            reseller,
            state: match by {
                Side::Provider => LinkState::Invited,
                Side::Reseller => LinkState::Requested,
            },
            opened_by: by,
            ended_by: None,
            end_reason: None,
            created_at: now,
            activated_at: None,
            ended_at: None,
            updated_at: now,
            provider_contact: None,
            reseller_contact: None,
        }
    }

    /// The addresses the opening side gave: its own, and the other side's (where the
    /// invitation or request is sent).
    pub fn with_contacts(mut self, provider: Option<EmailAddress>, reseller: Option<EmailAddress>) -> Self {
        self.provider_contact = provider;
        self.reseller_contact = reseller;
        self
    }

    /// A side's own address, given as it approves, replaces the one the other side gave.
    pub fn with_contact_of(mut self, side: Side, contact: Option<EmailAddress>) -> Self {
        if let Some(c) = contact {
            match side {
                Side::Provider => self.provider_contact = Some(c),
                Side::Reseller => self.reseller_contact = Some(c),
            }
        }
        self
    }

    /// The side `tenant` is on, if it is a party at all.
    pub fn side_of(&self, tenant: TenantId) -> Option<Side> {
        if tenant == self.provider {
            Some(Side::Provider)
        } else if tenant == self.reseller {
            Some(Side::Reseller)
        } else {
            None
        }
    }

    /// The side a pending link waits for.
    pub fn awaits(&self) -> Option<Side> {
        self.state.is_pending().then(|| self.opened_by.other())
    }

    /// R1a: the link after `by` makes `m`, or why it may not.
    pub fn apply(&self, m: &LinkMove, by: Side, now: DateTime<Utc>) -> Result<Self, Refusal> {
        let mut next = self.clone();
        next.updated_at = now;
        match m {
            LinkMove::Approve => {
                if !self.state.is_pending() {
                    return Err(Refusal::LinkNotAllowed { from: self.state });
                }
                if self.awaits() != Some(by) {
                    return Err(Refusal::LinkAwaitsOtherSide);
                }
                next.state = LinkState::Active;
                next.activated_at = Some(now);
            }
            LinkMove::End { reason } => {
                if self.state == LinkState::Ended {
                    return Err(Refusal::LinkNotAllowed { from: self.state });
                }
                next.state = LinkState::Ended;
                next.ended_by = Some(by);
                next.end_reason = reason.clone();
                next.ended_at = Some(now);
            }
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(by: Side) -> ResellerLink {
        ResellerLink::open("l".into(), TenantId::random(), TenantId::random(), by, Utc::now())
    }

    #[test]
    fn r1a_a_link_is_active_only_when_the_other_side_agrees() {
        let invited = link(Side::Provider);
        assert_eq!(invited.state, LinkState::Invited);
        assert_eq!(invited.apply(&LinkMove::Approve, Side::Provider, Utc::now()), Err(Refusal::LinkAwaitsOtherSide));
        let active = invited.apply(&LinkMove::Approve, Side::Reseller, Utc::now()).expect("reseller accepts");
        assert_eq!((active.state, active.activated_at.is_some()), (LinkState::Active, true));

        let requested = link(Side::Reseller);
        assert_eq!(requested.state, LinkState::Requested);
        assert_eq!(requested.apply(&LinkMove::Approve, Side::Reseller, Utc::now()), Err(Refusal::LinkAwaitsOtherSide));
        assert_eq!(
            requested.apply(&LinkMove::Approve, Side::Provider, Utc::now()).map(|l| l.state),
            Ok(LinkState::Active)
        );
    }

    #[test]
    fn r1a_either_side_ends_a_link_and_ended_is_final() {
        for side in [Side::Provider, Side::Reseller] {
            let active = link(Side::Reseller).apply(&LinkMove::Approve, Side::Provider, Utc::now()).unwrap();
            let ended = active.apply(&LinkMove::End { reason: Some("done".into()) }, side, Utc::now()).unwrap();
            assert_eq!((ended.state, ended.ended_by), (LinkState::Ended, Some(side)));
            for m in [LinkMove::Approve, LinkMove::End { reason: None }] {
                assert_eq!(ended.apply(&m, side, Utc::now()), Err(Refusal::LinkNotAllowed { from: LinkState::Ended }));
            }
        }
        let active = link(Side::Provider).apply(&LinkMove::Approve, Side::Reseller, Utc::now()).unwrap();
        assert_eq!(
            active.apply(&LinkMove::Approve, Side::Provider, Utc::now()),
            Err(Refusal::LinkNotAllowed { from: LinkState::Active })
        );
    }

    #[test]
    fn r1a_the_approving_side_may_replace_its_own_address_and_keeps_it_otherwise() {
        let given = |s: &str| EmailAddress::parse(s);
        let invited = link(Side::Provider).with_contacts(given("p@provider.example"), given("r@guess.example"));
        let kept = invited.clone().with_contact_of(Side::Reseller, None);
        assert_eq!(kept.reseller_contact, given("r@guess.example"));
        let replaced = invited.with_contact_of(Side::Reseller, given("gcc@reseller.example"));
        assert_eq!(
            (replaced.provider_contact, replaced.reseller_contact),
            (given("p@provider.example"), given("gcc@reseller.example"))
        );
    }

    #[test]
    fn only_the_two_parties_have_a_side() {
        let l = link(Side::Provider);
        assert_eq!(l.side_of(l.provider), Some(Side::Provider));
        assert_eq!(l.side_of(l.reseller), Some(Side::Reseller));
        assert_eq!(l.side_of(TenantId::random()), None);
    }
}
