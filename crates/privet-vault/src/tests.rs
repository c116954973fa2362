//! Vault behaviour: stable random pseudonyms, sealed values, erasure, key rotation, durability across reopen.

use privet_model::{ProjectId, Pseudonym};

use super::*;

const P: ProjectId = ProjectId(1);

fn open(dir: &Path, master: &Key) -> Vault {
    Vault::open(dir, master.clone()).unwrap()
}

fn pseudonym(vault: &Vault, kind: IdKind<'_>, value: &str) -> Pseudonym {
    let mut ticket = Ticket::default();
    let p = vault.pseudonym(P, kind, value, &mut ticket).unwrap();
    vault.sync_blocking(ticket).unwrap();
    p
}

#[test]
fn pseudonyms_are_random_stable_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let master = Key::random();
    let (a, org) = {
        let vault = open(dir.path(), &master);
        let a = pseudonym(&vault, IdKind::Person, "ada@example.com");
        assert_eq!(pseudonym(&vault, IdKind::Person, "ada@example.com"), a);
        assert_ne!(pseudonym(&vault, IdKind::Person, "bob@example.com"), a);
        let org = pseudonym(&vault, IdKind::Group("org_id"), "ada@example.com");
        assert_ne!(org, a, "each kind has its own namespace");
        (a, org)
    };
    let vault = open(dir.path(), &master);
    assert_eq!(pseudonym(&vault, IdKind::Person, "ada@example.com"), a);
    assert_eq!(
        vault
            .find(P, IdKind::Group("org_id"), "ada@example.com")
            .unwrap(),
        Some(org)
    );
    assert_eq!(
        vault.find(P, IdKind::Person, "eve@example.com").unwrap(),
        None
    );
    // Another vault gives the same value another pseudonym: not a function of the value.
    let other = tempfile::tempdir().unwrap();
    assert_ne!(
        pseudonym(
            &open(other.path(), &master),
            IdKind::Person,
            "ada@example.com"
        ),
        a
    );
}

#[test]
fn nothing_is_stored_in_clear_and_the_wrong_key_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let master = Key::random();
    let vault = open(dir.path(), &master);
    let p = pseudonym(&vault, IdKind::Person, "user-8812");
    let mut ticket = Ticket::default();
    vault
        .set_field(P, p, "$email", "Ada.Lovelace@example.com", &mut ticket)
        .unwrap();
    vault
        .set_field(P, p, "$name", "Ada Lovelace", &mut ticket)
        .unwrap();
    vault.sync_blocking(ticket).unwrap();
    drop(vault);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for needle in ["user-8812", "Lovelace", "example.com"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} found in clear"
            );
        }
    }
    assert!(matches!(
        Vault::open(dir.path(), Key::random()),
        Err(VaultError::WrongMasterKey)
    ));
    let vault = open(dir.path(), &master);
    let revealed = vault.reveal(p).unwrap().unwrap();
    assert_eq!(revealed.ids, vec!["user-8812"]);
    assert_eq!(
        revealed.attributes,
        vec![
            ("$email".to_string(), "Ada.Lovelace@example.com".to_string()),
            ("$name".to_string(), "Ada Lovelace".to_string())
        ]
    );
    assert_eq!(
        vault
            .find_by_field(P, FieldClass::Email, " ada.lovelace@EXAMPLE.com")
            .unwrap(),
        vec![p]
    );
    assert_eq!(
        vault
            .find_by_field(P, FieldClass::Name, "ada   lovelace")
            .unwrap(),
        vec![p]
    );
    let known = vault.known_values(p).unwrap();
    assert!(
        known.values().contains(&"Ada Lovelace".to_string())
            && known.values().contains(&"user-8812".to_string())
    );
}

#[test]
fn erasure_shreds_the_link_and_a_returning_id_is_a_new_person() {
    let dir = tempfile::tempdir().unwrap();
    let master = Key::random();
    let vault = open(dir.path(), &master);
    let p = pseudonym(&vault, IdKind::Person, "user-1");
    let mut ticket = Ticket::default();
    vault
        .set_field(P, p, "$email", "one@example.com", &mut ticket)
        .unwrap();
    vault.sync_blocking(ticket).unwrap();
    let erased = vault.erase(&[p], "art17").unwrap();
    assert_eq!(
        erased,
        Erased {
            subjects: 1,
            ids: 1,
            attributes: 1
        }
    );
    assert_eq!(vault.reveal(p).unwrap(), None);
    assert_eq!(vault.find(P, IdKind::Person, "user-1").unwrap(), None);
    assert!(
        vault
            .find_by_field(P, FieldClass::Email, "one@example.com")
            .unwrap()
            .is_empty()
    );
    assert_ne!(pseudonym(&vault, IdKind::Person, "user-1"), p);
    drop(vault);
    let vault = open(dir.path(), &master);
    assert_eq!(vault.reveal(p).unwrap(), None, "erasure is durable");
}

#[test]
fn master_key_rotation_rewraps_without_changing_pseudonyms() {
    let dir = tempfile::tempdir().unwrap();
    let old = Key::random();
    let p = pseudonym(&open(dir.path(), &old), IdKind::Person, "user-1");
    let new = Key::random();
    assert_eq!(Vault::rotate_master_key(dir.path(), &old, &new).unwrap(), 1);
    assert!(matches!(
        Vault::open(dir.path(), old),
        Err(VaultError::WrongMasterKey)
    ));
    let vault = open(dir.path(), &new);
    assert_eq!(vault.find(P, IdKind::Person, "user-1").unwrap(), Some(p));
    assert_eq!(vault.reveal(p).unwrap().unwrap().ids, vec!["user-1"]);
}

#[test]
fn withheld_values_are_sealed_per_project_and_published_values_are_looked_up() {
    use privet_model::withheld::{Dimension, Withheld};
    let dir = tempfile::tempdir().unwrap();
    let master = Key::random();
    let vault = open(dir.path(), &master);
    let withheld = Withheld {
        region: Some("Occitanie".into()),
        city: Some("Albi".into()),
        ..Default::default()
    };
    let sealed = vault.seal_withheld(1, &withheld);
    assert!(
        !sealed.windows(4).any(|w| w == b"Albi"),
        "the blob is encrypted"
    );
    assert_ne!(sealed, vault.seal_withheld(1, &withheld), "nonces differ");
    assert_eq!(vault.open_withheld(1, &sealed), Some(withheld.clone()));
    assert_eq!(
        vault.open_withheld(2, &sealed),
        None,
        "bound to its project"
    );
    drop(vault);
    // Another master key (another vault) cannot open it; the same one, reopened, can.
    let other = tempfile::tempdir().unwrap();
    assert_eq!(
        open(other.path(), &Key::random()).open_withheld(1, &sealed),
        None
    );
    let vault = open(dir.path(), &master);
    assert_eq!(vault.open_withheld(1, &sealed), Some(withheld));

    assert!(!vault.is_published(1, Dimension::City, "Albi|Occitanie|FR"));
    let before = vault.published_now();
    vault.publish(1, &[(Dimension::City, "Albi|Occitanie|FR".to_string())]);
    assert!(vault.is_published(1, Dimension::City, "Albi|Occitanie|FR"));
    assert!(!vault.is_published(2, Dimension::City, "Albi|Occitanie|FR"));
    assert!(!vault.is_published(1, Dimension::Region, "Albi|Occitanie|FR"));
    assert_eq!(vault.published().count(1, Dimension::City), 1);
    // A snapshot stays as it was taken; a later one has the new value, and the one after adds to it.
    assert!(!before.contains(1, Dimension::City, "Albi|Occitanie|FR"));
    let after = vault.published_now();
    assert!(after.contains(1, Dimension::City, "Albi|Occitanie|FR"));
    vault.publish(1, &[(Dimension::City, "Rodez|Occitanie|FR".to_string())]);
    assert!(!after.contains(1, Dimension::City, "Rodez|Occitanie|FR"));
    assert_eq!(vault.published().count(1, Dimension::City), 2);
}

#[test]
fn concurrent_first_sightings_agree() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open(dir.path(), &Key::random());
    let seen: Vec<Vec<Pseudonym>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..200)
                        .map(|i| pseudonym(&vault, IdKind::Person, &format!("user-{i}")))
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(vault.counts().unwrap().0, 200);
}

/// The scanner's searcher is built once per set of known values: a new field makes a new set.
#[test]
fn a_searcher_is_built_once_per_set_of_known_values() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open(dir.path(), &Key::random());
    let p = pseudonym(&vault, IdKind::Person, "user-6");
    let first = vault.known_values(p).unwrap();
    assert_eq!(*first.searcher(|values| values.len()), 1, "the id itself");
    let again = vault.known_values(p).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(*again.searcher(|_| 99usize), 1, "built once");
    let mut ticket = Ticket::default();
    vault.set_field(P, p, "$name", "Six", &mut ticket).unwrap();
    let changed = vault.known_values(p).unwrap();
    assert_eq!(changed.values(), ["user-6", "Six"]);
    assert_eq!(
        *changed.searcher(|values| values.len()),
        2,
        "a new set, a new searcher"
    );
    vault.sync_blocking(ticket).unwrap();
}

/// The sketch kept in the table is always the one of the values the vault holds: after a new field, after the
/// cache was emptied, and after erasure (nothing).
#[test]
fn the_sketch_follows_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let master = Key::random();
    let vault = open(dir.path(), &master);
    let p = pseudonym(&vault, IdKind::Person, "user-7");
    let sketch = |vault: &Vault| vault.known_sketch(p).unwrap();
    assert_eq!(sketch(&vault), vault.known_values(p).unwrap().sketch());
    assert_eq!(sketch(&vault).shortest, 6);
    let mut ticket = Ticket::default();
    vault
        .set_field(P, p, "$name", "Ada Lo", &mut ticket)
        .unwrap();
    vault.sync_blocking(ticket).unwrap();
    let after = sketch(&vault);
    assert_eq!(after, KnownSketch::of(&["user-7".into(), "Ada Lo".into()]));
    assert_eq!(after.shortest, 2, "the shortest word, \"Lo\"");
    // Read again from SQLite by a vault that starts with an empty cache.
    drop(vault);
    let vault = open(dir.path(), &master);
    assert_eq!(sketch(&vault), after);
    vault.erase(&[p], "test").unwrap();
    assert_eq!(sketch(&vault), KnownSketch::NOTHING);
}

#[test]
fn a_repeated_field_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open(dir.path(), &Key::random());
    let p = pseudonym(&vault, IdKind::Person, "user-5");
    let mut first = Ticket::default();
    vault
        .set_field(P, p, "$email", "five@example.com", &mut first)
        .unwrap();
    assert!(first > Ticket::default());
    let mut again = Ticket::default();
    vault
        .set_field(P, p, "$email", "five@example.com", &mut again)
        .unwrap();
    assert_eq!(again, Ticket::default(), "nothing new to write");
    let mut changed = Ticket::default();
    vault
        .set_field(P, p, "$email", "new@example.com", &mut changed)
        .unwrap();
    assert!(changed > first);
    vault.sync_blocking(changed).unwrap();
    assert_eq!(
        vault.reveal(p).unwrap().unwrap().attributes,
        vec![("$email".to_string(), "new@example.com".to_string())]
    );
}

#[test]
fn every_subject_of_a_project_is_revealed_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open(dir.path(), &Key::random());
    let mut ticket = Ticket::default();
    let mut expected = Vec::new();
    for i in 0..50 {
        let p = vault
            .pseudonym(P, IdKind::Person, &format!("user-{i}"), &mut ticket)
            .unwrap();
        if i % 2 == 0 {
            vault
                .set_field(P, p, "$email", &format!("u{i}@example.com"), &mut ticket)
                .unwrap();
            vault
                .set_field(P, p, "$name", &format!("User {i}"), &mut ticket)
                .unwrap();
        }
        expected.push(p.0);
    }
    let other = vault
        .pseudonym(ProjectId(2), IdKind::Person, "elsewhere", &mut ticket)
        .unwrap();
    vault.sync_blocking(ticket).unwrap();
    let mut seen = Vec::new();
    let n = vault
        .for_each_subject(P, |r| {
            let i: usize = r.ids[0].strip_prefix("user-").unwrap().parse().unwrap();
            if i.is_multiple_of(2) {
                assert_eq!(
                    r.attributes,
                    vec![
                        ("$email".to_string(), format!("u{i}@example.com")),
                        ("$name".to_string(), format!("User {i}")),
                    ]
                );
            } else {
                assert!(r.attributes.is_empty());
            }
            assert_eq!(r, vault.reveal(Pseudonym(r.pseudonym)).unwrap().unwrap());
            seen.push(r.pseudonym);
        })
        .unwrap();
    expected.sort();
    assert_eq!(n, 50);
    assert_eq!(seen, expected);
    assert!(!seen.contains(&other.0));
}

/// Tags are stored with subjects and hashed into their lookups: a changed spelling would orphan every mapping
/// of an existing vault.
#[test]
fn kind_tags_keep_their_stored_spelling() {
    assert_eq!(IdKind::Person.tag(), "p");
    assert_eq!(IdKind::Group("org_id").tag(), "g:org_id");
    assert_eq!(IdKind::Property("ticket").tag(), "v:ticket");
}

/// The hot-path cache is keyed by a hash of (project, kind, value): every part must count, and no shift of the
/// boundary between a group key and a value may make two identifiers one.
#[test]
fn recent_keys_separate_projects_kinds_and_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path(), Key::random()).unwrap();
    let keys = [
        vault.recent_key(ProjectId(7), &IdKind::Person, "user-1"),
        vault.recent_key(ProjectId(8), &IdKind::Person, "user-1"),
        vault.recent_key(ProjectId(7), &IdKind::Group("org_id"), "user-1"),
        vault.recent_key(ProjectId(7), &IdKind::Property("org_id"), "user-1"),
        vault.recent_key(ProjectId(7), &IdKind::Group("org_"), "iduser-1"),
        vault.recent_key(ProjectId(7), &IdKind::Person, "user-2"),
    ];
    let distinct: std::collections::HashSet<u128> = keys.iter().copied().collect();
    assert_eq!(distinct.len(), keys.len(), "{keys:?}");
    assert_eq!(
        keys[0],
        vault.recent_key(ProjectId(7), &IdKind::Person, "user-1")
    );
    // Randomly keyed: another vault (or process) hashes the same identifier differently.
    let other_dir = tempfile::tempdir().unwrap();
    let other = Vault::open(other_dir.path(), Key::random()).unwrap();
    assert_ne!(
        keys[0],
        other.recent_key(ProjectId(7), &IdKind::Person, "user-1")
    );
    // The cache holds each pseudonym under its identifier's key, and only there.
    let mut ticket = Ticket::default();
    let ada = vault
        .pseudonym(P, IdKind::Person, "ada@example.com", &mut ticket)
        .unwrap();
    let bob = vault
        .pseudonym(P, IdKind::Person, "bob@example.com", &mut ticket)
        .unwrap();
    assert_ne!(ada, bob);
    let cached = |value: &str| {
        vault
            .inner
            .state
            .lock()
            .recent
            .get(&vault.recent_key(P, &IdKind::Person, value))
            .copied()
    };
    assert_eq!(cached("ada@example.com"), Some(ada.0));
    assert_eq!(cached("bob@example.com"), Some(bob.0));
    assert_eq!(cached("eve@example.com"), None);
}

/// Emptying a full cache must not lose what is still queued for the writer: a subject created moments ago keeps
/// its data key (its fields are accepted) and its known values (the scanner still sees them). At 78 million demo
/// events the key cache filled, emptied, and a new person's fields were refused.
#[test]
fn full_caches_are_emptied_only_once_queued_writes_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { ids: 8, keys: 3 };
    let vault = Vault::open_with(dir.path(), Key::random(), limits).unwrap();
    // New subjects, enough to fill both per-subject caches before the writer has caught up.
    let crowd = |tag: &str, ticket: &mut Ticket| {
        for other in 0..4 {
            let value = format!("{tag}-{other}@example.com");
            let p = vault.pseudonym(P, IdKind::Person, &value, ticket).unwrap();
            vault.known_values(p).unwrap();
        }
    };
    for round in 0..200 {
        let mut ticket = Ticket::default();
        let email = format!("person{round}@example.com");
        let subject = vault
            .pseudonym(P, IdKind::Person, &email, &mut ticket)
            .unwrap();
        crowd(&format!("other{round}"), &mut ticket);
        vault
            .set_field(P, subject, "$email", &email, &mut ticket)
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        crowd(&format!("again{round}"), &mut ticket);
        let known = vault.known_values(subject).unwrap();
        assert!(
            known.values().iter().any(|v| v == &email),
            "round {round}: {:?}",
            known.values()
        );
        vault.sync_blocking(ticket).unwrap();
    }
}
