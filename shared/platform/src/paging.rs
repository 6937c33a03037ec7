//! Pagination: page sizes with a default and a cap, and opaque page tokens that carry
//! the last key seen (keyset pagination: stable under inserts, no OFFSET scans).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Problem;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// A checked page request: fetch `size + 1` rows after `after` to learn if more follow.
#[derive(Debug, Clone)]
pub struct Page {
    pub size: i64,
    pub after: String,
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
        Ok(Self { size, after })
    }

    /// The rows of this page and the next page's token, from `size + 1` fetched rows.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String, filter: &str) -> (Vec<T>, String) {
        let more = rows.len() as i64 > self.size;
        rows.truncate(self.size as usize);
        let token = match (more, rows.last()) {
            (true, Some(last)) => encode(&key(last), filter),
            _ => String::new(),
        };
        (rows, token)
    }

    pub fn limit(&self) -> i64 {
        self.size + 1
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
        let (rows, token) = page.finish(vec!["a", "b", "c"], |s| s.to_string(), "state=1");
        assert_eq!(rows, vec!["a", "b"]);
        assert_eq!(Page::parse(2, &token, "state=1").unwrap().after, "b");
        assert!(Page::parse(2, &token, "state=2").is_err());
        assert!(Page::parse(2, "garbage!", "state=1").is_err());
        assert!(Page::parse(-1, "", "").is_err());
    }

    #[test]
    fn the_last_page_has_no_token() {
        let page = Page::parse(5, "", "").unwrap();
        let (rows, token) = page.finish(vec![1, 2], |n| n.to_string(), "");
        assert_eq!(rows.len(), 2);
        assert!(token.is_empty());
    }
}
