//! Pseudonyms: replacing an identifier by a number that stands for it.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use privet_model::{ProjectId, Pseudonym};
use rand::RngCore;
use sha2::Sha256;

/// What kind of identifier a value is: person ids (`distinct_id`, `$device_id`, `$user_id`) share a namespace,
/// each group key has its own.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IdKind<'a> {
    Person,
    Group(&'a str),
}

/// Turns identifiers into pseudonyms. The same value always gets the same pseudonym within a project.
pub trait Pseudonymizer: Send + Sync {
    fn pseudonym(&self, project: ProjectId, kind: IdKind<'_>, value: &str) -> Pseudonym;
}

/// Keyed pseudonyms: HMAC-SHA256 under a secret key, truncated to 63 bits.
///
/// Without the key, a pseudonym cannot be linked to its value, not even by guessing values and hashing them.
pub struct KeyedPseudonymizer {
    mac: Hmac<Sha256>,
}

impl KeyedPseudonymizer {
    /// A pseudonymiser with the given 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        KeyedPseudonymizer {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    /// Loads the key from `path`, creating a random one (readable only by its owner) if it does not exist.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        if let Ok(text) = std::fs::read_to_string(path) {
            let bytes = hex::decode(text.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| {
                    std::io::Error::other(format!(
                        "{} is not a 64-character hex key; restore it from a backup",
                        path.display()
                    ))
                })?;
            return Ok(Self::new(&bytes));
        }
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        file.write_all(hex::encode(key).as_bytes())?;
        file.sync_all()?;
        Ok(Self::new(&key))
    }
}

impl Pseudonymizer for KeyedPseudonymizer {
    fn pseudonym(&self, project: ProjectId, kind: IdKind<'_>, value: &str) -> Pseudonym {
        let mut mac = self.mac.clone();
        mac.update(&project.0.to_le_bytes());
        match kind {
            IdKind::Person => mac.update(b"p\0"),
            IdKind::Group(key) => {
                mac.update(b"g\0");
                mac.update(key.as_bytes());
                mac.update(b"\0");
            }
        }
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        Pseudonym::from_bytes(digest[..8].try_into().expect("8 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_separated_and_keyed() {
        let a = KeyedPseudonymizer::new(&[1; 32]);
        let b = KeyedPseudonymizer::new(&[2; 32]);
        let p = ProjectId(1);
        let x = a.pseudonym(p, IdKind::Person, "alice@example.com");
        assert_eq!(x, a.pseudonym(p, IdKind::Person, "alice@example.com"));
        assert!(x.0 > 0);
        assert_ne!(
            x,
            a.pseudonym(ProjectId(2), IdKind::Person, "alice@example.com")
        );
        assert_ne!(
            x,
            a.pseudonym(p, IdKind::Group("company_id"), "alice@example.com")
        );
        assert_ne!(x, b.pseudonym(p, IdKind::Person, "alice@example.com"));
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets/pseudonym.key");
        let first = KeyedPseudonymizer::load_or_create(&path).unwrap();
        let again = KeyedPseudonymizer::load_or_create(&path).unwrap();
        let p = ProjectId(1);
        assert_eq!(
            first.pseudonym(p, IdKind::Person, "u1"),
            again.pseudonym(p, IdKind::Person, "u1")
        );
        std::fs::write(&path, "zz").unwrap();
        assert!(KeyedPseudonymizer::load_or_create(&path).is_err());
    }
}
