//! Pseudonyms and the identity operations that join several ids into one person.

use serde::{Deserialize, Serialize};

/// A pseudonym standing in for a raw identifier (a distinct id, a device id, a user id, an organisation id).
///
/// Pseudonyms are positive 63-bit integers: they sort, hash and compress far better than strings, and they carry
/// no information about the value they replace. The mapping value → pseudonym lives only in the identity layer
/// (see `privet-pipeline`), never in the analytics store.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pseudonym(pub i64);

impl Pseudonym {
    /// Builds a pseudonym from 8 bytes of key material, clearing the sign bit so that it is always positive.
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        let value = i64::from_le_bytes(bytes) & i64::MAX;
        // Zero is reserved so that a pseudonym is never confused with a default value.
        Pseudonym(if value == 0 { 1 } else { value })
    }
}

impl std::fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The pseudonymous ids an event carries, before the store resolves them to a person.
///
/// Mixpanel's two identity models are both represented:
/// * *simplified ID merge*: `device` (`$device_id`) and `user` (`$user_id`); an event carrying both joins them;
/// * *original ID merge*: `distinct` (`distinct_id`) plus the explicit [`IdentityOp`]s.
///
/// A device id is pseudonymised in the same namespace as `distinct_id = "$device:<id>"`, so the two spellings
/// Mixpanel SDKs use for an anonymous device refer to the same pseudonym.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventIdentity {
    pub distinct: Option<Pseudonym>,
    pub device: Option<Pseudonym>,
    pub user: Option<Pseudonym>,
}

impl EventIdentity {
    /// True when the event carries no usable id at all.
    pub fn is_empty(&self) -> bool {
        self.distinct.is_none() && self.device.is_none() && self.user.is_none()
    }
}

/// An explicit identity operation, from Mixpanel's `$identify`, `$create_alias` and `$merge`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityOp {
    /// `$identify`: the anonymous id becomes the identified user.
    Identify {
        anon: Pseudonym,
        identified: Pseudonym,
    },
    /// `$create_alias`: `alias` becomes another name of `original`'s person.
    Alias {
        alias: Pseudonym,
        original: Pseudonym,
    },
    /// `$merge`: all ids are one person.
    Merge { ids: Vec<Pseudonym> },
}
