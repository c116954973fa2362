//! k-anonymity at rest, the vault's part: which values are published, and the key that seals withheld ones.
//!
//! The store decides when a value is published (once `k` distinct people are stored with it; see
//! `privet_model::withheld`) and records it in its own metadata; at start and after every publication it tells
//! the vault, which keeps the sets in memory for the pipeline's per-event lookups: a request reads a snapshot
//! ([`PublishedSets`], taken once per request) without locking. Withheld values are sealed
//! with XChaCha20-Poly1305 under a key derived from the vault's index key, bound to the project, so a copy of the
//! data directory without the master key cannot read them.

use std::sync::Arc;

use hashbrown::{HashMap, HashSet};
use parking_lot::{Mutex, RwLock};
use privet_model::withheld::{Dimension, Withheld};

use crate::Vault;
use crate::crypto::Key;

/// The purpose the sealing key is derived for.
pub(crate) const PURPOSE: &str = "withheld-dimensions";

/// Published values per project and dimension, as they stand now.
#[derive(Default)]
pub struct Published {
    /// Replaced, never changed in place, so a snapshot stays as it was taken. Publishing copies the outer map and
    /// the sets it adds to; publications are rare (a background pass, when values reach `k` people).
    sets: RwLock<Arc<PublishedSets>>,
    /// Held while the next sets are built, outside `sets`' lock (readers never wait for the copy).
    publishing: Mutex<()>,
}

/// The published values at one moment.
#[derive(Clone, Default)]
pub struct PublishedSets(HashMap<(i64, Dimension), Arc<HashSet<String>>>);

impl PublishedSets {
    /// Whether `key` of `dimension` is published in `project`.
    pub fn contains(&self, project: i64, dimension: Dimension, key: &str) -> bool {
        self.0
            .get(&(project, dimension))
            .is_some_and(|set| set.contains(key))
    }
}

impl Published {
    /// How many values of `dimension` are published in `project` (for status pages and tests).
    pub fn count(&self, project: i64, dimension: Dimension) -> usize {
        self.sets
            .read()
            .0
            .get(&(project, dimension))
            .map_or(0, |set| set.len())
    }
}

fn aad(project: i64) -> [u8; 17] {
    let mut aad = [0u8; 17];
    aad[0] = b'w';
    aad[1..9].copy_from_slice(&project.to_le_bytes());
    aad[9..].copy_from_slice(b"withheld");
    aad
}

impl Vault {
    /// Whether `key` of `dimension` is published in `project`.
    pub fn is_published(&self, project: i64, dimension: Dimension, key: &str) -> bool {
        self.inner
            .published
            .sets
            .read()
            .contains(project, dimension, key)
    }

    /// The values published now, to look many up without locking (one request's worth: later publications
    /// are not in it).
    pub fn published_now(&self) -> Arc<PublishedSets> {
        self.inner.published.sets.read().clone()
    }

    /// Records values of `project` as published (told by the store).
    pub fn publish(&self, project: i64, keys: &[(Dimension, String)]) {
        let published = &self.inner.published;
        let _one_at_a_time = published.publishing.lock();
        let mut next = PublishedSets::clone(&published.sets.read());
        for (dimension, key) in keys {
            Arc::make_mut(next.0.entry((project, *dimension)).or_default()).insert(key.clone());
        }
        *published.sets.write() = Arc::new(next);
    }

    /// The published sets.
    pub fn published(&self) -> &Published {
        &self.inner.published
    }

    /// Seals the values an event of `project` is stored without.
    pub fn seal_withheld(&self, project: i64, withheld: &Withheld) -> Vec<u8> {
        let plain = encode(withheld);
        self.inner.withheld.seal(&plain, &aad(project))
    }

    /// Opens a blob made by [`Vault::seal_withheld`] for the same project.
    pub fn open_withheld(&self, project: i64, sealed: &[u8]) -> Option<Withheld> {
        decode(&self.inner.withheld.open(sealed, &aad(project))?)
    }
}

/// The sealing key of a vault whose index key is `index`.
pub(crate) fn key(index: &Key) -> Key {
    crate::derive(index, PURPOSE)
}

fn encode(withheld: &Withheld) -> Vec<u8> {
    postcard::to_allocvec(withheld).expect("withheld values always encode")
}

fn decode(bytes: &[u8]) -> Option<Withheld> {
    postcard::from_bytes(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_refuses_a_truncated_blob() {
        let w = Withheld {
            region: Some("Île-de-France".into()),
            city: Some(Default::default()),
            browser_version: Some("133".into()),
            ..Default::default()
        };
        assert_eq!(decode(&encode(&w)), Some(w.clone()));
        assert_eq!(
            decode(&encode(&Withheld::default())),
            Some(Withheld::default())
        );
        assert_eq!(decode(&encode(&w)[..5]), None);
    }
}
