//! Two-factor sign-in (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps) through `totp-rs`, the
//! setup QR code (SVG, drawn here), and recovery codes.

use qrcode::render::svg;
use qrcode::QrCode;
use totp_rs::{Algorithm, Secret, TOTP};

use super::secrets;
use crate::db::users::UserRow;
use crate::db::{two_factor, Db};
use crate::error::ApiResult;

pub const STEP_SECS: u64 = 30;
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Stockroom";
/// Recovery codes use letters and digits that can't be mistaken for each other.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A fresh 160-bit secret, base32 as authenticator apps take it.
pub fn new_secret() -> String {
    match Secret::Raw(rand::random::<[u8; 20]>().to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => unreachable!("to_encoded encodes"),
    }
}

fn totp(secret: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    // Unchecked only so that an account name with a `:` still makes a URL; the secret is ours.
    Some(TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        bytes,
        Some(ISSUER.into()),
        account.replace(':', " "),
    ))
}

/// The `otpauth://` URL an authenticator app reads, and its QR code as an SVG document.
pub fn enrolment(secret: &str, account: &str) -> (String, String) {
    let url = totp(secret, account).map(|t| t.get_url()).unwrap_or_default();
    let svg = QrCode::new(url.as_bytes())
        .map(|code| code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
        .unwrap_or_default();
    (url, svg)
}

pub fn current_step(now_unix: u64) -> u64 {
    now_unix / STEP_SECS
}

/// The step (one either side of now) whose code `code` is, if any. Whether that step was used
/// already is the caller's to check.
pub fn matching_step(secret: &str, code: &str, now_unix: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "")?;
    let now = current_step(now_unix);
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|step| secrets::same(&t.generate(step * STEP_SECS), code))
}

/// Whether `code` looks like a TOTP code (else it may be a recovery code).
pub fn is_totp_code(code: &str) -> bool {
    let code = code.trim();
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Ten fresh recovery codes (`xxxxx-xxxxx`, 50 bits each) and their hashes.
pub fn new_recovery_codes() -> Vec<(String, String)> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| RECOVERY_ALPHABET[rand::random::<usize>() % RECOVERY_ALPHABET.len()] as char)
                .collect();
            let code = format!("{}-{}", &chars[..5], &chars[5..]);
            let hash = hash_recovery_code(&code);
            (code, hash)
        })
        .collect()
}

/// Recovery codes are typed by hand: case, spaces and dashes don't matter.
pub fn hash_recovery_code(code: &str) -> String {
    let normal: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    secrets::sha256_hex(&normal)
}

/// Whether `code` is this user's second factor now: a TOTP code of a step not used before (the
/// step is then used up), or an unused recovery code (then used up). Each use is one atomic
/// statement, so a code can't be used twice by concurrent requests. Answers which kind of code
/// it was (`totp` or `recovery_code`), or none when it is not the user's.
pub async fn second_factor(db: &Db, user: &UserRow, code: &str) -> ApiResult<Option<&'static str>> {
    let Some(secret) = &user.totp_secret else { return Ok(None) };
    if is_totp_code(code) {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let used = match matching_step(secret, code, now) {
            Some(step) => two_factor::use_step(&db.write, user.id, step as i64).await?,
            None => false,
        };
        return Ok(used.then_some("totp"));
    }
    let used = two_factor::use_recovery_code(&db.write, user.id, &hash_recovery_code(code)).await?;
    Ok(used.then_some("recovery_code"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_test_vectors() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", last 6 of the 8 digits.
        let secret = match Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            _ => unreachable!(),
        };
        for (time, code) in
            [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")]
        {
            assert_eq!(matching_step(&secret, code, time), Some(time / 30), "{time}");
            // One step either side is accepted, two are not.
            assert_eq!(matching_step(&secret, code, time + 30), Some(time / 30));
            assert_eq!(matching_step(&secret, code, time + 61), None);
        }
        assert_eq!(matching_step(&secret, "28708", 59), None);
        assert_eq!(matching_step(&secret, "abcdef", 59), None);
    }

    #[test]
    fn enrolment_gives_a_url_and_an_svg() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        let (url, svg) = enrolment(&secret, "ann@example.com");
        assert!(url.starts_with("otpauth://totp/Stockroom:ann%40example.com?secret="), "{url}");
        assert!(url.contains("issuer=Stockroom"));
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_to_type() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let (code, hash) = &codes[0];
        assert_eq!(code.len(), 11);
        assert_eq!(hash_recovery_code(&code.to_uppercase().replace('-', " ")), *hash);
        let unique: std::collections::HashSet<_> = codes.iter().map(|c| &c.0).collect();
        assert_eq!(unique.len(), 10);
    }
}
