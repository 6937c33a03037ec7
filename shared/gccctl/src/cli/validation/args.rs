//! The flag values of the customer-validation commands, and the contract's values they
//! stand for.

use gcc_proto::types::OfferFamily;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EntityArg {
    Federal,
    State,
    Local,
    Tribal,
    RegionalOrInterstate,
    Ffrdc,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DataArg {
    Itar,
    Cui,
    DodUcni,
    DoeUcni,
    Cji,
    DodImpactLevel,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FamilyArg {
    Office365,
    Dynamics365,
    Ems,
    PowerBi,
}

impl From<FamilyArg> for OfferFamily {
    fn from(f: FamilyArg) -> Self {
        match f {
            FamilyArg::Office365 => OfferFamily::Office365,
            FamilyArg::Dynamics365 => OfferFamily::Dynamics365,
            FamilyArg::Ems => OfferFamily::Ems,
            FamilyArg::PowerBi => OfferFamily::PowerBi,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StateArg {
    PendingReview,
    ContactingCustomer,
    Approved,
    Rejected,
}
