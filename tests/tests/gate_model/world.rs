//! The real names behind the model's numbers in one case: fresh tenants and a fresh domain
//! tag, so that cases sharing one stack never meet, and the names the services gave to
//! what the case created, in creation order.

use gcc_platform::TenantId;

use super::model::Model;

pub struct World {
    /// Makes this case's organization domains unique in the shared stack.
    tag: String,
    pub partners: Vec<TenantId>,
    pub links: Vec<String>,
    pub partner_validations: Vec<String>,
    pub customers: Vec<TenantId>,
    pub customer_validations: Vec<String>,
    pub codes: Vec<String>,
    /// Each invitation's name and its link's token.
    pub invitations: Vec<(String, String)>,
}

impl World {
    pub fn new(m: &Model) -> Self {
        Self {
            tag: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            partners: m.partners.iter().map(|_| TenantId::random()).collect(),
            links: Vec::new(),
            partner_validations: Vec::new(),
            customers: Vec::new(),
            customer_validations: Vec::new(),
            codes: Vec::new(),
            invitations: Vec::new(),
        }
    }

    /// The domain of organization `org`: no organization's is a suffix of another's.
    pub fn org_domain(&self, org: usize) -> String {
        format!("org{org}-{}.example.gov", self.tag)
    }

    /// The domain of the `n`th customer: its organization's own, or a subdomain of it.
    pub fn customer_domain(&self, n: usize, org: usize, at_root: bool) -> String {
        if at_root { self.org_domain(org) } else { format!("c{n}.{}", self.org_domain(org)) }
    }

    /// Every entity the model knows has its name here, in the same order: otherwise the
    /// services created something the model did not (or the other way round).
    pub fn check_aligned(&self, m: &Model) -> Result<(), String> {
        let counts = [
            ("reseller links", self.links.len(), m.links.len()),
            ("partner validations", self.partner_validations.len(), m.partner_validations.len()),
            ("customers", self.customers.len(), m.customers.len()),
            ("customer validations", self.customer_validations.len(), m.customer_validations.len()),
            ("validation codes", self.codes.len(), m.codes.len()),
            ("invitations", self.invitations.len(), m.invitations.len()),
        ];
        match counts.iter().find(|(_, real, model)| real != model) {
            Some((what, real, model)) => Err(format!("the services made {real} {what}, the model {model}")),
            None => Ok(()),
        }
    }
}
