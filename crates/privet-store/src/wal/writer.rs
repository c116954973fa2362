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

use super::{
    HEADER_LEN, MAGIC, MAX_PAYLOAD, TMP_SUFFIX, checksum, file_name, list_files, parse_file_name,
    read_first_lsn,
};

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
    /// Bytes appended since the last sync (the group being committed).
    group_bytes: u64,
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
    /// Rolling over to the next file.
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
        // A preparation the previous process renamed but may not have made durable: records must never go into
        // a file whose name a power cut could still undo.
        sync_dir(dir)?;
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
                let current = seq_of(&path);
                let spares = files
                    .into_iter()
                    .filter(|(seq, _)| Some(*seq) > current)
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
        let (file, capacity) = positioned(file, valid_len)?;
        let mut writer = WalWriter {
            dir: dir.to_path_buf(),
            file,
            file_bytes: valid_len,
            capacity,
            max_file_bytes,
            next_lsn,
            group_bytes: 0,
            spares,
            preparing: None,
            next_seq,
            last_sync: SyncTimes::default(),
        };
        writer.prepare_ahead();
        Ok(writer)
    }

    /// The LSN the next record will get.
    pub fn next_lsn(&self) -> u64 {
        self.next_lsn
    }

    /// Appends one record and returns its LSN. Not durable until [`WalWriter::sync`].
    pub fn append(&mut self, payload: &[u8]) -> std::io::Result<u64> {
        let lsn = self.next_lsn;
        // Replay reads no longer record (it would take it for garbage and cut it), so none is written.
        if payload.len() > MAX_PAYLOAD {
            return Err(std::io::Error::other(format!(
                "a write-ahead log record of {} bytes is over the limit of {MAX_PAYLOAD}",
                payload.len()
            )));
        }
        if self.group_bytes == 0 {
            self.last_sync = SyncTimes::default();
        }
        let mut header = [0u8; HEADER_LEN];
        header[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        header[4..8].copy_from_slice(&checksum(lsn, payload).to_le_bytes());
        header[8..16].copy_from_slice(&lsn.to_le_bytes());
        self.file.write_all(&header)?;
        self.file.write_all(payload)?;
        let bytes = (HEADER_LEN + payload.len()) as u64;
        self.file_bytes += bytes;
        self.group_bytes += bytes;
        self.next_lsn += 1;
        Ok(lsn)
    }

    /// Makes every appended record durable (one `fdatasync` for the whole group), then rolls to the next file if
    /// a group like this one would not fit in what is left of the current one.
    ///
    /// Rolling over never waits: when the next file is not prepared yet, or preparing it failed, the writer keeps
    /// appending to the current file (which then grows) and tries again at the next sync.
    pub fn sync(&mut self) -> std::io::Result<()> {
        let began = Instant::now();
        self.file.flush()?;
        let written = Instant::now();
        self.file.get_ref().sync_data()?;
        let synced = Instant::now();
        let group = std::mem::take(&mut self.group_bytes);
        let room = self.capacity.saturating_sub(self.file_bytes);
        if room <= group.max(self.capacity / 16) {
            self.roll();
        }
        self.last_sync = SyncTimes {
            write: written - began,
            fsync: synced - written,
            roll: synced.elapsed(),
        };
        Ok(())
    }

    /// Where the time of the last [`WalWriter::sync`] went (zero when the current group has not synced).
    pub fn last_sync(&self) -> SyncTimes {
        self.last_sync
    }

    /// Waits for the file being prepared, if any, so that tests roll over deterministically.
    #[cfg(test)]
    pub(crate) fn wait_for_next_file(&mut self) {
        if let Some(Ok(Ok(path))) = self.preparing.take().map(JoinHandle::join) {
            self.spares.push_back(path);
        }
        self.prepare_ahead();
    }

    /// Continues in the next prepared file if there is one, and starts preparing the one after it.
    fn roll(&mut self) {
        if self.spares.is_empty() && self.preparing.as_ref().is_some_and(JoinHandle::is_finished) {
            match self.preparing.take().map(JoinHandle::join) {
                Some(Ok(Ok(path))) => self.spares.push_back(path),
                Some(Ok(Err(e))) => {
                    tracing::warn!(error = %e, "cannot prepare the next write-ahead log file; the current one grows")
                }
                Some(Err(_)) => tracing::warn!("the write-ahead log's preparing thread panicked"),
                None => {}
            }
        }
        if let Some(path) = self.spares.front() {
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .and_then(|file| positioned(file, MAGIC.len() as u64));
            match opened {
                Ok((file, capacity)) => {
                    self.spares.pop_front();
                    self.file = file;
                    self.capacity = capacity;
                    self.file_bytes = MAGIC.len() as u64;
                }
                Err(e) => {
                    // Set aside (an empty file left between files with records is skipped by replay and deleted
                    // by truncation), so that another file is prepared.
                    self.spares.pop_front();
                    tracing::warn!(error = %e, "cannot open the next write-ahead log file; the current one grows")
                }
            }
        }
        self.prepare_ahead();
    }

    /// Starts preparing the next file in the background unless one is ready or on its way.
    fn prepare_ahead(&mut self) {
        if !self.spares.is_empty() || self.preparing.is_some() {
            return;
        }
        let (dir, seq) = (self.dir.clone(), self.next_seq);
        let size = next_size(self.capacity, self.max_file_bytes);
        self.next_seq += 1;
        match std::thread::Builder::new()
            .name("privet-wal-prepare".into())
            .spawn(move || prepare(&dir, seq, size))
        {
            Ok(handle) => self.preparing = Some(handle),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start preparing the next write-ahead log file")
            }
        }
    }
}

/// A log file opened for appending at `valid_len`, and its prepared size.
fn positioned(mut file: File, valid_len: u64) -> std::io::Result<(BufWriter<File>, u64)> {
    file.seek(SeekFrom::Start(valid_len))?;
    let capacity = file.metadata()?.len().max(valid_len);
    Ok((BufWriter::with_capacity(1 << 20, file), capacity))
}

/// The sequence number in a log file's name.
fn seq_of(path: &Path) -> Option<u64> {
    path.file_name()?.to_str().and_then(parse_file_name)
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
/// its final name, so that a file with a log name is always complete. On failure nothing is left behind.
fn prepare(dir: &Path, seq: u64, size: u64) -> std::io::Result<PathBuf> {
    let path = dir.join(file_name(seq));
    let tmp = dir.join(format!("{}{TMP_SUFFIX}", file_name(seq)));
    let started = Instant::now();
    let written = write_zeros(&tmp, size).and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = sync_dir(dir) {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    // With the merges' and flushes' times, this tells what else wrote when a group commit was slow.
    tracing::debug!(
        seq,
        bytes = size,
        ms = started.elapsed().as_millis() as u64,
        "prepared a write-ahead log file"
    );
    Ok(path)
}

/// Writes the magic and zeros up to `size` bytes to a new file at `path`, synced.
fn write_zeros(path: &Path, size: u64) -> std::io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(path)?;
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
    Ok(())
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
    let mut chunk = vec![0u8; 1 << 20];
    let (mut offset, mut end) = (valid_len, valid_len);
    file.seek(SeekFrom::Start(valid_len))?;
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        if let Some(last) = chunk[..n].iter().rposition(|&b| b != 0) {
            end = offset + last as u64 + 1;
        }
        offset += n as u64;
    }
    if end > valid_len {
        file.seek(SeekFrom::Start(valid_len))?;
        chunk.fill(0);
        let mut left = end - valid_len;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            file.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        file.sync_data()?;
    }
    Ok(())
}

/// Deletes the log files in `dir` that only hold records at or below `checkpoint`: a file goes when the first
/// record of the next file that has one follows the checkpoint by at most one. The file being written (the last
/// one with records) and the prepared files after it are never deleted; an empty file left between files with
/// records (a preparation that was not used) goes with the files before it.
pub fn truncate_dir(dir: &Path, checkpoint: u64) -> std::io::Result<usize> {
    let files = list_files(dir)?;
    let mut deleted = 0;
    // Files before `kept` are gone; each file's first record is read once, and only until a file must stay.
    let mut kept = 0;
    for next in 1..files.len() {
        let Some(next_first) = read_first_lsn(&files[next].1)? else {
            continue;
        };
        if next_first.saturating_sub(1) > checkpoint {
            break;
        }
        // Every file before `next` holds records at or below the checkpoint, or none.
        for (_, path) in &files[kept..next] {
            std::fs::remove_file(path)?;
            deleted += 1;
        }
        kept = next;
    }
    if deleted > 0 {
        sync_dir(dir)?;
    }
    Ok(deleted)
}
