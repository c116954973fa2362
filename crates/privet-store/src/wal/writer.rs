//! Appending to the log, with group commit: the caller appends any number of records and then syncs once.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{HEADER_LEN, MAGIC, checksum, file_name, list_files};

/// Appends records to the current log file and rolls to a new one past a size limit.
pub struct WalWriter {
    dir: PathBuf,
    file: BufWriter<File>,
    file_bytes: u64,
    max_file_bytes: u64,
    next_lsn: u64,
}

impl WalWriter {
    /// Opens the log for appending. `next_lsn` is the LSN after the last valid record found by replay, and
    /// `valid_len` the length of the valid prefix of the last file (anything after it is a torn write and is cut).
    pub fn open(
        dir: &Path,
        next_lsn: u64,
        last_file: Option<(PathBuf, u64)>,
        max_file_bytes: u64,
    ) -> std::io::Result<WalWriter> {
        std::fs::create_dir_all(dir)?;
        let (file, file_bytes) = match last_file {
            Some((path, valid_len)) => {
                let mut file = OpenOptions::new().read(true).write(true).open(&path)?;
                if valid_len < MAGIC.len() as u64 {
                    // The file was created but its header never made it to disk.
                    file.set_len(0)?;
                    file.write_all(MAGIC)?;
                    file.sync_all()?;
                } else if file.metadata()?.len() != valid_len {
                    // Cut the torn tail of an interrupted write.
                    file.set_len(valid_len)?;
                    file.sync_all()?;
                }
                let valid_len = valid_len.max(MAGIC.len() as u64);
                file.seek(SeekFrom::Start(valid_len))?;
                (file, valid_len)
            }
            None => (create_file(dir, next_lsn)?, MAGIC.len() as u64),
        };
        Ok(WalWriter {
            dir: dir.to_path_buf(),
            file: BufWriter::with_capacity(1 << 20, file),
            file_bytes,
            max_file_bytes,
            next_lsn,
        })
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

    /// Makes every appended record durable (one `fdatasync` for the whole group), then rolls to a new file if
    /// this one is full.
    pub fn sync(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_data()?;
        if self.file_bytes >= self.max_file_bytes {
            let file = create_file(&self.dir, self.next_lsn)?;
            self.file = BufWriter::with_capacity(1 << 20, file);
            self.file_bytes = MAGIC.len() as u64;
        }
        Ok(())
    }

    /// Deletes log files whose records all have an LSN at or below `checkpoint`. Returns how many were deleted.
    pub fn truncate(&self, checkpoint: u64) -> std::io::Result<usize> {
        truncate_dir(&self.dir, checkpoint)
    }
}

/// Deletes the log files in `dir` that only hold records at or below `checkpoint` (never the newest file).
pub fn truncate_dir(dir: &Path, checkpoint: u64) -> std::io::Result<usize> {
    let files = list_files(dir)?;
    let mut deleted = 0;
    for pair in files.windows(2) {
        let (_, path) = &pair[0];
        let (next_first, _) = pair[1];
        if next_first.saturating_sub(1) <= checkpoint {
            std::fs::remove_file(path)?;
            deleted += 1;
        } else {
            break;
        }
    }
    if deleted > 0 {
        sync_dir(dir)?;
    }
    Ok(deleted)
}

fn create_file(dir: &Path, first_lsn: u64) -> std::io::Result<File> {
    let path = dir.join(file_name(first_lsn));
    let mut file = OpenOptions::new()
        .create_new(true)
        .read(true)
        .write(true)
        .open(&path)?;
    file.write_all(MAGIC)?;
    file.sync_all()?;
    sync_dir(dir)?;
    Ok(file)
}

/// Makes a directory's entries (created, renamed or deleted files) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}
