//! The identity graph: which pseudonymous ids belong to which person.
//!
//! It implements Mixpanel's identity management over pseudonyms:
//! * **simplified ID merge** — an event with both `$device_id` and `$user_id` joins the device to the user, and
//!   the user id is canonical: a device already claimed by another user is not merged again;
//! * **original ID merge** — `$identify` (anonymous id → identified id), `$create_alias` and `$merge`.
//!
//! A person's id is the pseudonym of the first id seen for them. Joining a new id to an existing person is just
//! a link; only when two people that both have events are joined does one get *remapped* into the other (a
//! union-find parent pointer). Stored events keep the person id they were written with, so queries apply the
//! remaps (see `table::remap`) until compaction rewrites the segments.
//!
//! Every change made while resolving a group commit is recorded in an undo log, so that a failed commit can be
//! rolled back and the in-memory graph always matches what is durable.

use hashbrown::{HashMap, HashSet};
use privet_model::{EventIdentity, IdentityOp, Pseudonym};

use crate::wal::IdentityChange;

type Key = (i64, i64);

enum Undo {
    Link(Key, Option<i64>),
    Parent(Key, Option<i64>),
    Identified(Key),
}

/// The in-memory identity graph of every project.
#[derive(Default)]
pub struct IdentityGraph {
    links: HashMap<Key, i64>,
    parent: HashMap<Key, i64>,
    identified: HashSet<Key>,
    undo: Vec<Undo>,
}

impl IdentityGraph {
    /// Applies a change read back from the metadata database or the log.
    pub fn apply(&mut self, project: i64, change: &IdentityChange) {
        match *change {
            IdentityChange::Link { id, person } => {
                self.links.insert((project, id), person);
            }
            IdentityChange::Remap { from, to } => {
                if self.find(project, from) != self.find(project, to) {
                    self.parent.insert((project, from), to);
                }
            }
            IdentityChange::Identified { person } => {
                self.identified.insert((project, person));
            }
        }
    }

    /// Resolves an event's person, applying its identity operation first. New links and merges are appended to
    /// `changes`.
    pub fn resolve_event(
        &mut self,
        project: i64,
        identity: &EventIdentity,
        op: Option<&IdentityOp>,
        changes: &mut Vec<IdentityChange>,
    ) -> Option<i64> {
        if let Some(op) = op {
            self.apply_op(project, op, changes);
        }
        self.resolve(project, identity, changes)
    }

    /// Resolves the person an event or profile update belongs to, creating them if needed.
    pub fn resolve(
        &mut self,
        project: i64,
        identity: &EventIdentity,
        changes: &mut Vec<IdentityChange>,
    ) -> Option<i64> {
        let device = identity.device.map(|p| p.0);
        // A distinct id that is neither the device's id nor the user id takes the user id's place (server-side
        // SDKs send only `distinct_id`), but only an explicit `$user_id` (or `$identify`) marks the person as
        // identified: until then an anonymous id may still be merged into a user.
        let explicit_user = identity.user.is_some();
        let user = identity.user.map(|p| p.0).or_else(|| {
            identity
                .distinct
                .map(|p| p.0)
                .filter(|d| Some(*d) != device)
        });
        match (user, device) {
            (Some(user), device) => {
                let user_person = self.person_of(project, user);
                let device_person = device.and_then(|d| self.person_of(project, d));
                let person = match (user_person, device_person) {
                    (None, None) => {
                        let person = self.new_person(project, user, changes);
                        if let Some(d) = device {
                            self.link(project, d, person, changes);
                        }
                        person
                    }
                    (None, Some(dp)) if !self.is_identified(project, dp) => {
                        self.link(project, user, dp, changes);
                        dp
                    }
                    (None, Some(_)) => self.new_person(project, user, changes),
                    (Some(up), None) => {
                        if let Some(d) = device {
                            self.link(project, d, up, changes);
                        }
                        up
                    }
                    (Some(up), Some(dp)) => {
                        if up != dp && !self.is_identified(project, dp) {
                            self.merge(project, dp, up, changes);
                        }
                        up
                    }
                };
                if explicit_user {
                    self.mark_identified(project, person, changes);
                }
                Some(person)
            }
            (None, Some(device)) => Some(
                self.person_of(project, device)
                    .unwrap_or_else(|| self.new_person(project, device, changes)),
            ),
            (None, None) => identity.distinct.map(|d| {
                self.person_of(project, d.0)
                    .unwrap_or_else(|| self.new_person(project, d.0, changes))
            }),
        }
    }

    fn apply_op(&mut self, project: i64, op: &IdentityOp, changes: &mut Vec<IdentityChange>) {
        match op {
            IdentityOp::Identify { anon, identified } => {
                let (anon, identified) = (anon.0, identified.0);
                let anon_person = self.person_of(project, anon);
                let identified_person = self.person_of(project, identified);
                let person = match (anon_person, identified_person) {
                    (None, None) => {
                        let person = self.new_person(project, identified, changes);
                        self.link(project, anon, person, changes);
                        person
                    }
                    (Some(ap), None) if !self.is_identified(project, ap) => {
                        self.link(project, identified, ap, changes);
                        ap
                    }
                    (Some(_), None) => self.new_person(project, identified, changes),
                    (None, Some(ip)) => {
                        self.link(project, anon, ip, changes);
                        ip
                    }
                    (Some(ap), Some(ip)) => {
                        if ap != ip && !self.is_identified(project, ap) {
                            self.merge(project, ap, ip, changes);
                        }
                        ip
                    }
                };
                self.mark_identified(project, person, changes);
            }
            IdentityOp::Alias { alias, original } => {
                let person = self
                    .person_of(project, original.0)
                    .unwrap_or_else(|| self.new_person(project, original.0, changes));
                if self.person_of(project, alias.0).is_none() {
                    self.link(project, alias.0, person, changes);
                }
            }
            IdentityOp::Merge { ids } => {
                let persons: Vec<i64> = ids
                    .iter()
                    .map(|Pseudonym(id)| {
                        self.person_of(project, *id)
                            .unwrap_or_else(|| self.new_person(project, *id, changes))
                    })
                    .collect();
                let Some(&target) = persons
                    .iter()
                    .find(|p| self.is_identified(project, **p))
                    .or(persons.first())
                else {
                    return;
                };
                for person in persons {
                    self.merge(project, person, target, changes);
                }
            }
        }
    }

    /// The canonical person of an id, if the id is known.
    pub fn person_of(&self, project: i64, id: i64) -> Option<i64> {
        self.links
            .get(&(project, id))
            .map(|person| self.find(project, *person))
    }

    /// Follows remaps to the canonical person.
    pub fn find(&self, project: i64, mut person: i64) -> i64 {
        // Chains are short (each merge points at a canonical person), but guard against cycles anyway.
        for _ in 0..64 {
            match self.parent.get(&(project, person)) {
                Some(next) if *next != person => person = *next,
                _ => break,
            }
        }
        person
    }

    /// Every remapped person of `project` and the canonical person it now belongs to.
    pub fn remaps(&self, project: i64) -> crate::version::Remaps {
        self.parent
            .keys()
            .filter(|(p, _)| *p == project)
            .map(|(_, from)| (*from, self.find(project, *from)))
            .collect()
    }

    /// The remaps of every project that has any.
    pub fn all_remaps(&self) -> std::collections::HashMap<i64, crate::version::Remaps> {
        let mut all: std::collections::HashMap<i64, crate::version::Remaps> =
            std::collections::HashMap::new();
        for (project, from) in self.parent.keys() {
            all.entry(*project)
                .or_default()
                .insert(*from, self.find(*project, *from));
        }
        all
    }

    /// Number of remapped persons across projects.
    pub fn remap_count(&self) -> usize {
        self.parent.len()
    }

    fn is_identified(&self, project: i64, person: i64) -> bool {
        self.identified.contains(&(project, person))
    }

    fn new_person(&mut self, project: i64, id: i64, changes: &mut Vec<IdentityChange>) -> i64 {
        self.link(project, id, id, changes);
        id
    }

    fn link(&mut self, project: i64, id: i64, person: i64, changes: &mut Vec<IdentityChange>) {
        let previous = self.links.insert((project, id), person);
        self.undo.push(Undo::Link((project, id), previous));
        changes.push(IdentityChange::Link { id, person });
    }

    fn merge(&mut self, project: i64, from: i64, to: i64, changes: &mut Vec<IdentityChange>) {
        let (from, to) = (self.find(project, from), self.find(project, to));
        if from == to {
            return;
        }
        let previous = self.parent.insert((project, from), to);
        self.undo.push(Undo::Parent((project, from), previous));
        changes.push(IdentityChange::Remap { from, to });
        if self.is_identified(project, from) {
            self.mark_identified(project, to, changes);
        }
    }

    fn mark_identified(&mut self, project: i64, person: i64, changes: &mut Vec<IdentityChange>) {
        if self.identified.insert((project, person)) {
            self.undo.push(Undo::Identified((project, person)));
            changes.push(IdentityChange::Identified { person });
        }
    }

    /// Keeps the changes made since the last commit or rollback.
    pub fn commit(&mut self) {
        self.undo.clear();
    }

    /// Undoes the changes made since the last commit or rollback.
    pub fn rollback(&mut self) {
        while let Some(undo) = self.undo.pop() {
            match undo {
                Undo::Link(key, Some(previous)) => {
                    self.links.insert(key, previous);
                }
                Undo::Link(key, None) => {
                    self.links.remove(&key);
                }
                Undo::Parent(key, Some(previous)) => {
                    self.parent.insert(key, previous);
                }
                Undo::Parent(key, None) => {
                    self.parent.remove(&key);
                }
                Undo::Identified(key) => {
                    self.identified.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: i64 = 1;

    fn ids(distinct: Option<i64>, device: Option<i64>, user: Option<i64>) -> EventIdentity {
        EventIdentity {
            distinct: distinct.map(Pseudonym),
            device: device.map(Pseudonym),
            user: user.map(Pseudonym),
        }
    }

    #[test]
    fn simplified_merge_keeps_the_anonymous_person() {
        let mut g = IdentityGraph::default();
        let mut changes = Vec::new();
        // Anonymous browsing: distinct_id = "$device:D" (same pseudonym as the device).
        let anon = g
            .resolve(P, &ids(Some(10), Some(10), None), &mut changes)
            .unwrap();
        assert_eq!(anon, 10);
        // Sign-up: the event carries both ids; the user joins the device's person, no remap needed.
        let user = g
            .resolve(P, &ids(Some(20), Some(10), Some(20)), &mut changes)
            .unwrap();
        assert_eq!(user, anon);
        assert_eq!(g.remap_count(), 0);
        // Later events with only the user id belong to the same person.
        assert_eq!(
            g.resolve(P, &ids(Some(20), None, Some(20)), &mut changes),
            Some(anon)
        );
    }

    #[test]
    fn second_device_of_known_user_is_remapped() {
        let mut g = IdentityGraph::default();
        let mut changes = Vec::new();
        let user = g
            .resolve(P, &ids(Some(20), Some(10), Some(20)), &mut changes)
            .unwrap();
        let phone = g
            .resolve(P, &ids(Some(30), Some(30), None), &mut changes)
            .unwrap();
        assert_ne!(user, phone);
        assert_eq!(
            g.resolve(P, &ids(Some(20), Some(30), Some(20)), &mut changes),
            Some(user)
        );
        assert_eq!(g.person_of(P, 30), Some(user));
        assert_eq!(g.remaps(P).get(&phone), Some(&user));
    }

    #[test]
    fn a_device_claimed_by_one_user_is_not_merged_into_another() {
        let mut g = IdentityGraph::default();
        let mut changes = Vec::new();
        let alice = g
            .resolve(P, &ids(None, Some(10), Some(20)), &mut changes)
            .unwrap();
        let bob = g
            .resolve(P, &ids(None, Some(10), Some(21)), &mut changes)
            .unwrap();
        assert_ne!(alice, bob);
        assert_eq!(g.person_of(P, 20), Some(alice));
        assert_eq!(g.remap_count(), 0);
    }

    #[test]
    fn original_identify_alias_and_merge() {
        let mut g = IdentityGraph::default();
        let mut changes = Vec::new();
        let anon = g
            .resolve(P, &ids(Some(1), None, None), &mut changes)
            .unwrap();
        let identify = IdentityOp::Identify {
            anon: Pseudonym(1),
            identified: Pseudonym(2),
        };
        let person = g
            .resolve_event(P, &ids(Some(2), None, None), Some(&identify), &mut changes)
            .unwrap();
        assert_eq!(person, anon);
        let alias = IdentityOp::Alias {
            alias: Pseudonym(3),
            original: Pseudonym(2),
        };
        g.resolve_event(P, &EventIdentity::default(), Some(&alias), &mut changes);
        assert_eq!(g.person_of(P, 3), Some(anon));

        let other = g
            .resolve(P, &ids(Some(9), None, None), &mut changes)
            .unwrap();
        let merge = IdentityOp::Merge {
            ids: vec![Pseudonym(2), Pseudonym(9)],
        };
        g.resolve_event(P, &EventIdentity::default(), Some(&merge), &mut changes);
        assert_eq!(g.person_of(P, 9), Some(anon));
        assert_eq!(g.remaps(P).get(&other), Some(&anon));
    }

    #[test]
    fn projects_are_separate() {
        let mut g = IdentityGraph::default();
        let mut changes = Vec::new();
        g.resolve(1, &ids(None, Some(10), Some(20)), &mut changes);
        assert_eq!(g.person_of(2, 20), None);
    }

    #[test]
    fn rollback_restores_and_replay_rebuilds() {
        let mut g = IdentityGraph::default();
        let mut changes = Vec::new();
        g.resolve(P, &ids(None, Some(10), Some(20)), &mut changes);
        g.commit();
        let committed = changes.clone();
        g.resolve(P, &ids(None, Some(30), None), &mut changes);
        g.resolve(P, &ids(None, Some(30), Some(20)), &mut changes);
        assert_eq!(g.person_of(P, 30), Some(20));
        g.rollback();
        assert_eq!(g.person_of(P, 30), None);
        assert_eq!(g.remap_count(), 0);

        let mut rebuilt = IdentityGraph::default();
        for change in &committed {
            rebuilt.apply(P, change);
        }
        assert_eq!(rebuilt.person_of(P, 10), g.person_of(P, 10));
        assert!(rebuilt.is_identified(P, 20));
    }
}
