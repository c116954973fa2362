//! Reading the log back after a restart.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{HEADER_LEN, MAGIC, MAX_PAYLOAD, WalEntry, checksum, list_files};

/// What replay found.
#[derive(Debug, Default)]
pub struct ReplayStats {
    /// Records decoded (including those skipped because a checkpoint covered them).
    pub records: u64,
    /// The LSN after the last valid record (the writer continues from here).
    pub next_lsn: u64,
    /// The last file and the length of its valid prefix, for the writer to continue appending to.
    pub last_file: Option<(PathBuf, u64)>,
    /// Bytes of torn or corrupt data found at the end of the log (cut off by the writer).
    pub torn_bytes: u64,
}

/// Reads every valid record with an LSN above `after` and hands it to `apply`, in order.
///
/// A short or corrupt record ends the log: it can only be the unacknowledged tail of a write that a crash
/// interrupted, because nothing is acknowledged before its record and everything before it is synced.
pub fn replay(
    dir: &Path,
    after: u64,
    first_lsn_if_empty: u64,
    mut apply: impl FnMut(u64, WalEntry) -> Result<(), String>,
) -> Result<ReplayStats, String> {
    let files = list_files(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut stats = ReplayStats::default();
    let count = files.len();
    for (index, (first_lsn, path)) in files.into_iter().enumerate() {
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let is_last = index + 1 == count;
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            if is_last {
                // A crash while creating the file: start it again.
                stats.torn_bytes += bytes.len() as u64;
                stats.next_lsn = stats.next_lsn.max(first_lsn);
                stats.last_file = Some((path, 0));
                continue;
            }
            return Err(format!("{} is not a Privet WAL file", path.display()));
        }
        stats.next_lsn = stats.next_lsn.max(first_lsn);
        let mut offset = MAGIC.len();
        let mut reader = &bytes[offset..];
        loop {
            let mut header = [0u8; HEADER_LEN];
            if reader.read_exact(&mut header).is_err() {
                stats.torn_bytes += reader.len() as u64;
                break;
            }
            let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as usize;
            let crc = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
            let lsn = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
            let body_start = offset + HEADER_LEN;
            if len > MAX_PAYLOAD || body_start + len > bytes.len() {
                stats.torn_bytes += (bytes.len() - offset) as u64;
                break;
            }
            let payload = &bytes[body_start..body_start + len];
            if checksum(lsn, payload) != crc || lsn < stats.next_lsn {
                stats.torn_bytes += (bytes.len() - offset) as u64;
                break;
            }
            if lsn > after {
                let entry = WalEntry::decode(payload).map_err(|e| {
                    format!("record {lsn} in {} cannot be decoded: {e}", path.display())
                })?;
                apply(lsn, entry)?;
            }
            stats.records += 1;
            stats.next_lsn = lsn + 1;
            offset = body_start + len;
            reader = &bytes[offset..];
        }
        if stats.torn_bytes > 0 && !is_last {
            return Err(format!(
                "{} is corrupt in the middle of the log; restore it from a backup or move it away to accept the loss",
                path.display()
            ));
        }
        stats.last_file = Some((path, offset as u64));
    }
    // Never hand out an LSN at or below a checkpoint, even when the log files are gone.
    stats.next_lsn = stats.next_lsn.max(first_lsn_if_empty);
    Ok(stats)
}
