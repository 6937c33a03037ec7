//! The roles a token grants; servers check them, clients and tools name them.

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    AdminAgent,
    SalesAgent,
    EligibilityReviewer,
    CustomerAdmin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::AdminAgent, Role::SalesAgent, Role::EligibilityReviewer, Role::CustomerAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::AdminAgent => "admin_agent",
            Role::SalesAgent => "sales_agent",
            Role::EligibilityReviewer => "eligibility_reviewer",
            Role::CustomerAdmin => "customer_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}
