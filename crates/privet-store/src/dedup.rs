//! Dropping events that were already stored: the same (event, distinct id, time, `$insert_id`) sent twice.
//!
//! SDKs retry when an acknowledgement is lost, and browsers re-send a batch that `sendBeacon` already delivered.
//! The writer keeps the keys of recent events in a bounded set (oldest forgotten first); compaction removes any
//! older duplicate that slips past it, because equal keys always fall into the same day's segments.

use std::collections::VecDeque;

use hashbrown::HashSet;
use privet_model::{MinimalEvent, ProjectId};
use xxhash_rust::xxh3::Xxh3;

/// The deduplication key of an event, or `None` when it has no `$insert_id`.
pub fn dedup_key(project: ProjectId, event: &MinimalEvent) -> Option<u64> {
    let insert_id = event.insert_id.as_deref()?;
    let id = event
        .identity
        .distinct
        .or(event.identity.user)
        .or(event.identity.device)
        .map_or(0, |p| p.0);
    let mut hasher = Xxh3::new();
    hasher.update(&project.0.to_le_bytes());
    hasher.update(&(event.name.len() as u64).to_le_bytes());
    hasher.update(event.name.as_bytes());
    hasher.update(&id.to_le_bytes());
    hasher.update(&event.time_us.to_le_bytes());
    hasher.update(insert_id.as_bytes());
    Some(hasher.digest())
}

/// A bounded set of recently seen keys.
pub struct DedupSet {
    keys: HashSet<u64>,
    order: VecDeque<u64>,
    capacity: usize,
}

impl DedupSet {
    /// A set remembering at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        DedupSet {
            keys: HashSet::with_capacity(capacity.min(1 << 20)),
            order: VecDeque::with_capacity(capacity.min(1 << 20)),
            capacity: capacity.max(1),
        }
    }

    /// Records `key`; returns false when it was already there (a duplicate).
    pub fn insert(&mut self, key: u64) -> bool {
        if !self.keys.insert(key) {
            return false;
        }
        self.order.push_back(key);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
        true
    }

    /// Forgets a key inserted by the current, failed, group commit.
    pub fn undo(&mut self, key: u64) {
        if self.keys.remove(&key)
            && let Some(pos) = self.order.iter().rposition(|k| *k == key)
        {
            self.order.remove(pos);
        }
    }

    /// Number of keys remembered.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use privet_model::{Dimensions, EventIdentity, Pseudonym};

    fn event(insert_id: Option<&str>, time_us: i64) -> MinimalEvent {
        MinimalEvent {
            name: "Page view".into(),
            time_us,
            insert_id: insert_id.map(str::to_string),
            identity: EventIdentity {
                distinct: Some(Pseudonym(5)),
                ..Default::default()
            },
            identity_op: None,
            dims: Dimensions::default(),
            properties: "{}".into(),
            store: true,
            sealed: None,
        }
    }

    #[test]
    fn keys_depend_on_every_part() {
        let p = ProjectId(1);
        let base = dedup_key(p, &event(Some("a"), 1)).unwrap();
        assert_eq!(dedup_key(p, &event(Some("a"), 1)), Some(base));
        assert_ne!(dedup_key(p, &event(Some("b"), 1)), Some(base));
        assert_ne!(dedup_key(p, &event(Some("a"), 2)), Some(base));
        assert_ne!(dedup_key(ProjectId(2), &event(Some("a"), 1)), Some(base));
        assert_eq!(dedup_key(p, &event(None, 1)), None);
    }

    #[test]
    fn bounded_and_undoable() {
        let mut set = DedupSet::new(2);
        assert!(set.insert(1));
        assert!(!set.insert(1));
        assert!(set.insert(2));
        assert!(set.insert(3)); // forgets 1
        assert!(set.insert(1));
        assert_eq!(set.len(), 2);
        set.undo(1);
        assert!(set.insert(1));
    }
}
