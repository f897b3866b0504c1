//! The mail templates (`templates/NAME.txt` and `NAME.html`, embedded in the binary): a
//! `Subject:` line, a blank line, then the body, with `{{key}}` placeholders. Every value is
//! HTML-escaped in the HTML part; the text part is plain text, where nothing is markup.

use super::Template;

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn sources(t: Template) -> (&'static str, &'static str) {
    match t {
        Template::VerifyEmail => {
            (include_str!("templates/verify_email.txt"), include_str!("templates/verify_email.html"))
        }
        Template::PasswordReset => {
            (include_str!("templates/password_reset.txt"), include_str!("templates/password_reset.html"))
        }
        Template::EmailChanged => {
            (include_str!("templates/email_changed.txt"), include_str!("templates/email_changed.html"))
        }
        Template::PasswordChanged => {
            (include_str!("templates/password_changed.txt"), include_str!("templates/password_changed.html"))
        }
    }
}

pub fn render(t: Template, values: &[(&str, &str)]) -> Rendered {
    let (text, html) = sources(t);
    let (subject, text) = split(text);
    let (_, html) = split(html);
    Rendered {
        // A subject is one line whatever a value holds.
        subject: fill(subject, values, |v| v.replace(['\r', '\n'], " ")),
        text: fill(text, values, str::to_owned),
        html: format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\
             <body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#111827\">\n{}</body></html>\n",
            fill(html, values, escape)
        ),
    }
}

fn split(source: &str) -> (&str, &str) {
    let (first, rest) = source.split_once('\n').unwrap_or((source, ""));
    let subject = first.strip_prefix("Subject:").unwrap_or(first).trim();
    (subject, rest.trim_start_matches(['\r', '\n']))
}

/// Replaces each `{{key}}` with its value as `encode` gives it, in one pass, so a value that
/// itself contains `{{…}}` stays as it is.
fn fill(source: &str, values: &[(&str, &str)], encode: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(source.len() + 128);
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let key = &after[..end];
                match values.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(&encode(v)),
                    None => out.push_str(&rest[start..start + 4 + end]),
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

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Template; 4] =
        [Template::VerifyEmail, Template::PasswordReset, Template::EmailChanged, Template::PasswordChanged];

    #[test]
    fn every_template_fills_every_placeholder() {
        let values = [
            ("product", "Stockroom"),
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("old_email", "old@example.com"),
            ("link", "https://shop.example/x#token=abc"),
            ("expires", "in 24 hours"),
            ("site", "https://shop.example"),
        ];
        for t in ALL {
            let r = render(t, &values);
            assert!(r.subject.contains("Stockroom"), "{t:?}");
            for part in [&r.subject, &r.text, &r.html] {
                assert!(!part.contains("{{"), "{t:?} left a placeholder: {part}");
            }
            assert!(!r.text.contains("Subject:"), "{t:?}");
        }
    }

    #[test]
    fn values_are_escaped_in_html_and_kept_to_one_line_in_the_subject() {
        let r =
            render(Template::VerifyEmail, &[("name", "<b>Ann</b> & {{link}}"), ("product", "A\r\nBcc: x")]);
        assert!(r.html.contains("&lt;b&gt;Ann&lt;/b&gt; &amp; {{link}}"), "{}", r.html);
        assert!(!r.html.contains("<b>Ann"));
        assert!(r.text.contains("<b>Ann</b> & {{link}}"));
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    }
}
