//! Making files durable without stalling the write-ahead log.
//!
//! Acknowledgements wait for the log's `fdatasync`, and a device flush waits for every write queued before it.
//! A background writer (a flush, a merge, a log file being prepared) that leaves hundreds of megabytes in the
//! page cache for one fsync at the end makes the log's next fsync wait 100–200 ms behind it (seen in the
//! ingestion benchmark's slow-commit logs; `bench/fsync.py` shows it on its own). [`SyncingFile`] syncs every
//! [`SYNC_STEP`] bytes instead, so no more than that is ever queued ahead of the log.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// How much a background writer may leave unsynced. 8 MB steps kept the log's p99 fsync near 20 ms while a large
/// file was written; 2 MB steps near 8 ms (`bench/fsync.py`).
pub const SYNC_STEP: usize = 2 << 20;

/// A file that syncs its data every [`SYNC_STEP`] bytes written to it.
pub struct SyncingFile {
    file: File,
    unsynced: usize,
    synced: u64,
}

impl SyncingFile {
    pub fn new(file: File) -> SyncingFile {
        SyncingFile {
            file,
            unsynced: 0,
            synced: 0,
        }
    }

    /// Bytes synced on the way so far.
    pub fn synced(&self) -> u64 {
        self.synced
    }

    /// Syncs what is left (data and metadata) and returns the file.
    pub fn finish(self) -> std::io::Result<File> {
        self.file.sync_all()?;
        Ok(self.file)
    }
}

impl Write for SyncingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n;
        if self.unsynced >= SYNC_STEP {
            self.file.sync_data()?;
            self.synced += self.unsynced as u64;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Makes a directory's entries (created, renamed or deleted files) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}
