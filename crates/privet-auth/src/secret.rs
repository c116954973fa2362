//! Generating and hashing secrets (project tokens, API keys, session and set-up tokens).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of every API key, so that secret scanners (and Privet's own PII scanner) recognise leaked keys.
pub const KEY_PREFIX: &str = "pvt_";

/// A new project token: 32 lowercase hex characters, the shape of a Mixpanel project token.
pub fn new_token() -> String {
    random_hex(16)
}

/// A new API key secret: `pvt_` followed by 48 hex characters (192 bits).
pub fn new_key_secret() -> String {
    format!("{KEY_PREFIX}{}", random_hex(24))
}

/// A short random id for a key, safe to show and log.
pub fn new_key_id() -> String {
    format!("key_{}", random_hex(5))
}

/// A new session (or set-up, or CSRF) token: 64 hex characters (256 bits).
pub fn new_session_token() -> String {
    random_hex(32)
}

/// Compares two secrets (or their hashes) in time that does not depend on where they differ.
pub fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `n` random characters people can read aloud and type: lowercase letters and digits without look-alikes
/// (no `i`, `l`, `o`, `0`, `1`), about 5 bits each.
pub fn readable(n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// The stored form of a secret.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let token = new_token();
        assert_eq!(token.len(), 32);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        let key = new_key_secret();
        assert!(key.starts_with(KEY_PREFIX));
        assert_eq!(key.len(), 4 + 48);
        assert_ne!(new_key_secret(), key);
        assert_eq!(hash("a"), hash("a"));
        assert_ne!(hash("a"), hash("b"));
    }
}
