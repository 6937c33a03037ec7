//! Who may submit a customer (R7, R9) and whom a submission may name (R12).

use gcc_platform::TenantId;

use super::organization::Organization;
use super::refusal::Refusal;
use super::validation::domain_within;

/// What the submitting partner's transacting partner is (R1a, R7, R9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transacting<'a> {
    pub tenant: TenantId,
    pub azure_gcc_tenants: &'a [TenantId],
    pub gcc_qualified: bool,
}

impl Transacting<'_> {
    /// R9: the partner gives its transacting partner's commercial tenant ID, never an
    /// Azure GCC one; R7: only once that partner holds GCC.
    pub fn check_submission(&self, given: TenantId) -> Result<(), Refusal> {
        if self.azure_gcc_tenants.contains(&given) {
            return Err(Refusal::AzureGccTenant { expected: self.tenant });
        }
        if given != self.tenant {
            return Err(Refusal::UseTransactingTenant { expected: self.tenant });
        }
        if !self.gcc_qualified {
            return Err(Refusal::PartnerNotGccQualified(self.tenant));
        }
        Ok(())
    }
}

/// R12: a validation naming a customer is of that customer's own organization.
pub fn check_named_customer(
    customer: TenantId,
    customer_domain: Option<&str>,
    organization: &Organization,
) -> Result<(), Refusal> {
    if customer_domain.is_some_and(|d| domain_within(d, &organization.domain)) {
        Ok(())
    } else {
        Err(Refusal::OrganizationMismatch(customer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r9_the_transacting_partners_commercial_tenant_is_the_only_one_accepted() {
        let (tenant, azure) = (TenantId::random(), TenantId::random());
        let t = Transacting { tenant, azure_gcc_tenants: &[azure], gcc_qualified: true };
        assert_eq!(t.check_submission(azure), Err(Refusal::AzureGccTenant { expected: tenant }));
        assert_eq!(t.check_submission(TenantId::random()), Err(Refusal::UseTransactingTenant { expected: tenant }));
        assert_eq!(t.check_submission(tenant), Ok(()));
    }

    #[test]
    fn r7_a_transacting_partner_without_gcc_cannot_submit() {
        let tenant = TenantId::random();
        let t = Transacting { tenant, azure_gcc_tenants: &[], gcc_qualified: false };
        assert_eq!(t.check_submission(tenant), Err(Refusal::PartnerNotGccQualified(tenant)));
    }

    #[test]
    fn r12_a_named_customer_is_of_the_validated_organization() {
        let org = Organization {
            legal_name: "Agency".into(),
            domain: "agency.gov".into(),
            address_lines: vec![],
            region_code: "US".into(),
            contact_name: "c".into(),
            contact_email: "c@agency.gov".into(),
        };
        let c = TenantId::random();
        assert_eq!(check_named_customer(c, Some("it.agency.gov"), &org), Ok(()));
        assert_eq!(check_named_customer(c, Some("evil.gov"), &org), Err(Refusal::OrganizationMismatch(c)));
        assert_eq!(check_named_customer(c, None, &org), Err(Refusal::OrganizationMismatch(c)));
    }
}
