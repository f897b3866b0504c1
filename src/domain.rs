//! Parse, don't validate: values that exist only once their checks passed, and `Fields`, which
//! collects every problem of a request so the client hears about all of them at once.

use crate::error::{ApiError, ApiResult, FieldErrors};

/// Collects per-field problems; `finish` turns any into a 400 `validation_failed`.
#[derive(Default)]
pub struct Fields(FieldErrors);

impl Fields {
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|problem| self.add(field, problem)).ok()
    }

    /// A required value: missing is reported, present is parsed.
    pub fn require<R, T>(
        &mut self,
        field: &str,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<T> {
        match raw {
            Some(raw) => self.check(field, parse(raw)),
            None => {
                self.add(field, "is required");
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0.entry(field.to_owned()).or_insert_with(|| problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

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

/// The password rules of this instance: a length range and a minimum zxcvbn score.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub min_score: u8,
}

pub const MAX_PASSWORD_LENGTH: usize = 128;

impl PasswordPolicy {
    /// Length first, then strength; the estimator's own feedback is the message. `related` are
    /// the user's email, username and name, which make a password guessable.
    pub fn check(&self, password: &str, related: &[&str]) -> Result<(), String> {
        let len = password.chars().count();
        if len < self.min_length || len > MAX_PASSWORD_LENGTH {
            return Err(format!("must be {} to {MAX_PASSWORD_LENGTH} characters", self.min_length));
        }
        if self.min_score == 0 {
            return Ok(());
        }
        let estimate = zxcvbn::zxcvbn(password, related);
        if u8::from(estimate.score()) >= self.min_score {
            return Ok(());
        }
        let mut reason = String::from("is too easy to guess");
        if let Some(feedback) = estimate.feedback() {
            if let Some(w) = feedback.warning() {
                reason = format!("is too easy to guess: {w}");
            }
            if let Some(s) = feedback.suggestions().first() {
                reason = format!("{reason}. {s}");
            }
        }
        Err(reason)
    }
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn password_policy_never_panics(raw in "\\PC{0,140}", min_length in 1usize..20, min_score in 0u8..=4) {
            let policy = PasswordPolicy { min_length, min_score };
            let len = raw.chars().count();
            match policy.check(&raw, &["someone@example.com"]) {
                Ok(()) => prop_assert!(len >= min_length && len <= MAX_PASSWORD_LENGTH),
                Err(reason) => prop_assert!(!reason.is_empty()),
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
    fn passwords() {
        let policy = PasswordPolicy { min_length: 8, min_score: 2 };
        assert!(policy.check("short", &[]).is_err());
        assert!(policy.check("password", &[]).unwrap_err().contains("too easy"));
        assert!(policy.check("correct horse battery staple", &[]).is_ok());
        assert!(policy.check(&"x".repeat(129), &[]).is_err());
        let off = PasswordPolicy { min_length: 8, min_score: 0 };
        assert!(off.check("password", &[]).is_ok());
    }
}
