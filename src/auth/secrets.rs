//! Random secrets handed to people (links, API tokens, sign-in challenges, recovery codes) and
//! the SHA-256 that is all the database keeps of them. SHA-256 is enough here, unlike for
//! passwords: each secret has at least 50 random bits, most 256, so there is nothing to guess.

use sha2::{Digest, Sha256};

/// 256 random bits, hex (URL-safe).
pub fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What is stored for a secret: its SHA-256, hex.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

/// Constant-time comparison of two short strings (codes), so timing tells nothing.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
