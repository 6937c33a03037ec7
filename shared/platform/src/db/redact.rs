//! Database and broker URLs in messages and logs, without their passwords.

/// The URL with any password removed, for messages.
pub fn redact(url: &str) -> String {
    // A password may also travel as a query parameter (`?password=…`).
    let url = match url.find("password=") {
        Some(p) => {
            let end = url[p..].find('&').map_or(url.len(), |e| p + e);
            format!("{}password=…{}", &url[..p], &url[end..])
        }
        None => url.to_owned(),
    };
    let url = url.as_str();
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_and_query_passwords_are_removed_and_the_rest_kept() {
        assert_eq!(redact("postgres://gcc:pw@db:5432/gcc"), "postgres://gcc@db:5432/gcc");
        assert_eq!(
            redact("postgres://db/gcc?password=pw&sslmode=require"),
            "postgres://db/gcc?password=…&sslmode=require"
        );
        assert_eq!(redact("sqlite://data/ordering.db"), "sqlite://data/ordering.db");
    }
}
