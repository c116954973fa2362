//! The pipeline's view of the identity vault: pseudonyms, vaulted fields, values to scan for, published values
//! and the seal of withheld ones (k-anonymity at rest).
//!
//! [`VaultSession`] adapts the real [`privet_vault::Vault`] for one request: it collects the [`Ticket`] of every
//! write the request caused, so the caller can wait until they are durable before acknowledging, and it remembers
//! the first vault failure (transforms cannot fail one by one; the request fails as a whole).
//! [`MemoryVault`] is an in-memory stand-in for unit tests.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use privet_model::withheld::{Dimension, Withheld};
use privet_model::{ProjectId, Pseudonym};
pub use privet_vault::IdKind;
use privet_vault::{Known, KnownSketch, PublishedSets, Ticket, Vault, VaultError};
use rand::RngCore;

/// What the transforms need from the vault.
pub trait IdentityVault {
    /// The pseudonym of an identifier (created on first sight).
    fn pseudonym(&self, project: ProjectId, kind: IdKind<'_>, value: &str) -> Pseudonym;
    /// Keeps a personal field of a subject, encrypted.
    fn store_field(&self, project: ProjectId, subject: Pseudonym, name: &str, value: &str);
    /// Values the vault holds for a subject (to find them in free text).
    fn known_values(&self, subject: Pseudonym) -> Arc<Known>;
    /// What a text must have to hold one of those values ([`KnownSketch`]), without reading them.
    fn known_sketch(&self, subject: Pseudonym) -> KnownSketch;
    /// Whether a value is published in the project (stored for at least `k` people; see
    /// `privet_model::withheld`).
    fn is_published(&self, project: ProjectId, dimension: Dimension, key: &str) -> bool;
    /// Seals the values an event is stored without.
    fn seal(&self, project: ProjectId, withheld: &Withheld) -> Vec<u8>;
}

/// The real vault, for one request.
pub struct VaultSession<'a> {
    vault: &'a Vault,
    ticket: Cell<Ticket>,
    error: RefCell<Option<VaultError>>,
    /// The published values, taken at the request's first lookup (then read without locking).
    published: OnceCell<Arc<PublishedSets>>,
}

impl<'a> VaultSession<'a> {
    pub fn new(vault: &'a Vault) -> Self {
        VaultSession {
            vault,
            ticket: Cell::new(Ticket::default()),
            error: RefCell::new(None),
            published: OnceCell::new(),
        }
    }

    /// The writes to wait for, or the first failure.
    pub fn finish(self) -> Result<Ticket, VaultError> {
        match self.error.into_inner() {
            Some(e) => Err(e),
            None => Ok(self.ticket.get()),
        }
    }

    fn fail(&self, e: VaultError) {
        self.error.borrow_mut().get_or_insert(e);
    }
}

impl IdentityVault for VaultSession<'_> {
    fn pseudonym(&self, project: ProjectId, kind: IdKind<'_>, value: &str) -> Pseudonym {
        let mut ticket = self.ticket.get();
        let result = self.vault.pseudonym(project, kind, value, &mut ticket);
        self.ticket.set(ticket);
        result.unwrap_or_else(|e| {
            self.fail(e);
            Pseudonym(0)
        })
    }

    fn store_field(&self, project: ProjectId, subject: Pseudonym, name: &str, value: &str) {
        let mut ticket = self.ticket.get();
        if let Err(e) = self
            .vault
            .set_field(project, subject, name, value, &mut ticket)
        {
            self.fail(e);
        }
        self.ticket.set(ticket);
    }

    fn known_values(&self, subject: Pseudonym) -> Arc<Known> {
        self.vault.known_values(subject).unwrap_or_else(|e| {
            self.fail(e);
            Arc::new(Known::new(Vec::new()))
        })
    }

    fn known_sketch(&self, subject: Pseudonym) -> KnownSketch {
        self.vault.known_sketch(subject).unwrap_or_else(|e| {
            self.fail(e);
            KnownSketch::NOTHING
        })
    }

    fn is_published(&self, project: ProjectId, dimension: Dimension, key: &str) -> bool {
        self.published
            .get_or_init(|| self.vault.published_now())
            .contains(project.0, dimension, key)
    }

    fn seal(&self, project: ProjectId, withheld: &Withheld) -> Vec<u8> {
        self.vault.seal_withheld(project.0, withheld)
    }
}

/// An in-memory vault with random pseudonyms, for tests and benchmarks of the transforms alone.
#[derive(Default)]
pub struct MemoryVault {
    inner: Mutex<MemoryInner>,
}

#[derive(Default)]
struct MemoryInner {
    ids: HashMap<(ProjectId, String, String), Pseudonym>,
    fields: HashMap<Pseudonym, Vec<(String, String)>>,
    published: std::collections::HashSet<(ProjectId, Dimension, String)>,
    /// Sealed blobs are indices into this list (the stand-in does not encrypt).
    sealed: Vec<Withheld>,
}

impl MemoryVault {
    /// The fields stored for a subject.
    pub fn fields(&self, subject: Pseudonym) -> Vec<(String, String)> {
        self.inner
            .lock()
            .fields
            .get(&subject)
            .cloned()
            .unwrap_or_default()
    }

    /// Marks values as published.
    pub fn publish(&self, project: ProjectId, keys: &[(Dimension, String)]) {
        let mut inner = self.inner.lock();
        for (dimension, key) in keys {
            inner.published.insert((project, *dimension, key.clone()));
        }
    }

    /// What a blob made by [`IdentityVault::seal`] holds.
    pub fn open(&self, sealed: &[u8]) -> Option<Withheld> {
        let index = usize::try_from(u64::from_le_bytes(sealed.try_into().ok()?)).ok()?;
        self.inner.lock().sealed.get(index).cloned()
    }
}

impl IdentityVault for MemoryVault {
    fn pseudonym(&self, project: ProjectId, kind: IdKind<'_>, value: &str) -> Pseudonym {
        let kind = format!("{kind:?}");
        *self
            .inner
            .lock()
            .ids
            .entry((project, kind, value.to_string()))
            .or_insert_with(|| Pseudonym((rand::rng().next_u64() >> 1) as i64))
    }

    fn store_field(&self, _project: ProjectId, subject: Pseudonym, name: &str, value: &str) {
        let mut inner = self.inner.lock();
        let fields = inner.fields.entry(subject).or_default();
        fields.retain(|(n, _)| n != name);
        fields.push((name.to_string(), value.to_string()));
    }

    fn known_values(&self, subject: Pseudonym) -> Arc<Known> {
        let values = self.fields(subject).into_iter().map(|(_, v)| v).collect();
        Arc::new(Known::new(values))
    }

    fn known_sketch(&self, subject: Pseudonym) -> KnownSketch {
        self.known_values(subject).sketch()
    }

    fn is_published(&self, project: ProjectId, dimension: Dimension, key: &str) -> bool {
        self.inner
            .lock()
            .published
            .contains(&(project, dimension, key.to_string()))
    }

    fn seal(&self, _project: ProjectId, withheld: &Withheld) -> Vec<u8> {
        let mut inner = self.inner.lock();
        inner.sealed.push(withheld.clone());
        ((inner.sealed.len() - 1) as u64).to_le_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use privet_vault::crypto::Key;

    use super::*;

    /// A session reads the values published when it first looks one up, for the rest of its request; the next
    /// session sees later publications.
    #[test]
    fn a_session_reads_one_snapshot_of_the_published_values() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), Key::random()).unwrap();
        let (p, city) = (ProjectId(1), "Albi|Occitanie|FR");
        vault.publish(1, &[(Dimension::Region, "Occitanie|FR".into())]);
        let session = VaultSession::new(&vault);
        assert!(session.is_published(p, Dimension::Region, "Occitanie|FR"));
        vault.publish(1, &[(Dimension::City, city.into())]);
        assert!(!session.is_published(p, Dimension::City, city));
        assert!(VaultSession::new(&vault).is_published(p, Dimension::City, city));
    }
}
