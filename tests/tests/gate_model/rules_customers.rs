//! What the customer-side steps do to the model: customers and their relationships
//! (R14–R17), customer validations and codes (R7–R13), and orders (R18–R21).

use tonic::Code as Status;

use super::model::*;
use super::rules::{Expect, Refusal, precondition, refuse};

impl Model {
    /// Who may act for customers: an enrolled partner with a transacting partner (R1a).
    /// The provider it transacts through, for a reseller.
    fn acting(&self, p: usize) -> Result<Option<usize>, Refusal> {
        let refused = |reason| Refusal { code: Status::FailedPrecondition, reason, gate: Vec::new() };
        if !self.partners[p].enrolled {
            return Err(refused("PARTNER_NOT_ENROLLED"));
        }
        let t = self.transacting(p).map_err(refused)?;
        Ok((t != p).then_some(t))
    }

    /// R17: the creator manages the new customer at once; domains are unique.
    pub(super) fn create_customer(&mut self, p: usize, org: usize, at_root: bool) -> Expect {
        let provider = self.acting(p)?;
        if at_root && self.customers.iter().any(|c| c.org == org && c.at_root) {
            return refuse(Status::AlreadyExists, "DOMAIN_TAKEN");
        }
        self.customers.push(Customer { org, at_root, qualified: false });
        self.relationships.insert((p, self.customers.len() - 1), provider);
        Ok(())
    }

    /// R7–R9, R12: on behalf of a customer, naming the transacting partner's tenant, once
    /// it holds GCC; one open review per organization and transacting partner.
    pub(super) fn submit_customer(&mut self, p: usize, org: usize, customer: Option<usize>, own: bool) -> Expect {
        self.acting(p)?;
        let t = self.transacting(p).expect("acting checked it");
        if own && t != p {
            return refuse(Status::InvalidArgument, "USE_TRANSACTING_PARTNER_TENANT_ID");
        }
        if !self.partners[t].gcc {
            return precondition("PARTNER_NOT_GCC_QUALIFIED");
        }
        if let Some(c) = customer {
            if !self.manages(p, c) {
                return refuse(Status::NotFound, "CUSTOMER_NOT_FOUND");
            }
            if self.customers[c].org != org {
                return precondition("CUSTOMER_ORGANIZATION_MISMATCH");
            }
        }
        if self.customer_validations.iter().any(|v| v.transacting == t && v.org == org && v.state == Review::Pending) {
            return precondition("VALIDATION_ALREADY_OPEN");
        }
        if customer.is_some_and(|c| self.customers[c].qualified) {
            return precondition("CUSTOMER_ALREADY_QUALIFIED");
        }
        self.customer_validations.push(CustomerValidation {
            partner: p,
            transacting: t,
            org,
            customer,
            state: Review::Pending,
        });
        Ok(())
    }

    /// R12, R13: approval issues a code with `uses` uses, and qualifies the named customer
    /// at once (taking one) unless it already is.
    pub(super) fn decide_customer(&mut self, v: usize, approve: bool, uses: i32) -> Expect {
        if self.customer_validations[v].state != Review::Pending {
            return precondition("TRANSITION_NOT_ALLOWED");
        }
        let validation = &mut self.customer_validations[v];
        if !approve {
            validation.state = Review::Rejected;
            return Ok(());
        }
        validation.state = Review::Approved;
        let mut code = Code {
            partner: validation.partner,
            transacting: validation.transacting,
            org: validation.org,
            remaining: uses,
        };
        if let Some(c) = validation.customer.filter(|&c| !self.customers[c].qualified) {
            self.customers[c].qualified = true;
            code.remaining -= 1;
        }
        self.codes.push(code);
        Ok(())
    }

    /// R12: to a customer the caller manages, within the code's organization, while a use
    /// is left; the submitting and the transacting partner see the code.
    pub(super) fn apply_code(&mut self, p: usize, k: usize, c: usize) -> Expect {
        if !self.manages(p, c) {
            return refuse(Status::NotFound, "CUSTOMER_NOT_FOUND");
        }
        let code = &self.codes[k];
        if code.partner != p && code.transacting != p {
            return refuse(Status::NotFound, "VALIDATION_CODE_NOT_FOUND");
        }
        if self.customers[c].org != code.org {
            return precondition("VALIDATION_CODE_ORGANIZATION_MISMATCH");
        }
        if code.remaining == 0 {
            return precondition("VALIDATION_CODE_SPENT");
        }
        if self.customers[c].qualified {
            return precondition("CUSTOMER_ALREADY_QUALIFIED");
        }
        self.codes[k].remaining -= 1;
        self.customers[c].qualified = true;
        Ok(())
    }

    /// R14: an invitation records the inviting reseller's provider of the moment.
    pub(super) fn invite(&mut self, p: usize, c: usize) -> Expect {
        let provider = self.acting(p)?;
        self.invitations.push(Invitation { partner: p, provider, customer: c, state: Invite::Pending });
        Ok(())
    }

    /// R15: the relationship becomes active (again), with the invitation's provider.
    pub(super) fn accept(&mut self, i: usize) -> Expect {
        match self.invitations[i].state {
            Invite::Accepted => return precondition("INVITATION_ALREADY_ACCEPTED"),
            Invite::Withdrawn => return precondition("INVITATION_REVOKED"),
            Invite::Pending => {}
        }
        let invitation = &mut self.invitations[i];
        invitation.state = Invite::Accepted;
        self.relationships.insert((invitation.partner, invitation.customer), invitation.provider);
        Ok(())
    }

    pub(super) fn withdraw(&mut self, i: usize) -> Expect {
        if self.invitations[i].state != Invite::Pending {
            return precondition("INVITATION_NOT_PENDING");
        }
        self.invitations[i].state = Invite::Withdrawn;
        Ok(())
    }

    /// Only the partner's own relationship ends (a provider holds none of its own).
    pub(super) fn revoke(&mut self, p: usize, c: usize) -> Expect {
        match self.relationships.remove(&(p, c)) {
            Some(_) => Ok(()),
            None => refuse(Status::NotFound, "RELATIONSHIP_NOT_FOUND"),
        }
    }

    /// R18, R21: an unmanaged customer is unknown; a commercial order needs nothing more;
    /// a GCC order is placed exactly when `may_order_gcc` says so.
    pub(super) fn order(&self, p: usize, c: usize, gcc: bool) -> Expect {
        if !self.manages(p, c) {
            return refuse(Status::NotFound, "CUSTOMER_NOT_FOUND");
        }
        if gcc && !self.may_order_gcc(p, c) {
            let gate = self.gate_reasons(p, c);
            return Err(Refusal { code: Status::FailedPrecondition, reason: "GCC_ELIGIBILITY_REQUIRED", gate });
        }
        Ok(())
    }
}
