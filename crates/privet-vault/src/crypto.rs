//! The vault's cryptography, in one place: AEAD sealing (XChaCha20-Poly1305), key wrapping, keyed lookup
//! hashes (HMAC-SHA-256), and a [`Sealer`] for the many short values of events.
//!
//! * A **data key** (32 random bytes) per subject (a person's identifier or an organisation) encrypts that
//!   subject's values. Destroying it makes them unreadable for good: crypto-shredding.
//! * Data keys and the **index key** are stored *wrapped*: sealed under the master key, which never touches the
//!   data directory.
//! * The **index key** turns a value into a lookup hash, so that "which pseudonym does this email have?" can be
//!   answered without storing the email in clear, and without the master key nobody can compute the hash of a
//!   guessed email to test it against the vault.
//!
//! Every sealed blob is `nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)`, with associated data binding it to its place
//! (subject and field), so a blob copied to another row does not decrypt.

use std::cell::RefCell;

use chacha20::cipher::consts::U10;
use hmac::{Hmac, KeyInit as _, Mac};
use rand::RngCore;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use sha2::Sha256;
use thread_local::ThreadLocal;
use zeroize::{Zeroize, ZeroizeOnDrop};

const NONCE: usize = 24;
const TAG: usize = 16;

/// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha): HChaCha20 derives a subkey from the key and the nonce's first
/// 16 bytes, and ChaCha20-Poly1305 (RFC 8439) runs under it with the nonce's last 8 bytes.
///
/// The subkey comes from RustCrypto's `chacha20`; the AEAD is `ring`'s, whose assembly seals a short value
/// (a withheld place, a data key) several times faster than a portable implementation tuned for long messages.
fn xchacha(key: &[u8; 32], nonce: &[u8; NONCE]) -> (LessSafeKey, Nonce) {
    let mut subkey = chacha20::hchacha::<U10>(key.into(), nonce[..16].into());
    let cipher = LessSafeKey::new(
        UnboundKey::new(&CHACHA20_POLY1305, &subkey)
            .expect("ChaCha20-Poly1305 takes a 32-byte key"),
    );
    subkey.as_mut_slice().zeroize();
    let mut inner = [0u8; 12];
    inner[4..].copy_from_slice(&nonce[16..]);
    (cipher, Nonce::assume_unique_for_key(inner))
}

/// Seals many short values under one key (the withheld places and clients of events): blobs [`Key::open`]
/// opens, at about half the cost of [`Key::seal`] each.
///
/// Each thread draws a random 16-byte nonce prefix, derives the XChaCha20 subkey for it once, and counts through
/// the nonce's last 8 bytes: a seal is one ChaCha20-Poly1305 operation, without a subkey derivation, a key set-up
/// and 24 random bytes. Nonces never repeat (a random 128-bit prefix per run of seals, a counter within it; a
/// thread that takes over an ended thread's slot carries on its run). A fresh prefix is drawn every
/// [`Sealer::RUN`] seals, so blobs sharing one tell no more than that one thread sealed them, and in which
/// order.
pub struct Sealer {
    key: Key,
    runs: ThreadLocal<RefCell<Run>>,
}

/// One thread's run of nonces.
struct Run {
    prefix: [u8; 16],
    count: u64,
    cipher: LessSafeKey,
}

impl Sealer {
    /// Seals per nonce prefix.
    pub const RUN: u64 = 4096;

    pub fn new(key: Key) -> Sealer {
        Sealer {
            key,
            runs: ThreadLocal::new(),
        }
    }

    fn run(&self) -> Run {
        let mut nonce = [0u8; NONCE];
        rand::rng().fill_bytes(&mut nonce[..16]);
        let (cipher, _) = xchacha(&self.key.0, &nonce);
        Run {
            prefix: nonce[..16].try_into().expect("16 bytes"),
            count: 0,
            cipher,
        }
    }

    /// Encrypts `plain`, bound to `aad`.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut run = self.runs.get_or(|| RefCell::new(self.run())).borrow_mut();
        if run.count == Sealer::RUN {
            *run = self.run();
        }
        let count = run.count.to_le_bytes();
        run.count += 1;
        let mut inner = [0u8; 12];
        inner[4..].copy_from_slice(&count);
        let mut out = Vec::with_capacity(NONCE + plain.len() + TAG);
        out.extend_from_slice(&run.prefix);
        out.extend_from_slice(&count);
        out.extend_from_slice(plain);
        let tag = run
            .cipher
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(inner),
                Aad::from(aad),
                &mut out[NONCE..],
            )
            .expect("ChaCha20-Poly1305 seals any length we use");
        out.extend_from_slice(tag.as_ref());
        out
    }

    /// Decrypts a blob made by [`Sealer::seal`] (or [`Key::seal`] under the same key).
    pub fn open(&self, blob: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        self.key.open(blob, aad)
    }
}

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
        let mut nonce = [0u8; NONCE];
        rand::rng().fill_bytes(&mut nonce);
        let (cipher, inner) = xchacha(&self.0, &nonce);
        let mut out = Vec::with_capacity(NONCE + plain.len() + TAG);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let tag = cipher
            .seal_in_place_separate_tag(inner, Aad::from(aad), &mut out[NONCE..])
            .expect("ChaCha20-Poly1305 seals any length we use");
        out.extend_from_slice(tag.as_ref());
        out
    }

    /// Decrypts a blob made by [`Key::seal`] with the same `aad`; `None` if the key or the place is wrong or the
    /// blob was tampered with.
    pub fn open(&self, blob: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        if blob.len() < NONCE + TAG {
            return None;
        }
        let (nonce, sealed) = blob.split_at(NONCE);
        let (cipher, inner) = xchacha(&self.0, nonce.try_into().ok()?);
        let mut plain = sealed.to_vec();
        let len = cipher
            .open_in_place(inner, Aad::from(aad), &mut plain)
            .ok()?
            .len();
        plain.truncate(len);
        Some(plain)
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
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};

    use super::*;

    /// Blobs are XChaCha20-Poly1305 as RustCrypto's reference implementation makes them, both ways, at every
    /// length around the block sizes.
    #[test]
    fn blobs_are_standard_xchacha20_poly1305() {
        let key = Key::random();
        let reference = XChaCha20Poly1305::new(key.as_bytes().into());
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 200] {
            let plain: Vec<u8> = (0..len as u8).collect();
            let aad = b"subject:42";
            let blob = key.seal(&plain, aad);
            assert_eq!(blob.len(), NONCE + len + TAG);
            let (nonce, sealed) = blob.split_at(NONCE);
            let opened = reference
                .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
                .expect("the reference opens our blob");
            assert_eq!(opened, plain);
            let theirs = reference
                .encrypt(XNonce::from_slice(nonce), Payload { msg: &plain, aad })
                .unwrap();
            assert_eq!(theirs, sealed, "same nonce, same ciphertext and tag");
            let mut tampered = blob.clone();
            tampered[NONCE] ^= 1;
            assert_eq!(key.open(&tampered, aad), None);
            assert_eq!(key.open(&blob, aad), Some(plain));
        }
        assert_eq!(key.open(&[0u8; NONCE + TAG - 1], b""), None, "too short");
    }

    /// A sealer's blobs are standard too, each with its own nonce (across a new run and across threads), and
    /// its runs draw fresh prefixes.
    #[test]
    fn sealer_blobs_are_standard_with_unique_nonces() {
        let key = Key::random();
        let reference = XChaCha20Poly1305::new(key.as_bytes().into());
        let sealer = Sealer::new(key.clone());
        let aad = b"withheld";
        // Both threads seal before either ends (a thread that ended could hand its run to the next one).
        let together = std::sync::Barrier::new(2);
        let blobs: Vec<Vec<u8>> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        let blobs: Vec<_> = (0..Sealer::RUN + 10)
                            .map(|i| sealer.seal(&i.to_le_bytes(), aad))
                            .collect();
                        together.wait();
                        blobs
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        let mut nonces = std::collections::HashSet::new();
        let mut prefixes = std::collections::HashSet::new();
        for (i, blob) in blobs.iter().enumerate() {
            let (nonce, sealed) = blob.split_at(NONCE);
            assert!(nonces.insert(nonce.to_vec()), "nonce {i} repeats");
            prefixes.insert(nonce[..16].to_vec());
            let plain = (i as u64 % (Sealer::RUN + 10)).to_le_bytes();
            let opened = reference
                .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
                .expect("the reference opens a sealer's blob");
            assert_eq!(opened, plain);
            assert_eq!(sealer.open(blob, aad).as_deref(), Some(&plain[..]));
            assert_eq!(key.open(blob, b"other place"), None);
        }
        assert_eq!(prefixes.len(), 4, "two runs on each of two threads");
    }

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
