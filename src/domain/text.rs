//! Text a person types: email addresses, usernames, display names and free text.

/// A trimmed, lowercased, plausible email address of at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required".into());
        }
        if email.chars().count() > 254 {
            return Err("must be at most 254 characters".into());
        }
        let invalid = || Err("must be a valid email address".to_string());
        let Some((local, domain)) = email.rsplit_once('@') else { return invalid() };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Email(email))
        } else {
            invalid()
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

/// 3–32 letters, digits, `_`, `.` or `-` (so never an `@`: logins with `@` are emails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, String> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(3..=32).contains(&len) {
            return Err("must be 3 to 32 characters".into());
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
            return Err("may only contain letters, digits, _ . and -".into());
        }
        Ok(Username(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, String> {
        text(raw, 100).map(DisplayName)
    }

    /// The default name of a user with this username (it is valid display text).
    pub fn from_username(username: &Username) -> DisplayName {
        DisplayName(username.as_str().to_owned())
    }

    /// The default name of a user without a username: the email's local part (at most 64
    /// characters of letters, digits and punctuation, so valid display text).
    pub fn from_email(email: &Email) -> DisplayName {
        DisplayName(email.local_part().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Trimmed, non-empty text of at most `max` characters without control characters.
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

/// Optional text: blank means none.
pub fn optional_text(raw: &str, max: usize) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        text(raw, max).map(Some)
    }
}

/// Most characters of a description.
pub const DESCRIPTION_MAX: usize = 5000;

/// Optional free text: trimmed, blank means none; newlines and tabs are allowed.
pub fn description(raw: &str) -> Result<Option<String>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > DESCRIPTION_MAX {
        return Err(format!("must be at most {DESCRIPTION_MAX} characters"));
    }
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("must not contain control characters".into());
    }
    Ok(Some(t.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // No input makes a parser panic; what it accepts obeys its rule and parses to itself.
        #[test]
        fn email_parse_is_total_and_normalising(raw in "\\PC{0,300}|[ A-Za-z0-9._%+-]{0,70}@[A-Za-z0-9.-]{0,70}") {
            if let Ok(e) = Email::parse(&raw) {
                let s = e.as_str();
                prop_assert!(s.chars().count() <= 254);
                prop_assert_eq!(s, s.trim());
                prop_assert_eq!(s.to_lowercase(), s);
                prop_assert!(s.contains('@') && !s.chars().any(char::is_whitespace));
                prop_assert_eq!(Email::parse(s), Ok(e.clone()));
            }
        }

        #[test]
        fn username_parse_is_total(raw in "\\PC{0,40}|[A-Za-z0-9_.@-]{0,40}") {
            if let Ok(u) = Username::parse(&raw) {
                let s = u.as_str();
                prop_assert!((3..=32).contains(&s.len()));
                prop_assert!(!s.contains('@'));
                prop_assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)));
                prop_assert_eq!(Username::parse(s), Ok(u.clone()));
            }
        }

        #[test]
        fn text_parse_is_total(raw in "\\PC{0,120}|[\\x00-\\x1f a-z]{0,20}", max in 1usize..110) {
            if let Ok(t) = text(&raw, max) {
                prop_assert!(!t.is_empty() && t.chars().count() <= max);
                prop_assert_eq!(t.trim(), t.as_str());
                prop_assert!(!t.chars().any(char::is_control));
            }
        }
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse("  Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in ["", "ann", "ann@", "@x.io", "ann@localhost", "a b@x.io", "a@x..io", "a@-x.io"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(64))).is_ok());
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn usernames() {
        assert!(Username::parse("ann_b.c-d").is_ok());
        for bad in ["ab", "ann@x", "has space", &"x".repeat(33), "émile"] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn descriptions() {
        assert_eq!(description("  ").unwrap(), None);
        assert_eq!(description(" two\nlines ").unwrap().as_deref(), Some("two\nlines"));
        assert!(description("bell\u{7}").is_err());
        assert!(description(&"x".repeat(DESCRIPTION_MAX + 1)).is_err());
    }
}
