//! The reference model: a handful of partners and customers, and what DOMAIN.md says about
//! them. Entities are numbered in creation order; the runner keeps their real names in
//! the same order. Code expiry (R12) and time in general are left out: the stack runs on
//! the system clock and a code lives 90 days, far longer than a run.

use std::collections::BTreeMap;

/// The partners of one case: three direct resellers, two indirect providers, three
/// indirect resellers (R1).
pub const KINDS: [Kind; 8] = [
    Kind::Direct,
    Kind::Direct,
    Kind::Direct,
    Kind::Provider,
    Kind::Provider,
    Kind::Reseller,
    Kind::Reseller,
    Kind::Reseller,
];
/// Organizations that customers belong to and validations are about (R12).
pub const ORGS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Provider,
    Reseller,
}

/// One side of a reseller link (R1a).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Provider,
    Reseller,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Invited,
    Requested,
    Active,
    Ended,
}

/// A review, of a partner (R4, R5) or of a customer (R11–R13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Pending,
    Approved,
    Rejected,
}

/// A relationship request (R14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invite {
    Pending,
    Accepted,
    Withdrawn,
}

#[derive(Debug, Clone)]
pub struct Partner {
    pub kind: Kind,
    pub enrolled: bool,
    /// Holds `Government_community_cloud` (R5).
    pub gcc: bool,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub provider: usize,
    pub reseller: usize,
    /// INVITED when the provider opened it, REQUESTED when the reseller did.
    pub state: LinkState,
}

impl Link {
    /// The side a pending link waits for.
    pub fn awaits(&self) -> Option<Side> {
        match self.state {
            LinkState::Invited => Some(Side::Reseller),
            LinkState::Requested => Some(Side::Provider),
            LinkState::Active | LinkState::Ended => None,
        }
    }

    pub fn party(&self, side: Side) -> usize {
        match side {
            Side::Provider => self.provider,
            Side::Reseller => self.reseller,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PartnerValidation {
    pub partner: usize,
    pub state: Review,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub org: usize,
    /// Its domain is the organization's own rather than a subdomain of it.
    pub at_root: bool,
    /// Holds the Government Community Cloud special qualification (R12).
    pub qualified: bool,
}

#[derive(Debug, Clone)]
pub struct CustomerValidation {
    pub partner: usize,
    pub transacting: usize,
    pub org: usize,
    pub customer: Option<usize>,
    pub state: Review,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub partner: usize,
    pub transacting: usize,
    pub org: usize,
    pub remaining: i32,
}

#[derive(Debug, Clone)]
pub struct Invitation {
    pub partner: usize,
    /// The inviting reseller's provider when it invited; acceptance records it on the
    /// relationship, but it manages the customer only while the reseller still
    /// transacts through it (R1a).
    pub provider: Option<usize>,
    pub customer: usize,
    pub state: Invite,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub partners: Vec<Partner>,
    pub links: Vec<Link>,
    pub partner_validations: Vec<PartnerValidation>,
    pub customers: Vec<Customer>,
    pub customer_validations: Vec<CustomerValidation>,
    pub codes: Vec<Code>,
    pub invitations: Vec<Invitation>,
    /// Active relationships, (partner, customer), with the indirect provider recorded on
    /// each when it started (R15, R17); that provider manages the customer too, for as
    /// long as the relationship lasts.
    pub relationships: BTreeMap<(usize, usize), Option<usize>>,
}

impl Model {
    pub fn new() -> Self {
        Self {
            partners: KINDS.iter().map(|&kind| Partner { kind, enrolled: false, gcc: false }).collect(),
            links: Vec::new(),
            partner_validations: Vec::new(),
            customers: Vec::new(),
            customer_validations: Vec::new(),
            codes: Vec::new(),
            invitations: Vec::new(),
            relationships: BTreeMap::new(),
        }
    }

    pub fn of_kind(&self, kind: Kind) -> Vec<usize> {
        (0..self.partners.len()).filter(|&p| self.partners[p].kind == kind).collect()
    }

    /// The reseller's link that is not ended, if any.
    pub fn open_link(&self, reseller: usize) -> Option<usize> {
        (0..self.links.len())
            .rev()
            .find(|&l| self.links[l].reseller == reseller && self.links[l].state != LinkState::Ended)
    }

    /// The link that decides whether a reseller transacts: its open one, else its last.
    fn current_link(&self, reseller: usize) -> Option<&Link> {
        self.open_link(reseller)
            .or_else(|| (0..self.links.len()).rev().find(|&l| self.links[l].reseller == reseller))
            .map(|l| &self.links[l])
    }

    /// Who transacts for `p` (R1a, R7, R9): a direct-bill partner for itself, a reseller
    /// through the provider of an ACTIVE link only. Otherwise why not, as the services
    /// name it.
    pub fn transacting(&self, p: usize) -> Result<usize, &'static str> {
        if self.partners[p].kind != Kind::Reseller {
            return Ok(p);
        }
        match self.current_link(p) {
            Some(l) if l.state == LinkState::Active => Ok(l.provider),
            Some(l) if l.state != LinkState::Ended => Err("RESELLER_LINK_PENDING"),
            _ => Err("RESELLER_LINK_ENDED"),
        }
    }

    /// Whether `p` manages `c`: it holds an active relationship (R15, R17), or it is the
    /// indirect provider recorded on a reseller's active one and the reseller still
    /// transacts through it (R1a).
    pub fn manages(&self, p: usize, c: usize) -> bool {
        self.relationships.iter().any(|(&(holder, customer), &provider)| {
            customer == c && (holder == p || (provider == Some(p) && self.transacting(holder) == Ok(p)))
        })
    }

    /// R18, the invariant under test: `p` may place a GCC order for `c` now exactly when
    /// it manages `c`, its transacting partner exists and holds GCC, and `c` holds the
    /// GCC special qualification.
    pub fn may_order_gcc(&self, p: usize, c: usize) -> bool {
        self.manages(p, c)
            && self.partners[p].enrolled
            && self.transacting(p).is_ok_and(|t| self.partners[t].gcc)
            && self.customers[c].qualified
    }

    /// Every reason the gate gives a managing partner, in the gate's order: the partner's,
    /// then the customer's (a validation under review rather than none, R11, R13).
    pub fn gate_reasons(&self, p: usize, c: usize) -> Vec<&'static str> {
        let mut reasons = Vec::new();
        match self.transacting(p) {
            _ if !self.partners[p].enrolled => reasons.push("PARTNER_NOT_ENROLLED"),
            Err(link) => reasons.push(link),
            Ok(t) if !self.partners[t].gcc => reasons.push("PARTNER_NOT_GCC_QUALIFIED"),
            Ok(_) => {}
        }
        if !self.customers[c].qualified {
            let open = self.customer_validations.iter().any(|v| v.customer == Some(c) && v.state == Review::Pending);
            reasons.push(if open { "VALIDATION_PENDING" } else { "CUSTOMER_NOT_VALIDATED" });
        }
        reasons
    }
}
