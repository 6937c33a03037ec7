//! The steps a case is made of. Every field is an index into the model's entities (and the
//! runner's names for them), so that a seed replays the same sequence on any run.

use super::model::Side;

/// GCC offers, one per family (R6); they are gated (R18).
pub const GCC_OFFERS: [&str; 4] = ["o365-g3-gcc", "d365-sales-enterprise-gcc", "ems-e3-gcc", "power-bi-pro-gcc"];
/// Commercial offers; they are not (R21).
pub const COMMERCIAL_OFFERS: [&str; 3] = ["o365-e3", "ems-e3", "power-bi-pro"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A partner enrolls (R1); a reseller names `provider`, which opens or joins a link.
    Enroll {
        partner: usize,
        provider: usize,
    },
    /// A reseller asks a provider for a link (R1a).
    RequestLink {
        reseller: usize,
        provider: usize,
    },
    /// A provider invites a reseller to a link (R1a).
    InviteReseller {
        provider: usize,
        reseller: usize,
    },
    ApproveLink {
        link: usize,
        side: Side,
    },
    EndLink {
        link: usize,
        side: Side,
    },
    /// A partner submits its own GCC validation (R2, R3).
    SubmitPartner {
        partner: usize,
    },
    DecidePartner {
        validation: usize,
        approve: bool,
    },
    /// A partner creates a customer in `org`, at its root domain or a subdomain (R17).
    CreateCustomer {
        partner: usize,
        org: usize,
        at_root: bool,
    },
    /// A partner submits a validation of `org` (R8, R9), naming `customer` if given; with
    /// `own_tenant` it gives its own tenant ID rather than its transacting partner's.
    SubmitCustomer {
        partner: usize,
        org: usize,
        customer: Option<usize>,
        own_tenant: bool,
    },
    DecideCustomer {
        validation: usize,
        approve: bool,
        uses: i32,
    },
    ApplyCode {
        partner: usize,
        code: usize,
        customer: usize,
    },
    /// A relationship request bound to the customer's tenant (R14).
    Invite {
        partner: usize,
        customer: usize,
    },
    /// The customer's admin accepts (R15).
    Accept {
        invitation: usize,
    },
    /// The partner withdraws its invitation.
    Withdraw {
        invitation: usize,
    },
    /// The partner (or the customer's admin) ends their relationship.
    Revoke {
        partner: usize,
        customer: usize,
        by_customer: bool,
    },
    /// One line of `offer` for `customer` (R18–R21).
    Order {
        partner: usize,
        customer: usize,
        offer: &'static str,
    },
}

impl Step {
    /// Its name, for the counts printed at the end.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Enroll { .. } => "Enroll",
            Step::RequestLink { .. } => "RequestLink",
            Step::InviteReseller { .. } => "InviteReseller",
            Step::ApproveLink { .. } => "ApproveLink",
            Step::EndLink { .. } => "EndLink",
            Step::SubmitPartner { .. } => "SubmitPartner",
            Step::DecidePartner { .. } => "DecidePartner",
            Step::CreateCustomer { .. } => "CreateCustomer",
            Step::SubmitCustomer { .. } => "SubmitCustomer",
            Step::DecideCustomer { .. } => "DecideCustomer",
            Step::ApplyCode { .. } => "ApplyCode",
            Step::Invite { .. } => "Invite",
            Step::Accept { .. } => "Accept",
            Step::Withdraw { .. } => "Withdraw",
            Step::Revoke { .. } => "Revoke",
            Step::Order { offer, .. } if is_gcc(offer) => "Order GCC",
            Step::Order { .. } => "Order commercial",
        }
    }
}

pub fn is_gcc(offer: &str) -> bool {
    offer.ends_with("-gcc")
}
