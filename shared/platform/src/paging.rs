//! Pagination: page sizes with a default and a cap, pages that stay within the response
//! size limit, and opaque page tokens that carry the last key seen (keyset pagination:
//! stable under inserts, no OFFSET scans).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use prost::Message;
use tonic::Code;

use crate::error::Problem;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// Room kept in a response for everything but its items: the page token, the other
/// fields, and the gRPC frame header.
const ENVELOPE_MARGIN: usize = 1024;

/// A checked page request: fetch `size + 1` rows after `after` to learn if more follow.
#[derive(Debug, Clone)]
pub struct Page {
    pub size: i64,
    pub after: String,
    filter: String,
}

impl Page {
    /// `filter` is a fingerprint of the list's filters: a token is only valid for the
    /// query that produced it.
    pub fn parse(page_size: i32, page_token: &str, filter: &str) -> Result<Self, Problem> {
        let size = match page_size {
            n if n < 0 => return Err(Problem::invalid_field("page_size", "FIELD_INVALID", "must not be negative")),
            0 => DEFAULT_PAGE_SIZE,
            n => i64::from(n).min(MAX_PAGE_SIZE),
        };
        let after = if page_token.is_empty() {
            String::new()
        } else {
            decode(page_token, filter).ok_or_else(|| {
                Problem::invalid_field("page_token", "PAGE_TOKEN_INVALID", "not a token from this list")
            })?
        };
        Ok(Self { size, after, filter: filter.to_owned() })
    }

    /// The items of this page, in wire form, and the next page's token, from `size + 1`
    /// fetched rows. The page stops early, before the encoded response would pass
    /// `max_message_bytes` (the server's response limit), and the token then continues
    /// after the last item included. A single row larger than the limit is
    /// RESOURCE_EXHAUSTED MESSAGE_TOO_LARGE.
    pub fn finish<T, M: Message>(
        &self,
        rows: Vec<T>,
        key: impl Fn(&T) -> String,
        to_wire: impl Fn(&T) -> M,
        max_message_bytes: usize,
    ) -> Result<(Vec<M>, String), Problem> {
        let budget = max_message_bytes.saturating_sub(ENVELOPE_MARGIN);
        let fetched = rows.len();
        let mut items = Vec::with_capacity(fetched.min(self.size as usize));
        let mut used = 0usize;
        let mut last = None;
        for row in rows.iter().take(self.size as usize) {
            let item = to_wire(row);
            // A repeated field's element: a one-byte tag, its length, its bytes.
            let len = item.encoded_len();
            let cost = 1 + prost::length_delimiter_len(len) + len;
            if used + cost > budget {
                if items.is_empty() {
                    return Err(Problem::new(
                        Code::ResourceExhausted,
                        "MESSAGE_TOO_LARGE",
                        "a record is larger than this server's response limit",
                    )
                    .with_meta("max_message_bytes", max_message_bytes));
                }
                break;
            }
            used += cost;
            items.push(item);
            last = Some(row);
        }
        let more = fetched > items.len();
        let token = match (more, last) {
            (true, Some(last)) => encode(&key(last), &self.filter),
            _ => String::new(),
        };
        Ok((items, token))
    }

    pub fn limit(&self) -> i64 {
        self.size + 1
    }
}

/// The SQL of one keyset page of `table`: rows whose `key` follows `after`, in `key`
/// order, at most `limit` of them, that satisfy one of `leads` (any of them; none means
/// all rows) and every condition in `rest` (an SQL fragment starting with `AND`, or
/// empty). `after` and `limit` are placeholders such as `$1`.
///
/// Each lead should be an equality on the leading column of an index whose next column is
/// `key` (`partner_tenant = $2` over an index on `(partner_tenant, id)`). Then each branch
/// reads at most one page from its index, and a page costs the same whatever the size of
/// the table. An `OR` of two leads in one `WHERE` would not: no single index serves it,
/// and the database would scan. Several leads are merged with `UNION`, which also drops a
/// row that two leads match.
pub fn keyset_sql(table: &str, key: &str, leads: &[&str], rest: &str, after: &str, limit: &str) -> String {
    let branch = |lead: Option<&str>| {
        let lead = lead.map(|l| format!("{l} AND ")).unwrap_or_default();
        format!("SELECT * FROM {table} WHERE {lead}{key} > {after} {rest} ORDER BY {key} LIMIT {limit}")
    };
    match leads {
        [] => branch(None),
        [one] => branch(Some(one)),
        many => {
            let union = many
                .iter()
                .enumerate()
                .map(|(i, lead)| format!("SELECT * FROM ({}) b{i}", branch(Some(lead))))
                .collect::<Vec<_>>()
                .join(" UNION ");
            format!("SELECT * FROM ({union}) u ORDER BY {key} LIMIT {limit}")
        }
    }
}

fn encode(after: &str, filter: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{filter}\n{after}"))
}

fn decode(token: &str, filter: &str) -> Option<String> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let (f, after) = raw.split_once('\n')?;
    (f == filter).then(|| after.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_only_for_the_same_filter() {
        let page = Page::parse(2, "", "state=1").unwrap();
        let (rows, token) = page.finish(vec!["a", "b", "c"], |s| s.to_string(), |s| s.to_string(), 64 * 1024).unwrap();
        assert_eq!(rows, vec!["a", "b"]);
        assert_eq!(Page::parse(2, &token, "state=1").unwrap().after, "b");
        assert!(Page::parse(2, &token, "state=2").is_err());
        assert!(Page::parse(2, "garbage!", "state=1").is_err());
        assert!(Page::parse(-1, "", "").is_err());
    }

    #[test]
    fn the_last_page_has_no_token() {
        let page = Page::parse(5, "", "").unwrap();
        let (rows, token) = page.finish(vec![1, 2], |n| n.to_string(), |n| n.to_string(), 64 * 1024).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(token.is_empty());
    }

    #[test]
    fn a_page_stops_before_the_response_limit_and_continues_after_its_last_item() {
        let rows: Vec<String> = (0..10).map(|i| format!("{i}{}", "x".repeat(999))).collect();
        let page = Page::parse(10, "", "").unwrap();
        let (items, token) = page.finish(rows, |s| s[..1].to_owned(), Clone::clone, 1024 + 3500).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(Page::parse(10, &token, "").unwrap().after, "2");
        let huge = vec!["y".repeat(5000)];
        let err = page.finish(huge, Clone::clone, Clone::clone, 1024 + 3500).unwrap_err();
        assert_eq!(err.reason, "MESSAGE_TOO_LARGE");
    }
}
