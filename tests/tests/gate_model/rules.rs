//! What each step does to the model, from DOMAIN.md and the contracts: the refusal the
//! services must give, checked in the order the contracts list them, or the change.

use tonic::Code as Status;

use super::model::*;
use super::steps::{Step, is_gcc};

/// A refusal the model expects: its code, its `ErrorInfo.reason`, and for a GCC order the
/// gate's reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Status,
    pub reason: &'static str,
    pub gate: Vec<&'static str>,
}

pub type Expect = Result<(), Refusal>;

pub(super) fn refuse(code: Status, reason: &'static str) -> Expect {
    Err(Refusal { code, reason, gate: Vec::new() })
}

pub(super) fn precondition(reason: &'static str) -> Expect {
    refuse(Status::FailedPrecondition, reason)
}

impl Model {
    /// The outcome the services must give `step`, applied to the model when it succeeds.
    pub fn apply(&mut self, step: &Step) -> Expect {
        match *step {
            Step::Enroll { partner, provider } => self.enroll(partner, provider),
            Step::RequestLink { reseller, provider } => self.open_link_by(provider, reseller, Side::Reseller),
            Step::InviteReseller { provider, reseller } => self.open_link_by(provider, reseller, Side::Provider),
            Step::ApproveLink { link, side } => self.approve_link(link, side),
            Step::EndLink { link, .. } => self.end_link(link),
            Step::SubmitPartner { partner } => self.submit_partner(partner),
            Step::DecidePartner { validation, approve } => self.decide_partner(validation, approve),
            Step::CreateCustomer { partner, org, at_root } => self.create_customer(partner, org, at_root),
            Step::SubmitCustomer { partner, org, customer, own_tenant } => {
                self.submit_customer(partner, org, customer, own_tenant)
            }
            Step::DecideCustomer { validation, approve, uses } => self.decide_customer(validation, approve, uses),
            Step::ApplyCode { partner, code, customer } => self.apply_code(partner, code, customer),
            Step::Invite { partner, customer } => self.invite(partner, customer),
            Step::Accept { invitation } => self.accept(invitation),
            Step::Withdraw { invitation } => self.withdraw(invitation),
            Step::Revoke { partner, customer, .. } => self.revoke(partner, customer),
            Step::Order { partner, customer, offer } => self.order(partner, customer, is_gcc(offer)),
        }
    }

    /// R1, R1a: a reseller naming a provider joins that provider's invitation, or asks it.
    fn enroll(&mut self, p: usize, provider: usize) -> Expect {
        if self.partners[p].enrolled {
            return refuse(Status::AlreadyExists, "PARTNER_ALREADY_ENROLLED");
        }
        if self.partners[p].kind == Kind::Reseller {
            if !self.partners[provider].enrolled {
                return precondition("INDIRECT_PROVIDER_NOT_ENROLLED");
            }
            match self.open_link(p) {
                Some(l) if self.links[l].provider == provider && self.links[l].state == LinkState::Invited => {
                    self.links[l].state = LinkState::Active;
                }
                Some(_) => return precondition("RESELLER_LINK_ALREADY_OPEN"),
                None => self.links.push(Link { provider, reseller: p, state: LinkState::Requested }),
            }
        }
        self.partners[p].enrolled = true;
        Ok(())
    }

    /// R1a: a provider invites (it must be enrolled; the reseller need not be yet), or an
    /// enrolled reseller asks; a reseller has at most one link that is not ended.
    fn open_link_by(&mut self, provider: usize, reseller: usize, by: Side) -> Expect {
        if by == Side::Provider && !self.partners[provider].enrolled {
            return precondition("PARTNER_NOT_ENROLLED");
        }
        if !self.partners[provider].enrolled {
            return precondition("INDIRECT_PROVIDER_NOT_ENROLLED");
        }
        if by == Side::Reseller && !self.partners[reseller].enrolled {
            return precondition("PARTNER_NOT_ENROLLED");
        }
        if self.open_link(reseller).is_some() {
            return precondition("RESELLER_LINK_ALREADY_OPEN");
        }
        let state = if by == Side::Provider { LinkState::Invited } else { LinkState::Requested };
        self.links.push(Link { provider, reseller, state });
        Ok(())
    }

    /// R1a: only the side the link waits for agrees; an invited tenant enrolls first.
    fn approve_link(&mut self, l: usize, side: Side) -> Expect {
        let link = &self.links[l];
        if side == Side::Reseller && !self.partners[link.reseller].enrolled {
            return precondition("PARTNER_NOT_ENROLLED");
        }
        match link.awaits() {
            None => precondition("TRANSITION_NOT_ALLOWED"),
            Some(awaited) if awaited != side => precondition("RESELLER_LINK_AWAITS_OTHER_SIDE"),
            Some(_) => {
                self.links[l].state = LinkState::Active;
                Ok(())
            }
        }
    }

    /// R1a: either side ends (or declines) a link; ENDED is final.
    fn end_link(&mut self, l: usize) -> Expect {
        if self.links[l].state == LinkState::Ended {
            return precondition("TRANSITION_NOT_ALLOWED");
        }
        self.links[l].state = LinkState::Ended;
        Ok(())
    }

    /// R1, R2, R5: enrolled direct-bill partners without GCC, one review at a time.
    fn submit_partner(&mut self, p: usize) -> Expect {
        let partner = &self.partners[p];
        if !partner.enrolled {
            return precondition("PARTNER_NOT_ENROLLED");
        }
        if partner.kind == Kind::Reseller {
            return precondition("INDIRECT_RESELLER_CANNOT_SUBMIT");
        }
        if partner.gcc {
            return precondition("PARTNER_ALREADY_QUALIFIED");
        }
        if self.partner_validations.iter().any(|v| v.partner == p && v.state == Review::Pending) {
            return precondition("VALIDATION_ALREADY_OPEN");
        }
        self.partner_validations.push(PartnerValidation { partner: p, state: Review::Pending });
        Ok(())
    }

    /// R5: approval grants GCC; decided reviews are final.
    fn decide_partner(&mut self, v: usize, approve: bool) -> Expect {
        if self.partner_validations[v].state != Review::Pending {
            return precondition("TRANSITION_NOT_ALLOWED");
        }
        self.partner_validations[v].state = if approve { Review::Approved } else { Review::Rejected };
        if approve {
            let p = self.partner_validations[v].partner;
            self.partners[p].gcc = true;
        }
        Ok(())
    }
}
