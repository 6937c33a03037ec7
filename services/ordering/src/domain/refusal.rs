//! Why a rule of ordering refuses an order: one type for every rule, mapped to the wire
//! once, in `crate::error`.

use gcc_platform::TenantId;

/// A GCC line of a refused order: its index and offer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatedLine {
    pub index: usize,
    pub offer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An order has at least one line.
    NoLines,
    /// At most `MAX_LINES`; the count given.
    TooManyLines(usize),
    /// The line at `index` repeats an earlier line's offer.
    DuplicateOffer { index: usize, offer: String },
    /// R15/R17: the caller does not manage the customer (`name`, as the caller gave it),
    /// which answers exactly like a missing customer.
    CustomerNotManaged { name: String },
    /// R18: the gate said no; the whole order is refused.
    GccEligibilityRequired { customer: TenantId, reasons: Vec<String>, lines: Vec<GatedLine> },
}
