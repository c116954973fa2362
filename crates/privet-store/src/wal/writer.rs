//! Appending to the log, with group commit: the caller appends any number of records and then syncs once.
//!
//! Log files are written in full, as zeros, before the writer uses them (PostgreSQL does the same with its WAL
//! segments). Appending then overwrites blocks the file already has, so the `fdatasync` that makes a group
//! durable writes data only: the file's size and block map do not change, and the sync never waits for a
//! commit of the filesystem's journal (which on ext4 waits for other files' data, such as segments being
//! written). The next file is prepared by a background thread while the current one fills, and gets its final
//! name before it is needed, so rolling over is a switch of file handles, not a file creation.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::durable::{SyncingFile, sync_dir};

use super::{HEADER_LEN, MAGIC, TMP_SUFFIX, checksum, file_name, list_files, read_first_lsn};

/// The size of the first log file a writer creates; each next one doubles, up to the configured size, so that a
/// store that writes little never writes large files of zeros.
pub const FIRST_FILE_BYTES: u64 = 1 << 20;

/// Appends records to the current log file and rolls to the next one when it is nearly full.
pub struct WalWriter {
    dir: PathBuf,
    file: BufWriter<File>,
    /// Bytes of the current file in use (magic and records).
    file_bytes: u64,
    /// The current file's prepared size: appending beyond it still works but grows the file.
    capacity: u64,
    max_file_bytes: u64,
    next_lsn: u64,
    /// Prepared, empty files with their final names, in order.
    spares: VecDeque<PathBuf>,
    /// The file being prepared in the background.
    preparing: Option<JoinHandle<std::io::Result<PathBuf>>>,
    /// The name (sequence number) of the next file to prepare.
    next_seq: u64,
    /// Where the last sync's time went.
    last_sync: SyncTimes,
}

/// Where the time of one [`WalWriter::sync`] went, for the writer's slow-commit log line.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncTimes {
    /// Handing the buffered records to the kernel (`write`).
    pub write: Duration,
    /// `fdatasync`.
    pub fsync: Duration,
    /// Rolling over to the next file (waiting for it to be prepared, if it is not yet).
    pub roll: Duration,
}

impl WalWriter {
    /// Opens the log for appending. `next_lsn` is the LSN after the last valid record found by replay, and
    /// `last_file` the file to continue and the length of its valid prefix (anything after it is the torn tail of
    /// an interrupted write and is overwritten with zeros).
    pub fn open(
        dir: &Path,
        next_lsn: u64,
        last_file: Option<(PathBuf, u64)>,
        max_file_bytes: u64,
    ) -> std::io::Result<WalWriter> {
        std::fs::create_dir_all(dir)?;
        remove_unfinished(dir)?;
        let files = list_files(dir)?;
        let mut next_seq = files.last().map_or(1, |(seq, _)| seq + 1);
        let (file, valid_len, spares) = match last_file {
            Some((path, valid_len)) => {
                let mut file = OpenOptions::new().read(true).write(true).open(&path)?;
                let valid_len = if valid_len < MAGIC.len() as u64 {
                    // The file was created but its header never made it to disk.
                    file.set_len(0)?;
                    file.write_all(MAGIC)?;
                    file.sync_all()?;
                    MAGIC.len() as u64
                } else {
                    zero_torn_tail(&mut file, valid_len)?;
                    valid_len
                };
                // Files after the current one are prepared spares (replay found no records in them).
                let spares = files
                    .into_iter()
                    .filter(|(_, p)| *p > path)
                    .map(|(_, p)| p)
                    .collect();
                (file, valid_len, spares)
            }
            None => {
                let path = prepare(dir, next_seq, next_size(0, max_file_bytes))?;
                next_seq += 1;
                let file = OpenOptions::new().read(true).write(true).open(path)?;
                (file, MAGIC.len() as u64, VecDeque::new())
            }
        };
        let mut writer = WalWriter {
            dir: dir.to_path_buf(),
            file: BufWriter::with_capacity(1 << 20, file),
            file_bytes: 0,
            capacity: 0,
            max_file_bytes,
            next_lsn,
            spares,
            preparing: None,
            next_seq,
            last_sync: SyncTimes::default(),
        };
        writer.begin(valid_len)?;
        Ok(writer)
    }

    /// The LSN the next record will get.
    pub fn next_lsn(&self) -> u64 {
        self.next_lsn
    }

    /// Appends one record and returns its LSN. Not durable until [`WalWriter::sync`].
    pub fn append(&mut self, payload: &[u8]) -> std::io::Result<u64> {
        let lsn = self.next_lsn;
        let len = u32::try_from(payload.len())
            .map_err(|_| std::io::Error::other("WAL record larger than 4 GiB"))?;
        let mut header = [0u8; HEADER_LEN];
        header[0..4].copy_from_slice(&len.to_le_bytes());
        header[4..8].copy_from_slice(&checksum(lsn, payload).to_le_bytes());
        header[8..16].copy_from_slice(&lsn.to_le_bytes());
        self.file.write_all(&header)?;
        self.file.write_all(payload)?;
        self.file_bytes += (HEADER_LEN + payload.len()) as u64;
        self.next_lsn += 1;
        Ok(lsn)
    }

    /// Makes every appended record durable (one `fdatasync` for the whole group), then rolls to the next file if
    /// this one is nearly full.
    ///
    /// A failure to roll over is not a failure of the sync (the records are durable): the writer keeps appending
    /// to the current file, which grows, and tries again at the next sync.
    pub fn sync(&mut self) -> std::io::Result<()> {
        let began = Instant::now();
        self.file.flush()?;
        let written = Instant::now();
        self.file.get_ref().sync_data()?;
        let synced = Instant::now();
        if self.file_bytes >= self.capacity - self.capacity / 16 {
            if let Err(e) = self.roll() {
                tracing::warn!(error = %e, "cannot start the next write-ahead log file; the current one grows");
            }
        }
        self.last_sync = SyncTimes {
            write: written - began,
            fsync: synced - written,
            roll: synced.elapsed(),
        };
        Ok(())
    }

    /// Where the time of the last [`WalWriter::sync`] went.
    pub fn last_sync(&self) -> SyncTimes {
        self.last_sync
    }

    /// Deletes log files whose records all have an LSN at or below `checkpoint`. Returns how many were deleted.
    pub fn truncate(&self, checkpoint: u64) -> std::io::Result<usize> {
        truncate_dir(&self.dir, checkpoint)
    }

    /// Continues in the next prepared file, and starts preparing the one after it.
    fn roll(&mut self) -> std::io::Result<()> {
        let path = match self.spares.pop_front() {
            Some(path) => path,
            None => match self.preparing.take().map(JoinHandle::join) {
                Some(Ok(Ok(path))) => path,
                // The background preparation failed: try once more here, reporting the error if it fails again.
                _ => {
                    let size = next_size(self.capacity, self.max_file_bytes);
                    let path = prepare(&self.dir, self.next_seq, size)?;
                    self.next_seq += 1;
                    path
                }
            },
        };
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        self.file = BufWriter::with_capacity(1 << 20, file);
        self.begin(MAGIC.len() as u64)
    }

    /// Positions the (new) current file at `valid_len`, and makes sure the next file is being prepared.
    fn begin(&mut self, valid_len: u64) -> std::io::Result<()> {
        let file = self.file.get_mut();
        file.seek(SeekFrom::Start(valid_len))?;
        self.capacity = file.metadata()?.len().max(valid_len);
        self.file_bytes = valid_len;
        if self.spares.is_empty() && self.preparing.is_none() {
            let (dir, seq) = (self.dir.clone(), self.next_seq);
            let size = next_size(self.capacity, self.max_file_bytes);
            self.next_seq += 1;
            self.preparing = Some(
                std::thread::Builder::new()
                    .name("privet-wal-prepare".into())
                    .spawn(move || prepare(&dir, seq, size))?,
            );
        }
        Ok(())
    }
}

/// The size to prepare the file after one of `current` bytes: double, between [`FIRST_FILE_BYTES`] and the
/// configured size `max` (never less than the magic).
fn next_size(current: u64, max: u64) -> u64 {
    current
        .saturating_mul(2)
        .max(FIRST_FILE_BYTES)
        .min(max)
        .max(MAGIC.len() as u64)
}

impl Drop for WalWriter {
    /// Waits for a preparation in progress, so that a store reopened in the same process never races it.
    fn drop(&mut self) {
        if let Some(preparing) = self.preparing.take() {
            let _ = preparing.join();
        }
    }
}

/// Writes a log file of `size` bytes (the magic, then zeros) under a temporary name, syncs it, and renames it to
/// its final name, so that a file with a log name is always complete.
fn prepare(dir: &Path, seq: u64, size: u64) -> std::io::Result<PathBuf> {
    let path = dir.join(file_name(seq));
    let tmp = dir.join(format!("{}{TMP_SUFFIX}", file_name(seq)));
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)?;
    // Synced as it goes, so that the log's own syncs never queue behind these zeros.
    let mut file = SyncingFile::new(file);
    file.write_all(MAGIC)?;
    let zeros = vec![0u8; 1 << 20];
    let mut written = MAGIC.len() as u64;
    while written < size {
        let n = (size - written).min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        written += n as u64;
    }
    file.finish()?;
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

/// Removes files a crash left half prepared.
fn remove_unfinished(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(TMP_SUFFIX) {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Overwrites with zeros whatever follows the valid records of `file` (a write a crash interrupted), so that no
/// leftover of it can be read as a record once new records are written over part of it.
fn zero_torn_tail(file: &mut File, valid_len: u64) -> std::io::Result<()> {
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(valid_len))?;
    file.read_to_end(&mut tail)?;
    if let Some(last) = tail.iter().rposition(|&b| b != 0) {
        file.seek(SeekFrom::Start(valid_len))?;
        file.write_all(&vec![0u8; last + 1])?;
        file.sync_data()?;
    }
    Ok(())
}

/// Deletes the log files in `dir` that only hold records at or below `checkpoint`: a file goes when the next
/// file's first record follows the checkpoint by at most one. The file being written (the last one with records)
/// and the prepared files after it are never deleted.
pub fn truncate_dir(dir: &Path, checkpoint: u64) -> std::io::Result<usize> {
    let files = list_files(dir)?;
    let mut deleted = 0;
    for pair in files.windows(2) {
        let (_, path) = &pair[0];
        match read_first_lsn(&pair[1].1)? {
            Some(next_first) if next_first.saturating_sub(1) <= checkpoint => {
                std::fs::remove_file(path)?;
                deleted += 1;
            }
            _ => break,
        }
    }
    if deleted > 0 {
        sync_dir(dir)?;
    }
    Ok(deleted)
}
