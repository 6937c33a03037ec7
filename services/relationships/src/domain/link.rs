//! Personalized invitation links (R14). A link's token is derived from the invitation
//! and its generation with an HMAC under the service's key, so a retry can give back the
//! same link while storage keeps only the token's SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Where the link stands in a stored e-mail body.
pub const LINK_PLACEHOLDER: &str = "{invitation_url}";
/// A key shorter than this is refused.
pub const MIN_KEY_BYTES: usize = 32;

/// The secret that link tokens are derived with.
#[derive(Clone)]
pub struct InvitationKey(Vec<u8>);

impl std::fmt::Debug for InvitationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InvitationKey(…)")
    }
}

impl InvitationKey {
    /// The key from a file's bytes, trailing whitespace (a final newline) removed.
    pub fn new(mut bytes: Vec<u8>) -> Result<Self, String> {
        while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
            bytes.pop();
        }
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!("an invitation key must be at least {MIN_KEY_BYTES} bytes, not {}", bytes.len()));
        }
        Ok(Self(bytes))
    }
}

/// Makes and finds invitation links.
#[derive(Debug, Clone)]
pub struct Links {
    key: InvitationKey,
    /// `{base}?token=`
    prefix: String,
}

impl Links {
    /// `base_url` is the accept page, such as `https://gcc.example/invitations/accept`.
    pub fn new(key: InvitationKey, base_url: &str) -> Result<Self, String> {
        let ok = (base_url.starts_with("https://") || base_url.starts_with("http://"))
            && !base_url.contains(['?', '#'])
            && !base_url.contains(char::is_whitespace);
        if !ok {
            return Err(format!("{base_url:?} is not an http(s) URL without a query or fragment"));
        }
        Ok(Self { key, prefix: format!("{base_url}?token=") })
    }

    /// The token of generation `generation` of invitation `id`: `{id}.{generation}.{mac}`.
    pub fn token(&self, id: &str, generation: i64) -> String {
        // The key is at least 32 bytes; HMAC takes any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key.0).expect("HMAC accepts any key length");
        mac.update(b"gcc.relationships.v1 invitation\0");
        mac.update(id.as_bytes());
        mac.update(b"\0");
        mac.update(generation.to_string().as_bytes());
        format!("{id}.{generation}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    pub fn url(&self, token: &str) -> String {
        format!("{}{token}", self.prefix)
    }

    /// The link of one generation of an invitation.
    pub fn url_for(&self, id: &str, generation: i64) -> String {
        self.url(&self.token(id, generation))
    }

    /// The tokens of every link in `text` that points at the accept page.
    pub fn tokens_in<'a>(&self, text: &'a str) -> Vec<&'a str> {
        text.match_indices(&self.prefix)
            .map(|(at, p)| {
                let rest = &text[at + p.len()..];
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
                // A token never ends with a dot; one there ends the sentence.
                rest[..end.unwrap_or(rest.len())].trim_end_matches('.')
            })
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// The SHA-256 of a token, hex: all that storage keeps of it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The stored form of an e-mail body: the link replaced by the placeholder.
pub fn to_template(body: &str, url: &str) -> String {
    body.replace(url, LINK_PLACEHOLDER)
}

/// The e-mail body with the link in it.
pub fn render(template: &str, url: &str) -> String {
    template.replace(LINK_PLACEHOLDER, url)
}

/// R14: a `mailto:` link (RFC 6068) that opens the e-mail in the partner's own mail
/// program: subject and body percent-encoded, line breaks as CRLF.
pub fn mailto_url(subject: &str, body: &str) -> String {
    let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
    format!("mailto:?subject={}&body={}", percent_encode(subject), percent_encode(&body))
}

/// Every byte but RFC 3986's unreserved characters as `%XX`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r14_a_mailto_link_carries_the_subject_and_body_encoded() {
        let url = mailto_url("Connect & order", "Hello,\nopen https://x.example/a?t=1 é");
        assert_eq!(
            url,
            "mailto:?subject=Connect%20%26%20order\
             &body=Hello%2C%0D%0Aopen%20https%3A%2F%2Fx.example%2Fa%3Ft%3D1%20%C3%A9"
        );
    }

    fn links() -> Links {
        Links::new(InvitationKey::new(vec![7; 32]).unwrap(), "https://gcc.example/invitations/accept").unwrap()
    }

    #[test]
    fn r14_tokens_are_stable_per_generation_and_differ_across_generations() {
        let l = links();
        assert_eq!(l.token("abc", 1), l.token("abc", 1));
        assert_ne!(l.token("abc", 1), l.token("abc", 2));
        assert_ne!(l.token("abc", 1), l.token("abd", 1));
        let other = Links::new(InvitationKey::new(vec![8; 32]).unwrap(), "https://x.example/a").unwrap();
        assert_ne!(l.token("abc", 1), other.token("abc", 1), "the key is part of the token");
        assert!(l.url_for("abc", 1).starts_with("https://gcc.example/invitations/accept?token=abc.1."));
    }

    #[test]
    fn r14_links_are_found_in_edited_text() {
        let l = links();
        let url = l.url_for("abc", 3);
        let token = l.token("abc", 3);
        let body = format!("Dear admin,\nplease open {url}.\nOr: <{url}>\nThanks");
        assert_eq!(l.tokens_in(&body), vec![token.as_str(), token.as_str()]);
        assert!(l.tokens_in("no link here https://gcc.example/invitations/accept?token=").is_empty());
        let template = to_template(&body, &url);
        assert!(!template.contains(&token));
        assert_eq!(render(&template, &url), body);
    }

    #[test]
    fn short_keys_and_odd_base_urls_are_refused() {
        assert_eq!(
            InvitationKey::new(b"too short\n".to_vec()).unwrap_err(),
            "an invitation key must be at least 32 bytes, not 9"
        );
        let trimmed = InvitationKey::new([vec![1; 32], b"\n\n".to_vec()].concat()).expect("32 bytes and newlines");
        let key = InvitationKey::new(vec![1; 32]).unwrap();
        let base = "https://gcc.example/invitations/accept";
        let token = |k: &InvitationKey| Links::new(k.clone(), base).unwrap().token("abc", 1);
        assert_eq!(token(&trimmed), token(&key), "trailing whitespace is not part of the key");
        for bad in ["ftp://x.example", "https://x.example/a?b=c", "gcc.example", "https://x.example/a b"] {
            let refused = Links::new(key.clone(), bad).unwrap_err();
            assert_eq!(refused, format!("{bad:?} is not an http(s) URL without a query or fragment"));
        }
    }
}
