//! The write-ahead log.
//!
//! Every accepted batch is appended here, and fsynced, before it is acknowledged. The log is a sequence of files
//! named by a sequence number (`wal/00000000000000000042.wal`; files of earlier versions are named after the LSN
//! of their first record, which sorts the same way). Each file starts with an 8-byte magic and holds framed
//! records, each with its sequence number (LSN):
//!
//! ```text
//! ┌──────────────┬──────────────┬──────────┬─────────────────────────────┐
//! │ len: u32 LE  │ crc32c: u32  │ lsn: u64 │ payload (len bytes)         │
//! └──────────────┴──────────────┴──────────┴─────────────────────────────┘
//! ```
//!
//! The checksum covers the LSN and the payload. The payload is a versioned [`WalEntry`] encoded with `postcard`.
//! Only already-minimised data ever reaches the log (invariant 1): events are [`EventRow`]s with pseudonyms, and
//! profile updates carry minimised JSON.
//!
//! Files are written in full with zeros before records are appended to them (see [`writer`]), so a file ends
//! with zeros after its last record; the next file may already exist, empty, prepared for use. A crash can leave
//! a torn record at the end of the last file with records: replay stops there and the writer overwrites the
//! tail with zeros. Files whose records are all covered by a durable checkpoint (flushed to segments and applied
//! to the metadata database) are deleted.

mod reader;
pub(crate) mod writer;

pub use reader::{ReplayMode, ReplayStats, replay};
pub use writer::{SyncTimes, WalWriter, truncate_dir};

use privet_model::{EventRow, ProfileOpKind};
use serde::{Deserialize, Serialize};

/// Magic bytes at the start of every log file.
pub const MAGIC: &[u8; 8] = b"PRVTWAL1";
/// Bytes of framing before each payload.
pub const HEADER_LEN: usize = 16;
/// Suffix of a file being prepared (renamed to its log name once complete).
pub const TMP_SUFFIX: &str = ".tmp";
/// Largest payload accepted when reading (a guard against reading garbage lengths).
pub const MAX_PAYLOAD: usize = 512 * 1024 * 1024;
/// Version byte in front of every encoded entry (1: rows without `sealed`, still read).
const ENTRY_VERSION: u8 = 2;

/// A change to the identity graph, derived by the writer when it resolved a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityChange {
    /// The id (a pseudonym) now belongs to the person.
    Link { id: i64, person: i64 },
    /// Every id of person `from` now belongs to person `to` (an identity merge).
    Remap { from: i64, to: i64 },
    /// The person has a known user id (it can no longer be merged into another user).
    Identified { person: i64 },
}

/// Whose profile a resolved update applies to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ResolvedTarget {
    Person(i64),
    Group { key: String, id: i64 },
}

/// A profile update after the writer resolved its target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResolvedProfileUpdate {
    pub target: ResolvedTarget,
    pub time_us: i64,
    pub ops: Vec<(ProfileOpKind, String)>,
}

/// One durable unit: everything a write batch changed, for one project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalEntry {
    pub project: i64,
    pub events: Vec<EventRow>,
    pub identity: Vec<IdentityChange>,
    pub profiles: Vec<ResolvedProfileUpdate>,
}

impl WalEntry {
    /// Whether the entry changes identity or profile state (what the metadata database holds besides segments).
    pub fn changes_state(&self) -> bool {
        !self.identity.is_empty() || !self.profiles.is_empty()
    }

    /// Encodes the entry (version byte + postcard).
    pub fn encode(&self) -> Vec<u8> {
        // Sized for the common case, so that encoding does not reallocate as it goes.
        let estimate = 16
            + self
                .events
                .iter()
                .map(|e| 192 + e.name.len() + e.properties.len())
                .sum::<usize>()
            + 256 * self.profiles.len();
        let mut out = Vec::with_capacity(estimate);
        out.push(ENTRY_VERSION);
        postcard::to_extend(self, out).expect("WAL entries always encode")
    }

    /// Decodes an entry written by [`WalEntry::encode`].
    pub fn decode(bytes: &[u8]) -> Result<WalEntry, String> {
        match bytes.split_first() {
            Some((&ENTRY_VERSION, rest)) => postcard::from_bytes(rest).map_err(|e| e.to_string()),
            Some((1, rest)) => postcard::from_bytes::<v1::Entry>(rest)
                .map(WalEntry::from)
                .map_err(|e| e.to_string()),
            Some((v, _)) => Err(format!("unknown WAL entry version {v}")),
            None => Err("empty WAL entry".into()),
        }
    }
}

/// Entries written by versions whose rows had no `sealed` field, so that a log left by a crash of an older
/// version is still replayed.
mod v1 {
    use privet_model::{Dimensions, EventRow};
    use serde::Deserialize;

    use super::{IdentityChange, ResolvedProfileUpdate, WalEntry};

    #[derive(Deserialize)]
    pub struct Entry {
        project: i64,
        events: Vec<Row>,
        identity: Vec<IdentityChange>,
        profiles: Vec<ResolvedProfileUpdate>,
    }

    #[derive(Deserialize)]
    struct Row {
        time_us: i64,
        name: String,
        insert_id: Option<String>,
        person_id: Option<i64>,
        device_id: Option<i64>,
        dims: Dimensions,
        properties: String,
        dedup_key: Option<u64>,
    }

    impl From<Entry> for WalEntry {
        fn from(e: Entry) -> WalEntry {
            let events = e
                .events
                .into_iter()
                .map(|r| EventRow {
                    time_us: r.time_us,
                    name: r.name,
                    insert_id: r.insert_id,
                    person_id: r.person_id,
                    device_id: r.device_id,
                    dims: r.dims,
                    properties: r.properties,
                    dedup_key: r.dedup_key,
                    sealed: None,
                })
                .collect();
            WalEntry {
                project: e.project,
                events,
                identity: e.identity,
                profiles: e.profiles,
            }
        }
    }
}

/// The file name of the log file with sequence number `seq`.
pub fn file_name(seq: u64) -> String {
    format!("{seq:020}.wal")
}

/// Parses a log file name back into its sequence number.
pub fn parse_file_name(name: &str) -> Option<u64> {
    name.strip_suffix(".wal")?.parse().ok()
}

/// Lists the log files in `dir`, in order.
pub fn list_files(dir: &std::path::Path) -> std::io::Result<Vec<(u64, std::path::PathBuf)>> {
    let mut files = Vec::new();
    if !dir.exists() {
        return Ok(files);
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(lsn) = entry.file_name().to_str().and_then(parse_file_name) {
            files.push((lsn, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// The LSN of the first record of a log file, or `None` when the file has no (complete, valid) record yet.
pub fn read_first_lsn(path: &std::path::Path) -> std::io::Result<Option<u64>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut head = [0u8; MAGIC.len() + HEADER_LEN];
    if file.read_exact(&mut head).is_err() || &head[..MAGIC.len()] != MAGIC {
        return Ok(None);
    }
    let Some((len, crc, lsn)) = parse_header(&head[MAGIC.len()..]) else {
        return Ok(None);
    };
    let mut payload = vec![0u8; len];
    if file.read_exact(&mut payload).is_err() || checksum(lsn, &payload) != crc {
        return Ok(None);
    }
    Ok(Some(lsn))
}

/// Reads a record header: payload length, checksum and LSN. `None` for an all-zero header (the unused rest of a
/// file) or a length beyond [`MAX_PAYLOAD`].
pub(crate) fn parse_header(header: &[u8]) -> Option<(usize, u32, u64)> {
    let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
    let lsn = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
    let unused = len == 0 && crc == 0 && lsn == 0;
    (!unused && len <= MAX_PAYLOAD).then_some((len, crc, lsn))
}

/// The CRC of a record's LSN and payload.
pub(crate) fn checksum(lsn: u64, payload: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&lsn.to_le_bytes());
    crc32c::crc32c_append(crc, payload)
}

#[cfg(test)]
mod tests;
