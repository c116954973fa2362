//! The audit log: appending, redaction, and detection of every kind of tampering.

use privet_vault::crypto::Key;
use rusqlite::Connection;

use super::*;

fn log() -> (tempfile::TempDir, Key, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let key = Key::random();
    let log = AuditLog::open(dir.path(), key.clone()).unwrap();
    for n in 0..5 {
        log.append(
            Record::new("user:1", "identity.reveal")
                .target(format!("person:{n}"))
                .project(1)
                .reason("ticket 42"),
        )
        .unwrap();
    }
    (dir, key, log)
}

/// Edits the database behind the log's back, as an attacker with file access would (triggers dropped first).
fn tamper(dir: &Path, sql: &str) {
    let conn = Connection::open(dir.join("audit").join("audit.sqlite")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn appends_chain_and_verifies() {
    let (_dir, _key, log) = log();
    let entries = log.entries(&Filter::default()).unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0].seq, 5, "newest first");
    assert_eq!(entries[4].prev, chain::GENESIS);
    assert_eq!(entries[0].prev, entries[1].hash);
    let v = log.verify(None).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(v.entries, 5);
    assert_eq!(v.head, log.head().unwrap());
    assert_eq!(log.count().unwrap(), 5);
}

#[test]
fn identifiers_in_free_text_are_redacted() {
    let (_dir, _key, log) = log();
    let e = log
        .append(
            Record::new("user:2", "person.erase")
                .reason("asked by alice.smith@example.com from 203.0.113.9, call +44 20 7946 0958")
                .detail(serde_json::json!({"note": "key sk-proj-abcdefghijklmnopqrstuvwx1234"})),
        )
        .unwrap();
    let reason = e.reason.unwrap();
    assert!(!reason.contains("alice"), "{reason}");
    assert!(!reason.contains("203.0.113.9"), "{reason}");
    assert!(!reason.contains("7946"), "{reason}");
    assert!(reason.contains("[email]"), "{reason}");
    assert!(!e.detail.to_string().contains("sk-proj"), "{}", e.detail);
    let stored = std::fs::read(log.dir().join("audit.sqlite")).unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains("alice.smith"));
}

#[test]
fn pseudonyms_in_targets_are_kept_even_when_they_look_like_card_numbers() {
    let (_dir, _key, log) = log();
    // 2452838392825419534 passes the Luhn check: in free text it would be a card number.
    let e = log
        .append(
            Record::new("user:2", "person.export")
                .target("person:2452838392825419534")
                .reason("card 2452838392825419534"),
        )
        .unwrap();
    assert_eq!(e.target.as_deref(), Some("person:2452838392825419534"));
    assert_eq!(e.reason.as_deref(), Some("card [card]"));
    // A target that is not one of Privet's references is scanned like free text.
    let e = log
        .append(Record::new("cli", "person.erase").target("person:alice.smith@example.com"))
        .unwrap();
    assert_eq!(e.target.as_deref(), Some("person:[email]"));
}

#[test]
fn the_database_refuses_updates_and_deletes() {
    let (dir, _key, _log) = log();
    let conn = Connection::open(dir.path().join("audit").join("audit.sqlite")).unwrap();
    let update = conn.execute("UPDATE entries SET reason = 'x' WHERE seq = 1", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(
        conn.execute("DELETE FROM entries WHERE seq = 1", [])
            .is_err()
    );
}

#[test]
fn detects_an_edited_entry() {
    let (dir, _key, log) = log();
    tamper(
        dir.path(),
        "UPDATE entries SET reason = 'nothing to see' WHERE seq = 3",
    );
    let v = log.verify(None).unwrap();
    assert_eq!(v.problems, vec![Problem::Edited { seq: 3 }]);
}

#[test]
fn detects_a_deleted_entry_in_the_middle() {
    let (dir, _key, log) = log();
    tamper(dir.path(), "DELETE FROM entries WHERE seq = 2");
    let v = log.verify(None).unwrap();
    assert!(
        v.problems.contains(&Problem::Missing { after: 1, next: 3 }),
        "{:?}",
        v.problems
    );
}

#[test]
fn detects_a_renumbered_deletion() {
    // Delete entry 2 and renumber the rest, so the sequence has no gap: the links still break.
    let (dir, _key, log) = log();
    tamper(
        dir.path(),
        "DELETE FROM entries WHERE seq = 2; UPDATE entries SET seq = seq - 1 WHERE seq > 2;",
    );
    let v = log.verify(None).unwrap();
    assert!(!v.ok());
    assert!(
        v.problems
            .iter()
            .any(|p| matches!(p, Problem::Broken { seq: 2 } | Problem::Edited { seq: 2 })),
        "{:?}",
        v.problems
    );
}

#[test]
fn detects_entries_cut_off_the_end() {
    let (dir, _key, log) = log();
    tamper(dir.path(), "DELETE FROM entries WHERE seq >= 4");
    let v = log.verify(None).unwrap();
    assert_eq!(v.problems, vec![Problem::Truncated { head: 5, last: 3 }]);
}

#[test]
fn detects_a_forged_or_missing_head() {
    let (dir, _key, log) = log();
    let head = dir.path().join("audit").join("head");
    std::fs::write(&head, "3:00:00\n").unwrap();
    assert_eq!(
        log.verify(None).unwrap().problems,
        vec![Problem::HeadForged]
    );
    std::fs::remove_file(&head).unwrap();
    assert_eq!(
        log.verify(None).unwrap().problems,
        vec![Problem::HeadMissing]
    );
}

#[test]
fn a_rewritten_chain_fails_without_the_key() {
    // An attacker rebuilds the whole log with their own key: every seal is wrong under the real one.
    let (dir, key, log) = log();
    drop(log);
    std::fs::remove_dir_all(dir.path().join("audit")).unwrap();
    let forged = AuditLog::open(dir.path(), Key::random()).unwrap();
    forged.append(Record::new("user:1", "sign_in")).unwrap();
    drop(forged);
    let real = AuditLog::open(dir.path(), key).unwrap();
    let v = real.verify(None).unwrap();
    assert!(
        v.problems.contains(&Problem::Edited { seq: 1 }),
        "{:?}",
        v.problems
    );
    assert!(
        v.problems.contains(&Problem::HeadForged),
        "{:?}",
        v.problems
    );
}

#[test]
fn an_external_head_detects_a_rollback() {
    let (_dir, _key, log) = log();
    let head = log.head().unwrap().unwrap();
    assert!(log.verify(Some(&head)).unwrap().ok());
    let wrong = format!("3:{}", "ab".repeat(32));
    assert_eq!(
        log.verify(Some(&wrong)).unwrap().problems,
        vec![Problem::ExpectedHeadMismatch { seq: 3 }]
    );
    assert!(matches!(
        log.verify(Some("nonsense")),
        Err(AuditError::BadHead(_))
    ));
}

#[test]
fn filters_and_pages() {
    let (_dir, _key, log) = log();
    log.append(Record::new("key:key_1", "sign_in").outcome(Outcome::Denied))
        .unwrap();
    let denied = log
        .entries(&Filter {
            outcome: Some(Outcome::Denied),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(denied.len(), 1);
    let reveals = log
        .entries(&Filter {
            action: Some("identity.".into()),
            before: Some(4),
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        reveals.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 2]
    );
}

#[test]
fn two_handles_extend_one_chain() {
    let (dir, key, log) = log();
    let other = AuditLog::open(dir.path(), key).unwrap();
    other.append(Record::new("cli", "key.create")).unwrap();
    log.append(Record::new("user:1", "sign_out")).unwrap();
    let v = log.verify(None).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(v.entries, 7);
}
