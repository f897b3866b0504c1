//! The password policy: a length range and a minimum strength score.

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
                // The estimator's warnings end with their own full stop.
                reason = format!("{}. {s}", reason.trim_end_matches('.'));
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
    fn passwords() {
        let policy = PasswordPolicy { min_length: 8, min_score: 2 };
        assert!(policy.check("short", &[]).is_err());
        let weak = policy.check("password", &[]).unwrap_err();
        assert!(weak.contains("too easy"), "{weak}");
        assert!(!weak.contains(".."), "one full stop between sentences: {weak}");
        assert!(policy.check("correct horse battery staple", &[]).is_ok());
        assert!(policy.check(&"x".repeat(129), &[]).is_err());
        let off = PasswordPolicy { min_length: 8, min_score: 0 };
        assert!(off.check("password", &[]).is_ok());
    }
}
