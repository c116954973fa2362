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

/// How replay treats the end of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayMode {
    /// Opening the store, which no one else writes: records after a torn tail, or missing between two files,
    /// are corruption in the middle of the log and an error.
    Recover,
    /// Reading a log a running server may be writing (`privet debug wal`, read-only opens): the files change
    /// while they are read, so replay stops at the first end it finds and returns that consistent prefix.
    Live,
}

/// Reads every valid record with an LSN above `after` and hands it to `apply`, in order.
///
/// A short, corrupt or all-zero record header ends a file: it can only be the unused rest of the file, or the
/// unacknowledged tail of a write that a crash interrupted, because nothing is acknowledged before its record
/// and everything before it is synced. Records continue in the next file that has any, with the next LSN; empty
/// files (prepared and not used) are skipped.
pub fn replay(
    dir: &Path,
    after: u64,
    first_lsn_if_empty: u64,
    mode: ReplayMode,
    mut apply: impl FnMut(u64, WalEntry) -> Result<(), String>,
) -> Result<ReplayStats, String> {
    let files = list_files(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut stats = ReplayStats::default();
    // A file whose records end in a torn tail: only files without records may follow it.
    let mut torn_in: Option<PathBuf> = None;
    let count = files.len();
    for (index, (_, path)) in files.into_iter().enumerate() {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            // A live log loses its oldest files to truncation as it is read: before any record, skip them;
            // after, what was read is the prefix.
            Err(e) if mode == ReplayMode::Live && e.kind() == std::io::ErrorKind::NotFound => {
                if stats.records == 0 {
                    continue;
                }
                return Ok(finish(stats, first_lsn_if_empty));
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            if index + 1 == count && torn_in.is_none() {
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
            if checksum(lsn, payload) != crc {
                break;
            }
            if records == 0 && stats.records > 0 && (lsn != stats.next_lsn || torn_in.is_some()) {
                // Records go on after the log ended (a torn tail), after a gap, or from an earlier LSN.
                match mode {
                    ReplayMode::Live => return Ok(finish(stats, first_lsn_if_empty)),
                    ReplayMode::Recover => {
                        let end = torn_in.as_deref().unwrap_or(&path);
                        let problem = if torn_in.is_some() {
                            "records follow a torn write".to_string()
                        } else if lsn > stats.next_lsn {
                            format!("records {} to {} are missing", stats.next_lsn, lsn - 1)
                        } else {
                            format!(
                                "record {lsn} comes again after record {}",
                                stats.next_lsn - 1
                            )
                        };
                        return Err(corrupt(end, &problem));
                    }
                }
            }
            if lsn < stats.next_lsn {
                // Within a file, an earlier LSN is a leftover, not a record: the file ends here.
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
            if let Some(end) = torn_in {
                // Only when recovering: a live reader stopped at the torn tail.
                return Err(corrupt(&end, "data follows a torn write"));
            }
            stats.torn_bytes += torn as u64;
            if torn > 0 {
                if mode == ReplayMode::Live {
                    // A write in progress, most likely.
                    stats.last_file = Some((path, offset as u64));
                    return Ok(finish(stats, first_lsn_if_empty));
                }
                torn_in = Some(path.clone());
            }
            stats.last_file = Some((path, offset as u64));
        } else {
            if mode == ReplayMode::Live {
                // The writer may be filling this file while later ones are read: stop at a consistent prefix.
                return Ok(finish(stats, first_lsn_if_empty));
            }
            if stats.last_file.is_none() {
                // No records yet: the writer starts in the first prepared file.
                stats.last_file = Some((path, offset as u64));
            }
        }
    }
    Ok(finish(stats, first_lsn_if_empty))
}

/// The error for records that go on after the log ended in `end`.
fn corrupt(end: &Path, problem: &str) -> String {
    format!(
        "{} is corrupt in the middle of the log ({problem}); restore the directory from a backup, or move the \
         files from this one on away to accept the loss",
        end.display()
    )
}

fn finish(mut stats: ReplayStats, first_lsn_if_empty: u64) -> ReplayStats {
    // Never hand out an LSN at or below a checkpoint, even when the log files are gone.
    stats.next_lsn = stats.next_lsn.max(first_lsn_if_empty);
    stats
}
