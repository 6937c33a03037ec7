//! Templates kept in the repository: a text file whose first line is `Subject: …`, then
//! an empty line and the plain-text part, and an HTML file for the HTML part. Values go
//! in with `{{name}}`; in HTML they are escaped, in the subject every control character
//! (CR and LF included) becomes a space, so no value can add a header or markup.

/// A template: `text` holds the subject line and the plain-text part.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub text: &'static str,
    pub html: &'static str,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The longest subject line, in characters.
const MAX_SUBJECT_CHARS: usize = 160;

impl Template {
    /// Fills in `vars`; a placeholder with no value is left empty.
    pub fn render(&self, vars: &[(&str, &str)]) -> Rendered {
        let (subject, text) = match self.text.strip_prefix("Subject:") {
            Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
            None => ("", self.text),
        };
        let subject_vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (*k, one_line(v))).collect();
        let text_vars: Vec<(&str, String)> =
            vars.iter().map(|(k, v)| (*k, v.replace("\r\n", "\n").replace('\r', "\n"))).collect();
        let html_vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (*k, html_escape(v))).collect();
        let mut subject = one_line(&fill(subject.trim(), &subject_vars));
        if subject.chars().count() > MAX_SUBJECT_CHARS {
            subject = subject.chars().take(MAX_SUBJECT_CHARS - 1).collect::<String>() + "…";
        }
        Rendered { subject, text: fill(text.trim_start_matches('\n'), &text_vars), html: fill(self.html, &html_vars) }
    }
}

fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                if let Some((_, v)) = vars.iter().find(|(k, _)| *k == name) {
                    out.push_str(v);
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `s` on one line: every control character (CR, LF, tab, …) becomes a space, and runs
/// of spaces one.
pub fn one_line(s: &str) -> String {
    let spaced: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` safe inside HTML text and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => {}
            '\n' => out.push_str("<br>\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Template = Template {
        text: "Subject: Validation {{state}} for {{name}}\n\nDear {{name}},\n{{reason}}\n",
        html: "<p>Dear {{name}},</p><p>{{reason}}</p><a href=\"{{link}}\">open</a>",
    };

    #[test]
    fn values_cannot_break_out_of_the_subject_or_the_markup() {
        let r = T.render(&[
            ("state", "approved\r\nBcc: victim@example.com"),
            ("name", "Contoso <b>"),
            ("reason", "line one\r\nline two"),
            ("link", "https://x/\"onclick=\"evil"),
        ]);
        assert_eq!(r.subject, "Validation approved Bcc: victim@example.com for Contoso <b>");
        assert!(!r.subject.contains('\r') && !r.subject.contains('\n'));
        assert_eq!(r.text, "Dear Contoso <b>,\nline one\nline two\n");
        assert!(r.html.contains("Contoso &lt;b&gt;"));
        assert!(r.html.contains("line one<br>\nline two"));
        assert!(r.html.contains("href=\"https://x/&quot;onclick=&quot;evil\""));
    }

    #[test]
    fn long_subjects_are_cut_and_missing_values_left_empty() {
        let long = "x".repeat(500);
        let r = T.render(&[("name", &long)]);
        assert_eq!(r.subject.chars().count(), MAX_SUBJECT_CHARS);
        assert!(r.subject.starts_with("Validation for xxx"), "{}", r.subject);
        assert!(r.subject.ends_with('…'));
        assert!(!r.text.contains("{{"));
    }
}
