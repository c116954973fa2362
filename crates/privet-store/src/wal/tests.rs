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
    let stats = replay(dir, after, 1, ReplayMode::Recover, |lsn, e| {
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
    commit(&mut wal);
    drop(wal);

    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2], (3, entry(3)));
    assert_eq!(stats.next_lsn, 4);
    assert_eq!(stats.torn_bytes, 0);

    let mut wal = WalWriter::open(dir.path(), stats.next_lsn, stats.last_file, 1 << 20).unwrap();
    assert_eq!(wal.append(&entry(1).encode()).unwrap(), 4);
    commit(&mut wal);
    let (seen, _) = read_all(dir.path(), 2);
    assert_eq!(seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![3, 4]);
}

/// Syncs the group, once the next file is prepared (rolling over never waits for it otherwise).
fn commit(wal: &mut WalWriter) {
    wal.wait_for_next_file();
    wal.sync().unwrap();
}

/// Reopens the writer where replay left off (files of at most `max` bytes), commits `n` records one group each,
/// and closes it. Returns their LSNs.
fn reopen_and_commit(dir: &std::path::Path, stats: ReplayStats, max: u64, n: usize) -> Vec<u64> {
    let mut wal = WalWriter::open(dir, stats.next_lsn, stats.last_file, max).unwrap();
    (0..n)
        .map(|_| {
            let lsn = wal.append(&entry(1).encode()).unwrap();
            commit(&mut wal);
            lsn
        })
        .collect()
}

/// Writes a log file by hand: the magic, records for `lsns`, then `zeros` zero bytes.
fn raw_file(path: &std::path::Path, lsns: std::ops::Range<u64>, zeros: usize) {
    let mut bytes = MAGIC.to_vec();
    for lsn in lsns {
        let payload = entry(1).encode();
        bytes.extend((payload.len() as u32).to_le_bytes());
        bytes.extend(checksum(lsn, &payload).to_le_bytes());
        bytes.extend(lsn.to_le_bytes());
        bytes.extend(&payload);
    }
    bytes.resize(bytes.len() + zeros, 0);
    std::fs::write(path, bytes).unwrap();
}

/// Writes `bytes` at `offset` of the file at `path`, as a crash might leave them.
fn write_at(path: &std::path::Path, offset: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(offset)).unwrap();
    file.write_all(bytes).unwrap();
}

/// The log files in `dir` that hold at least one record.
fn files_with_records(dir: &std::path::Path) -> Vec<u64> {
    list_files(dir)
        .unwrap()
        .into_iter()
        .filter(|(_, p)| read_first_lsn(p).unwrap().is_some())
        .map(|(seq, _)| seq)
        .collect()
}

#[test]
fn torn_tail_is_zeroed_and_log_continues() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 1 << 20).unwrap();
    wal.append(&entry(2).encode()).unwrap();
    commit(&mut wal);
    drop(wal);
    let (_, stats) = read_all(dir.path(), 0);
    let (path, good_len) = stats.last_file.unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(
        size,
        writer::FIRST_FILE_BYTES,
        "the file was prepared in full"
    );
    // Simulate a crash in the middle of writing a second record: half of it reached the disk, and so did a
    // later page of the same write.
    let payload = entry(5).encode();
    let mut header = vec![0u8; HEADER_LEN];
    header[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    header[4..8].copy_from_slice(&checksum(2, &payload).to_le_bytes());
    header[8..16].copy_from_slice(&2u64.to_le_bytes());
    write_at(&path, good_len, &header);
    write_at(
        &path,
        good_len + HEADER_LEN as u64,
        &payload[..payload.len() / 2],
    );
    write_at(&path, good_len + 20_000, &[7; 100]);

    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.len(), 1);
    assert_eq!(stats.torn_bytes, 20_100);
    assert_eq!(stats.last_file.as_ref().unwrap().1, good_len);

    let mut wal = WalWriter::open(dir.path(), stats.next_lsn, stats.last_file, 1 << 20).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, size, "the file keeps its size");
    assert!(
        bytes[good_len as usize..].iter().all(|&b| b == 0),
        "the torn tail is zeros"
    );
    wal.append(&entry(3).encode()).unwrap();
    commit(&mut wal);
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
    commit(&mut wal);
    drop(wal);
    let (_, stats) = read_all(dir.path(), 0);
    let (path, end) = stats.last_file.unwrap();
    write_at(&path, end - 3, &[0xff]);
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
        commit(&mut wal); // max size 1 byte: every sync rolls to a new file
    }
    drop(wal);
    assert_eq!(files_with_records(dir.path()), vec![1, 2, 3]);
    let files = list_files(dir.path()).unwrap();
    let mut bytes = std::fs::read(&files[0].1).unwrap();
    let mid = bytes.len() - 5;
    bytes[mid] ^= 0x55;
    std::fs::write(&files[0].1, bytes).unwrap();
    let err = replay(dir.path(), 0, 1, ReplayMode::Recover, |_, _| Ok(())).unwrap_err();
    assert!(err.contains("corrupt"), "{err}");
}

#[test]
fn rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 1).unwrap();
    for n in 1..=4 {
        wal.append(&entry(n).encode()).unwrap();
        commit(&mut wal);
    }
    drop(wal);
    // Files 1 to 4 hold LSNs 1 to 4; file 5 is the current one, file 6 prepared, both empty.
    assert_eq!(files_with_records(dir.path()), vec![1, 2, 3, 4]);
    let seqs = || -> Vec<u64> {
        list_files(dir.path())
            .unwrap()
            .iter()
            .map(|(s, _)| *s)
            .collect()
    };
    assert_eq!(seqs(), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(truncate_dir(dir.path(), 2).unwrap(), 2);
    assert_eq!(seqs(), vec![3, 4, 5, 6]);
    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(stats.next_lsn, 5);
    // The last file with records is never deleted, even when everything is checkpointed, nor are the prepared
    // files after it.
    assert_eq!(truncate_dir(dir.path(), 100).unwrap(), 1);
    assert_eq!(seqs(), vec![4, 5, 6]);
    // The writer continues in file 4 (rolling over after its first sync: the file is full) into the prepared
    // files instead of creating new ones.
    let (_, stats) = read_all(dir.path(), 0);
    assert_eq!(
        stats.last_file.as_ref().unwrap().0,
        list_files(dir.path()).unwrap()[0].1
    );
    assert_eq!(reopen_and_commit(dir.path(), stats, 1, 2), vec![5, 6]);
    assert_eq!(files_with_records(dir.path()), vec![4, 5]);
    assert_eq!(seqs(), vec![4, 5, 6, 7]);
    let (seen, _) = read_all(dir.path(), 0);
    assert_eq!(
        seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
}

#[test]
fn files_are_prepared_ahead_and_appends_do_not_grow_them() {
    let dir = tempfile::tempdir().unwrap();
    // A half-prepared file left by a crash is removed.
    std::fs::write(
        dir.path().join(format!("{}{TMP_SUFFIX}", file_name(9))),
        b"PRVTWAL1",
    )
    .unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 4 << 20).unwrap();
    let mut record = entry(1);
    record.events[0].properties = "x".repeat(100_000);
    let record = record.encode();
    let size = |seq: u64| {
        std::fs::metadata(dir.path().join(file_name(seq)))
            .unwrap()
            .len()
    };
    let mut lsns = Vec::new();
    while files_with_records(dir.path()).len() < 3 {
        lsns.push(wal.append(&record).unwrap());
        commit(&mut wal);
    }
    drop(wal);
    // Each file is twice the size of the one before, up to the configured size, and never grew: it was rolled
    // over when nearly full.
    assert_eq!(size(1), 1 << 20);
    assert_eq!(size(2), 2 << 20);
    assert_eq!(size(3), 4 << 20);
    assert_eq!(size(4), 4 << 20);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        4,
        "four log files and no temporary one: {:?}",
        std::fs::read_dir(dir.path()).unwrap().collect::<Vec<_>>()
    );
    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(), lsns);
    assert_eq!(stats.torn_bytes, 0);
    // The prepared file is nothing but the magic and zeros.
    let spare = std::fs::read(dir.path().join(file_name(4))).unwrap();
    assert_eq!(&spare[..MAGIC.len()], MAGIC);
    assert!(spare[MAGIC.len()..].iter().all(|&b| b == 0));
}

#[test]
fn a_log_of_an_earlier_version_is_read_and_continued() {
    // Earlier versions named files after their first LSN and grew them as they went.
    let dir = tempfile::tempdir().unwrap();
    raw_file(&dir.path().join(file_name(42)), 42..45, 0);
    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(seen.len(), 3);
    assert_eq!(stats.next_lsn, 45);
    let mut wal = WalWriter::open(dir.path(), stats.next_lsn, stats.last_file, 1 << 20).unwrap();
    assert_eq!(wal.append(&entry(2).encode()).unwrap(), 45);
    commit(&mut wal);
    assert_eq!(wal.append(&entry(2).encode()).unwrap(), 46);
    commit(&mut wal);
    drop(wal);
    // The old file (full: it was never prepared) takes one more group and is rolled over; the next file
    // follows it.
    assert_eq!(files_with_records(dir.path()), vec![42, 43]);
    assert_eq!(
        read_first_lsn(&dir.path().join(file_name(43))).unwrap(),
        Some(46)
    );
    let (seen, _) = read_all(dir.path(), 0);
    assert_eq!(
        seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![42, 43, 44, 45, 46]
    );
    assert_eq!(truncate_dir(dir.path(), 44).unwrap(), 0);
    assert_eq!(truncate_dir(dir.path(), 45).unwrap(), 1);
    assert_eq!(files_with_records(dir.path()), vec![43]);
}

#[test]
fn file_with_torn_magic_is_restarted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file_name(7)), b"PRV").unwrap();
    let (seen, stats) = read_all(dir.path(), 0);
    assert!(seen.is_empty());
    assert_eq!(stats.next_lsn, 1);
    let mut wal = WalWriter::open(dir.path(), stats.next_lsn, stats.last_file, 1 << 20).unwrap();
    assert_eq!(wal.append(&entry(1).encode()).unwrap(), 1);
    commit(&mut wal);
    let (seen, _) = read_all(dir.path(), 0);
    assert_eq!(seen.len(), 1);
}

#[test]
fn an_unused_empty_file_between_files_with_records_is_skipped_and_deleted() {
    // A preparation that was renamed but not used (its directory sync failed, or the writer could not open it):
    // records go on in the file after it.
    let dir = tempfile::tempdir().unwrap();
    raw_file(&dir.path().join(file_name(1)), 1..3, 100);
    raw_file(&dir.path().join(file_name(2)), 0..0, 4096);
    raw_file(&dir.path().join(file_name(3)), 3..5, 100);
    raw_file(&dir.path().join(file_name(4)), 0..0, 4096);
    let (seen, stats) = read_all(dir.path(), 0);
    assert_eq!(
        seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        stats.last_file.as_ref().unwrap().0,
        dir.path().join(file_name(3))
    );
    assert_eq!(stats.torn_bytes, 0);
    // The writer continues in file 3, with file 4 as its next file.
    assert_eq!(reopen_and_commit(dir.path(), stats, 1, 2), vec![5, 6]);
    assert_eq!(files_with_records(dir.path()), vec![1, 3, 4]);
    // The empty file goes with the file before it once the checkpoint covers them.
    assert_eq!(truncate_dir(dir.path(), 1).unwrap(), 0);
    assert_eq!(truncate_dir(dir.path(), 2).unwrap(), 2);
    assert_eq!(files_with_records(dir.path()), vec![3, 4]);
    let (seen, _) = read_all(dir.path(), 0);
    assert_eq!(
        seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![3, 4, 5, 6]
    );
}

#[test]
fn missing_records_are_an_error_on_recovery_and_the_end_for_a_live_reader() {
    let dir = tempfile::tempdir().unwrap();
    raw_file(&dir.path().join(file_name(1)), 1..3, 100);
    raw_file(&dir.path().join(file_name(2)), 5..7, 100);
    let err = replay(dir.path(), 0, 1, ReplayMode::Recover, |_, _| Ok(())).unwrap_err();
    assert!(err.contains("records 3 to 4 are missing"), "{err}");
    let mut live = Vec::new();
    let stats = replay(dir.path(), 0, 1, ReplayMode::Live, |lsn, _| {
        live.push(lsn);
        Ok(())
    })
    .unwrap();
    assert_eq!(live, vec![1, 2]);
    assert_eq!(stats.next_lsn, 3);

    // A file that starts again at an earlier record (a stale or restored file): the same.
    raw_file(&dir.path().join(file_name(2)), 2..4, 100);
    let err = replay(dir.path(), 0, 1, ReplayMode::Recover, |_, _| Ok(())).unwrap_err();
    assert!(err.contains("record 2 comes again after record 2"), "{err}");

    // A torn tail followed by records: the same.
    raw_file(&dir.path().join(file_name(2)), 3..5, 100);
    write_at(
        &dir.path().join(file_name(1)),
        std::fs::metadata(dir.path().join(file_name(1)))
            .unwrap()
            .len()
            - 50,
        &[9; 10],
    );
    let err = replay(dir.path(), 0, 1, ReplayMode::Recover, |_, _| Ok(())).unwrap_err();
    assert!(err.contains("records follow a torn write"), "{err}");
    let mut live = Vec::new();
    replay(dir.path(), 0, 1, ReplayMode::Live, |lsn, _| {
        live.push(lsn);
        Ok(())
    })
    .unwrap();
    assert_eq!(live, vec![1, 2]);

    // A first file holding only a torn write, then records.
    raw_file(&dir.path().join(file_name(1)), 0..0, 100);
    write_at(&dir.path().join(file_name(1)), 20, &[9; 10]);
    let err = replay(dir.path(), 0, 1, ReplayMode::Recover, |_, _| Ok(())).unwrap_err();
    assert!(err.contains("data follows a torn write"), "{err}");
    let stats = replay(dir.path(), 0, 1, ReplayMode::Live, |_, _| Ok(())).unwrap();
    assert_eq!(stats.records, 0);
}

#[test]
fn a_live_reader_sees_a_consistent_prefix_while_the_writer_rolls_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalWriter::open(dir.path(), 1, None, 1).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (dir, stop) = (dir.path().to_path_buf(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut lsns = Vec::new();
                replay(&dir, 0, 1, ReplayMode::Live, |lsn, _| {
                    lsns.push(lsn);
                    Ok(())
                })
                .unwrap();
                // Always 1, 2, 3, … with nothing missing.
                assert!(
                    lsns.iter().enumerate().all(|(i, l)| *l == i as u64 + 1),
                    "{lsns:?}"
                );
                reads += 1;
            }
            reads
        })
    };
    for _ in 0..200 {
        wal.append(&entry(2).encode()).unwrap();
        wal.sync().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}
