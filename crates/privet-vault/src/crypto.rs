//! The vault's cryptography, in one place: AEAD sealing (XChaCha20-Poly1305), key wrapping, and keyed lookup
//! hashes (HMAC-SHA-256).
//!
//! * A **data key** (32 random bytes) per subject (a person's identifier or an organisation) encrypts that
//!   subject's values. Destroying it makes them unreadable for good: crypto-shredding.
//! * Data keys and the **index key** are stored *wrapped*: sealed under the master key, which never touches the
//!   data directory.
//! * The **index key** turns a value into a lookup hash, so that "which pseudonym does this email have?" can be
//!   answered without storing the email in clear, and without the master key nobody can compute the hash of a
//!   guessed email to test it against the vault.
//!
//! Every sealed blob is `nonce (24 bytes) ‖ ciphertext ‖ tag`, with associated data binding it to its place
//! (subject and field), so a blob copied to another row does not decrypt.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, KeyInit as _, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

const NONCE: usize = 24;

/// A 256-bit symmetric key that is wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key([u8; 32]);

impl Key {
    pub fn random() -> Key {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Key(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Encrypts `plain`, bound to `aad`.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let mut nonce = [0u8; NONCE];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
            .expect("XChaCha20-Poly1305 encrypts any length we use");
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts a blob made by [`Key::seal`] with the same `aad`; `None` if the key or the place is wrong or the
    /// blob was tampered with.
    pub fn open(&self, blob: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        if blob.len() < NONCE {
            return None;
        }
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let (nonce, sealed) = blob.split_at(NONCE);
        cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
            .ok()
    }

    /// Seals another key under this one.
    pub fn wrap(&self, key: &Key, aad: &[u8]) -> Vec<u8> {
        self.seal(key.as_bytes(), aad)
    }

    /// Opens a key sealed by [`Key::wrap`].
    pub fn unwrap_key(&self, blob: &[u8], aad: &[u8]) -> Option<Key> {
        let mut plain = self.open(blob, aad)?;
        let key = <[u8; 32]>::try_from(plain.as_slice()).ok().map(Key);
        plain.zeroize();
        key
    }

    /// A keyed hash of `parts` (each length-prefixed, so that ("ab","c") and ("a","bc") differ).
    pub fn lookup(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        for part in parts {
            mac.update(&(part.len() as u32).to_le_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_is_bound_to_key_and_place() {
        let key = Key::random();
        let blob = key.seal(b"ada@example.com", b"person:1:$email");
        assert!(
            !blob.windows(3).any(|w| w == b"ada"),
            "ciphertext holds no plain text"
        );
        assert_eq!(
            key.open(&blob, b"person:1:$email").as_deref(),
            Some(&b"ada@example.com"[..])
        );
        assert_eq!(key.open(&blob, b"person:2:$email"), None, "other place");
        assert_eq!(
            Key::random().open(&blob, b"person:1:$email"),
            None,
            "other key"
        );
        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open(&tampered, b"person:1:$email"), None);
    }

    #[test]
    fn wrapped_keys_round_trip() {
        let master = Key::random();
        let data = Key::random();
        let wrapped = master.wrap(&data, b"subject:7");
        let back = master.unwrap_key(&wrapped, b"subject:7").unwrap();
        assert_eq!(back.as_bytes(), data.as_bytes());
        assert!(Key::random().unwrap_key(&wrapped, b"subject:7").is_none());
    }

    #[test]
    fn lookups_are_keyed_and_unambiguous() {
        let key = Key::random();
        assert_eq!(key.lookup(&[b"a", b"bc"]), key.lookup(&[b"a", b"bc"]));
        assert_ne!(key.lookup(&[b"ab", b"c"]), key.lookup(&[b"a", b"bc"]));
        assert_ne!(Key::random().lookup(&[b"a"]), key.lookup(&[b"a"]));
    }
}
