//! The SQL of a page of the customers a partner manages.

use std::sync::LazyLock;

/// A page of the customers `$1` manages, in tenant-ID order after `$2`: `$3`/`$4` the
/// folded name prefix and its `LIKE` pattern, `$5`/`$6` the domain prefix and its pattern
/// (empty for any), `$7` the page size.
///
/// Two branches, each walking one index in customer order and reading at most a page of
/// it: the partner's own relationships (`DIRECT`, the primary key), and those of the
/// resellers it is the indirect provider of (`INDIRECT_PROVIDER`,
/// `relationships_by_provider`), each customer once (the reseller first in tenant order)
/// and only where the partner does not manage it directly. An `OR` of the two in one
/// `WHERE`, grouped by customer, would read every relationship of the partner and sort
/// them for each page. Built once.
pub fn list_customers_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(build);
    &SQL
}

fn build() -> String {
    let columns = customer_columns!();
    let filters = "r.active = 1 AND r.customer_tenant > $2 AND ($3 = '' OR c.name_key LIKE $4 ESCAPE '\\') \
                   AND ($5 = '' OR c.domain LIKE $6 ESCAPE '\\')";
    let branch = |management: &str, lead: &str, only: &str| {
        format!(
            "SELECT * FROM (SELECT {columns}, '{management}' AS management FROM relationships r \
             JOIN customers c ON c.tenant_id = r.customer_tenant WHERE {lead} AND {filters}{only} \
             ORDER BY r.customer_tenant LIMIT $7)"
        )
    };
    let indirect_only = " AND NOT EXISTS (SELECT 1 FROM relationships o WHERE o.partner_tenant = $1 \
         AND o.customer_tenant = r.customer_tenant AND o.active = 1) \
         AND NOT EXISTS (SELECT 1 FROM relationships o WHERE o.provider_tenant = $1 \
         AND o.customer_tenant = r.customer_tenant AND o.active = 1 AND o.partner_tenant < r.partner_tenant)";
    format!(
        "SELECT * FROM ({} b0 UNION ALL {} b1) u ORDER BY tenant_id LIMIT $7",
        branch("DIRECT", "r.partner_tenant = $1", ""),
        branch("INDIRECT_PROVIDER", "r.provider_tenant = $1", indirect_only),
    )
}
