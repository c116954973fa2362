//! Tests of the log: round trips, torn tails, corruption and truncation.

use std::io::Write;

use privet_model::{Dimensions, EventRow};

use super::*;

fn entry(n: usize) -> WalEntry {
    WalEntry {
        project: 1,
        events: (0..n)
            .map(|i| EventRow {
                time_us: 1_700_000_000_000_000 + i as i64,
                name: format!("event {i}"),
                insert_id: Some(format!("id{i}")),
                person_id: Some(i as i64),
                device_id: None,
                dims: Dimensions::default(),
                properties: "{\"plan\":\"pro\"}".into(),
                dedup_key: Some(i as u64),
                sealed: (i % 2 == 1).then(|| vec![i as u8; 40]),
            })
            .collect(),
        identity: vec![IdentityChange::Link { id: 1, person: 1 }],
        profiles: vec![],
    }
}

fn read_all(dir: &std::path::Path, after: u64) -> (Vec<(u64, WalEntry)>, ReplayStats) {
    let mut seen = Vec::new();
    let stats = replay(dir, after, 1, |lsn, e| {
        seen.push((lsn, e));
        Ok(())
    })
    .unwrap();
    (seen, stats)
}

#[test]
fn entries_of_the_first_version_are_still_read() {
    // A version-1 row: everything but `sealed`, in the same order.
    #[derive(serde::Serialize)]
    struct Row<'a>(
        i64,
        &'a str,
        Option<&'a str>,
        Option<i64>,
        Option<i64>,
        &'a Dimensions,
        &'a str,
        Option<u64>,
    );
    let now = entry(3);
    let rows: Vec<Row> = now
        .events
        .iter()
        .map(|r| {
            Row(
                r.time_us,
                &r.name,
                r.insert_id.as_deref(),
                r.person_id,
                r.device_id,
                &r.dims,
                &r.properties,
                r.dedup_key,
            )
        })
        .collect();
    let mut bytes = vec![1u8];
    bytes.extend(
        postcard::to_allocvec(&(now.project, &rows, &now.identity, &now.profiles)).unwrap(),
    );
    let old = WalEntry::decode(&bytes).unwrap();
    let mut expected = now.clone();
    expected.events.iter_mut().for_each(|r| r.sealed = None);
    assert_eq!(old, expected);
    assert_eq!(
        WalEntry::decode(&now.encode()).unwrap(),
        now,
        "sealed values round-trip"
    );
    assert!(WalEntry::decode(&[9, 0]).unwrap_err().contains("version 9"));
}

#[test]
fn round_trip_and_continue() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 1 << 20).unwrap();
    for n in 1..=3 {
        wal.append(&entry(n).encode()).unwrap();
    }
    wal.sync().unwrap();
    drop(wal);

    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2], (3, entry(3)));
    assert_eq!(stats.next_lsn, 4);
    assert_eq!(stats.torn_bytes, 0);

    let mut wal = WalWriter::open(dir.path(), stats.next_lsn, stats.last_file, 1 << 20).unwrap();
    assert_eq!(wal.append(&entry(1).encode()).unwrap(), 4);
    wal.sync().unwrap();
    let (seen, _) = read_all(dir.path(), 2);
    assert_eq!(seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![3, 4]);
}

#[test]
fn torn_tail_is_cut_and_log_continues() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 1 << 20).unwrap();
    wal.append(&entry(2).encode()).unwrap();
    wal.sync().unwrap();
    drop(wal);
    // Simulate a crash in the middle of writing a second record.
    let (_, path) = list_files(dir.path()).unwrap().pop().unwrap();
    let good_len = std::fs::metadata(&path).unwrap().len();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let payload = entry(5).encode();
    let mut header = vec![0u8; HEADER_LEN];
    header[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    header[4..8].copy_from_slice(&checksum(2, &payload).to_le_bytes());
    header[8..16].copy_from_slice(&2u64.to_le_bytes());
    file.write_all(&header).unwrap();
    file.write_all(&payload[..payload.len() / 2]).unwrap();
    drop(file);

    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.len(), 1);
    assert!(stats.torn_bytes > 0);
    assert_eq!(stats.last_file.as_ref().unwrap().1, good_len);

    let mut wal = WalWriter::open(dir.path(), stats.next_lsn, stats.last_file, 1 << 20).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
    wal.append(&entry(3).encode()).unwrap();
    wal.sync().unwrap();
    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1], (2, entry(3)));
    assert_eq!(stats.torn_bytes, 0);
}

#[test]
fn corrupt_tail_byte_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 1 << 20).unwrap();
    wal.append(&entry(1).encode()).unwrap();
    wal.append(&entry(2).encode()).unwrap();
    wal.sync().unwrap();
    drop(wal);
    let (_, path) = list_files(dir.path()).unwrap().pop().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(
        seen.len(),
        1,
        "the corrupt second record must not be applied"
    );
    assert!(stats.torn_bytes > 0);
}

#[test]
fn corruption_in_an_older_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 1).unwrap();
    for n in 1..=3 {
        wal.append(&entry(n).encode()).unwrap();
        wal.sync().unwrap(); // max size 1 byte: every sync rolls to a new file
    }
    drop(wal);
    let files = list_files(dir.path()).unwrap();
    assert_eq!(files.len(), 4);
    let mut bytes = std::fs::read(&files[0].1).unwrap();
    let mid = bytes.len() - 5;
    bytes[mid] ^= 0x55;
    std::fs::write(&files[0].1, bytes).unwrap();
    let err = replay(dir.path(), 0, 1, |_, _| Ok(())).unwrap_err();
    assert!(err.contains("corrupt"), "{err}");
}

#[test]
fn rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 1).unwrap();
    for n in 1..=4 {
        wal.append(&entry(n).encode()).unwrap();
        wal.sync().unwrap();
    }
    // Files start at LSN 1, 2, 3, 4 and 5 (empty).
    assert_eq!(list_files(dir.path()).unwrap().len(), 5);
    assert_eq!(wal.truncate(2).unwrap(), 2);
    let firsts: Vec<u64> = list_files(dir.path())
        .unwrap()
        .iter()
        .map(|(l, _)| *l)
        .collect();
    assert_eq!(firsts, vec![3, 4, 5]);
    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(stats.next_lsn, 5);
    // The newest file is never deleted, even when everything is checkpointed.
    assert_eq!(wal.truncate(100).unwrap(), 2);
    assert_eq!(list_files(dir.path()).unwrap().len(), 1);
}

#[test]
fn file_with_torn_magic_is_restarted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file_name(7)), b"PRV").unwrap();
    let (seen, stats) = read_all(dir.path(), 0);
    assert!(seen.is_empty());
    assert_eq!(stats.next_lsn, 7);
    let mut wal = WalWriter::open(dir.path(), stats.next_lsn, stats.last_file, 1 << 20).unwrap();
    assert_eq!(wal.append(&entry(1).encode()).unwrap(), 7);
    wal.sync().unwrap();
    let (seen, _) = read_all(dir.path(), 0);
    assert_eq!(seen.len(), 1);
}
