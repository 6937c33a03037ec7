//! Reading query plans: which tables a query reads in a way whose cost grows with the
//! table (see `unbounded_reads`).

/// SQLite's `EXPLAIN QUERY PLAN` rows as `(id, parent, detail)`.
///
/// Unbounded: `SCAN t` of a table; `SEARCH t` with no equality; and any read of a table in
/// a query level that also sorts (`USE TEMP B-TREE FOR ORDER BY`), since every row found
/// is sorted before the `LIMIT`. A level ends at a subquery (`CO-ROUTINE`, `MATERIALIZE`),
/// whose own `LIMIT` bounds what it gives the level above.
pub(crate) fn sqlite_unbounded(nodes: &[(i64, i64, String)]) -> Vec<String> {
    let subqueries: Vec<&str> = nodes
        .iter()
        .filter_map(|(_, _, d)| d.strip_prefix("CO-ROUTINE ").or_else(|| d.strip_prefix("MATERIALIZE ")))
        .map(|name| name.split_whitespace().next().unwrap_or_default())
        .collect();
    let is_level = |d: &str| d.starts_with("CO-ROUTINE ") || d.starts_with("MATERIALIZE ");
    // The level a node belongs to: its nearest subquery ancestor, or 0 for the top.
    let level_of = |mut id: i64| loop {
        let Some((_, parent, _)) = nodes.iter().find(|(i, _, _)| *i == id) else { return 0 };
        match nodes.iter().find(|(i, _, _)| i == parent) {
            Some((p, _, d)) if is_level(d) => return *p,
            Some(_) => id = *parent,
            None => return 0,
        }
    };
    let sorting_levels: Vec<i64> = nodes
        .iter()
        .filter(|(_, _, d)| d.starts_with("USE TEMP B-TREE FOR ORDER BY"))
        .map(|(id, _, _)| level_of(*id))
        .collect();
    let mut unbounded = Vec::new();
    for (id, _, detail) in nodes {
        let (table, narrowed) = if let Some(rest) = detail.strip_prefix("SCAN ") {
            (rest.split_whitespace().next().unwrap_or_default(), false)
        } else if let Some(rest) = detail.strip_prefix("SEARCH ") {
            (rest.split_whitespace().next().unwrap_or_default(), rest.contains('='))
        } else {
            continue;
        };
        if subqueries.contains(&table) {
            continue;
        }
        if !narrowed || sorting_levels.contains(&level_of(*id)) {
            unbounded.push(table.to_owned());
        }
    }
    unbounded
}

/// The tables of `sql` by the aliases it gives them (`FROM orders o`, `JOIN customers AS
/// c`): SQLite's plan names a table by its alias, and the callers ask about tables.
pub(crate) fn aliases(sql: &str) -> Vec<(String, String)> {
    const NOT_ALIASES: [&str; 14] = [
        "where", "join", "left", "inner", "cross", "on", "order", "group", "limit", "union", "using", "natural",
        "full", "right",
    ];
    let spaced = sql.replace('(', " ( ").replace(')', " ) ").replace(',', " , ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if !(w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("join")) {
            continue;
        }
        let Some(table) = words.get(i + 1).filter(|t| t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) else {
            continue;
        };
        let mut next = i + 2;
        if words.get(next).is_some_and(|w| w.eq_ignore_ascii_case("as")) {
            next += 1;
        }
        if let Some(alias) = words.get(next).filter(|a| {
            a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !NOT_ALIASES.contains(&a.to_ascii_lowercase().as_str())
        }) {
            found.push(((*alias).to_owned(), (*table).to_owned()));
        }
    }
    found
}

/// PostgreSQL's `EXPLAIN` text, one line each.
///
/// Unbounded: a `Seq Scan`; an index scan whose `Index Cond` has no equality; and any
/// scan below a `Sort` with no `Limit` between them, since every row found is sorted.
pub(crate) fn postgres_unbounded(lines: &[String]) -> Vec<String> {
    // Plan nodes with their depth (the indentation of their text) and their conditions.
    struct Node {
        depth: usize,
        text: String,
        cond: String,
    }
    let mut nodes: Vec<Node> = Vec::new();
    for line in lines {
        let text = line.trim_start();
        let indent = line.len() - text.len();
        if let Some(node) = text.strip_prefix("->") {
            nodes.push(Node { depth: indent, text: node.trim_start().to_owned(), cond: String::new() });
        } else if nodes.is_empty() {
            nodes.push(Node { depth: 0, text: text.to_owned(), cond: String::new() });
        } else if let Some(last) = nodes.last_mut() {
            last.cond.push_str(text);
            last.cond.push('\n');
        }
    }
    let mut unbounded = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let text = node.text.trim_start_matches("Parallel ");
        let table = if let Some(rest) = text.strip_prefix("Seq Scan on ") {
            rest.split_whitespace().next()
        } else if text.contains("Scan") && text.contains(" on ") {
            text.split_once(" on ").and_then(|(_, r)| r.split_whitespace().next())
        } else {
            None
        };
        let Some(table) = table else { continue };
        let is_index = text.starts_with("Index Scan") || text.starts_with("Index Only Scan");
        let mut grows = text.starts_with("Seq Scan") || (is_index && !node.cond.contains(" = "));
        // Walk up: a Sort reached before any Limit sorts every row this scan finds.
        let mut depth = node.depth;
        for up in nodes[..i].iter().rev() {
            if up.depth < depth {
                depth = up.depth;
                if up.text.starts_with("Limit") {
                    break;
                }
                if up.text.starts_with("Sort") || up.text.starts_with("Incremental Sort") {
                    grows = true;
                    break;
                }
            }
        }
        if grows {
            unbounded.push(table.to_owned());
        }
    }
    unbounded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_name_their_tables() {
        let sql = "SELECT * FROM (SELECT o.id FROM orders o JOIN order_lines AS l ON l.order_id = o.id \
                   WHERE o.id > $1) b0 LEFT JOIN customers c ON c.id = b0.id ORDER BY id";
        let found = aliases(sql);
        let pairs: Vec<(&str, &str)> = found.iter().map(|(a, t)| (a.as_str(), t.as_str())).collect();
        assert_eq!(pairs, [("o", "orders"), ("l", "order_lines"), ("c", "customers")]);
        assert!(aliases("SELECT * FROM notifications WHERE id = $1").is_empty());
    }

    fn sqlite(rows: &[(i64, i64, &str)]) -> Vec<String> {
        sqlite_unbounded(&rows.iter().map(|(a, b, c)| (*a, *b, c.to_string())).collect::<Vec<_>>())
    }

    #[test]
    fn sqlite_an_or_over_two_indexes_then_sorted_grows_with_the_table() {
        let plan = [
            (8, 0, "MULTI-INDEX OR"),
            (9, 8, "INDEX 1"),
            (22, 9, "SEARCH orders USING INDEX orders_by_partner (partner_tenant=? AND id>?)"),
            (27, 8, "INDEX 2"),
            (40, 27, "SEARCH orders USING INDEX orders_by_provider (provider_tenant=? AND id>?)"),
            (66, 0, "USE TEMP B-TREE FOR ORDER BY"),
        ];
        assert_eq!(sqlite(&plan), ["orders", "orders"]);
    }

    #[test]
    fn sqlite_a_union_of_limited_index_walks_does_not() {
        let plan = [
            (2, 0, "CO-ROUTINE u"),
            (3, 2, "COMPOUND QUERY"),
            (4, 3, "LEFT-MOST SUBQUERY"),
            (7, 4, "CO-ROUTINE b0"),
            (14, 7, "SEARCH orders USING INDEX orders_by_partner (partner_tenant=? AND id>?)"),
            (34, 4, "SCAN b0"),
            (47, 3, "UNION USING TEMP B-TREE"),
            (49, 47, "CO-ROUTINE b1"),
            (56, 49, "SEARCH orders USING INDEX orders_by_provider (provider_tenant=? AND id>?)"),
            (76, 47, "SCAN b1"),
            (105, 0, "SCAN u"),
            (123, 0, "USE TEMP B-TREE FOR ORDER BY"),
        ];
        assert!(sqlite(&plan).is_empty());
        assert_eq!(sqlite(&[(2, 0, "SCAN orders")]), ["orders"]);
        assert_eq!(sqlite(&[(2, 0, "SEARCH orders USING INDEX sqlite_autoindex_orders_1 (id>?)")]), ["orders"]);
    }

    #[test]
    fn postgres_a_sort_without_a_limit_below_it_grows_with_the_table() {
        let plan: Vec<String> = [
            "Limit  (cost=16.37..16.43 rows=2 width=172)",
            "  ->  Sort  (cost=16.37..16.38 rows=2 width=172)",
            "        Sort Key: orders.id",
            "        ->  Bitmap Heap Scan on orders  (cost=0.15..8.17 rows=1 width=172)",
            "              Recheck Cond: ((partner_tenant = 'x'::text) OR (provider_tenant = 'x'::text))",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(postgres_unbounded(&plan), ["orders"]);
        let limited: Vec<String> = [
            "Limit  (cost=16.37..16.43 rows=2 width=172)",
            "  ->  Unique  (cost=16.37..16.41 rows=2 width=172)",
            "        ->  Sort  (cost=16.37..16.38 rows=2 width=172)",
            "              ->  Append  (cost=0.15..16.36 rows=2 width=172)",
            "                    ->  Limit  (cost=0.15..8.17 rows=1 width=172)",
            "                          ->  Index Scan using orders_by_partner on orders  (cost=0.15..8.17 rows=1 width=172)",
            "                                Index Cond: ((partner_tenant = 'x'::text) AND (id > ''::text))",
        ]
        .map(String::from)
        .to_vec();
        assert!(postgres_unbounded(&limited).is_empty());
        let pkey: Vec<String> = [
            "Limit  (cost=0.15..8.17 rows=1 width=172)",
            "  ->  Index Scan using orders_pkey on orders  (cost=0.15..8.17 rows=1 width=172)",
            "        Index Cond: (id > ''::text)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(postgres_unbounded(&pkey), ["orders"]);
    }
}
