//! Reading the log back after a restart.

use std::path::{Path, PathBuf};

use super::{HEADER_LEN, MAGIC, WalEntry, checksum, list_files, parse_header};

/// What replay found.
#[derive(Debug, Default)]
pub struct ReplayStats {
    /// Records decoded (including those skipped because a checkpoint covered them).
    pub records: u64,
    /// The LSN after the last valid record (the writer continues from here).
    pub next_lsn: u64,
    /// The file for the writer to continue appending to (the last with records, else the first prepared one) and
    /// the length of its valid prefix.
    pub last_file: Option<(PathBuf, u64)>,
    /// Bytes of torn or corrupt data found at the end of the log (overwritten with zeros by the writer).
    pub torn_bytes: u64,
}

/// Reads every valid record with an LSN above `after` and hands it to `apply`, in order.
///
/// A short, corrupt or all-zero record header ends the log: it can only be the unused rest of the last file, or
/// the unacknowledged tail of a write that a crash interrupted, because nothing is acknowledged before its
/// record and everything before it is synced. Corrupt data followed by more records is an error.
pub fn replay(
    dir: &Path,
    after: u64,
    first_lsn_if_empty: u64,
    mut apply: impl FnMut(u64, WalEntry) -> Result<(), String>,
) -> Result<ReplayStats, String> {
    let files = list_files(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut stats = ReplayStats::default();
    // The first file that ends the log: one with a torn tail, or one without records (prepared for use). Only
    // files without records may follow it.
    let mut ended: Option<PathBuf> = None;
    let count = files.len();
    for (index, (_, path)) in files.into_iter().enumerate() {
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            if index + 1 == count && ended.is_none() {
                // A crash while an earlier version created the file in place: start it again.
                stats.torn_bytes += bytes.len() as u64;
                stats.last_file = Some((path, 0));
                continue;
            }
            return Err(format!("{} is not a Privet WAL file", path.display()));
        }
        let mut offset = MAGIC.len();
        let mut records = 0;
        while let Some((len, crc, lsn)) = bytes
            .get(offset..offset + HEADER_LEN)
            .and_then(parse_header)
        {
            let body = offset + HEADER_LEN;
            let Some(payload) = bytes.get(body..body + len) else {
                break;
            };
            if checksum(lsn, payload) != crc || lsn < stats.next_lsn {
                break;
            }
            if lsn > after {
                let entry = WalEntry::decode(payload).map_err(|e| {
                    format!("record {lsn} in {} cannot be decoded: {e}", path.display())
                })?;
                apply(lsn, entry)?;
            }
            records += 1;
            stats.records += 1;
            stats.next_lsn = lsn + 1;
            offset = body + len;
        }
        // What follows the last record is zeros, unless a crash interrupted a write there.
        let torn = bytes[offset..]
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |last| last + 1);
        if records > 0 || torn > 0 {
            if let Some(end) = &ended {
                return Err(format!(
                    "{} is corrupt in the middle of the log; restore it from a backup or move it away to accept the loss",
                    end.display()
                ));
            }
            stats.torn_bytes += torn as u64;
            if torn > 0 {
                ended = Some(path.clone());
            }
            stats.last_file = Some((path, offset as u64));
        } else {
            // A prepared file: the writer continues in the last file with records, or in the first prepared one.
            if stats.last_file.is_none() {
                stats.last_file = Some((path.clone(), offset as u64));
            }
            ended.get_or_insert(path);
        }
    }
    // Never hand out an LSN at or below a checkpoint, even when the log files are gone.
    stats.next_lsn = stats.next_lsn.max(first_lsn_if_empty);
    Ok(stats)
}
