//! `privet audit verify`: walks the chain and says exactly where it breaks.

use std::path::Path;

use privet_vault::crypto::Key;
use rusqlite::Connection;
use serde::Serialize;

use crate::Result;
use crate::chain::{self, GENESIS};

/// One thing wrong with the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The entry's content does not match its seal: it was edited (or sealed with another key).
    Edited { seq: i64 },
    /// The entry does not link to the one before it: entries were deleted, inserted or reordered here.
    Broken { seq: i64 },
    /// Sequence numbers jump: entries between were deleted.
    Missing { after: i64, next: i64 },
    /// The head file names a later entry than the log holds: entries were cut off the end.
    Truncated { head: i64, last: i64 },
    /// The head file names an entry whose hash is not the one in the log.
    HeadMismatch { seq: i64 },
    /// The head file was edited, or sealed with another key.
    HeadForged,
    /// The head file is missing although the log has entries.
    HeadMissing,
    /// The head kept elsewhere (`--head`) is not in the log as given: history before it was rewritten.
    ExpectedHeadMismatch { seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Edited { seq } => {
                write!(f, "entry {seq} was edited (its seal does not match)")
            }
            Problem::Broken { seq } => write!(
                f,
                "entry {seq} does not follow the entry before it (entries deleted, inserted or reordered)"
            ),
            Problem::Missing { after, next } => {
                write!(f, "entries {}..{} are missing", after + 1, next - 1)
            }
            Problem::Truncated { head, last } => write!(
                f,
                "the head file names entry {head} but the log ends at {last}: entries were removed from the end"
            ),
            Problem::HeadMismatch { seq } => {
                write!(
                    f,
                    "the head file's hash for entry {seq} differs from the log's"
                )
            }
            Problem::HeadForged => {
                f.write_str("the head file was edited (its seal does not match)")
            }
            Problem::HeadMissing => f.write_str("the head file is missing"),
            Problem::ExpectedHeadMismatch { seq } => write!(
                f,
                "entry {seq} is not the one recorded elsewhere: the log was rewritten or rolled back"
            ),
        }
    }
}

/// The result of a verification.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub entries: i64,
    /// The last entry, as `SEQ:HASH`.
    pub head: Option<String>,
    pub problems: Vec<Problem>,
    /// Entries appended after the head file was last moved (a writer stopped between the two); not tampering.
    pub unanchored: i64,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

pub fn verify(
    conn: &Connection,
    dir: &Path,
    key: &Key,
    expected: Option<(i64, String)>,
) -> Result<Verification> {
    let mut problems = Vec::new();
    let mut count = 0;
    let mut prev_seq = 0;
    let mut prev_hash = GENESIS.to_string();
    let mut expected_seen = false;
    chain::all(conn, |e| {
        count += 1;
        if e.seq != prev_seq + 1 {
            problems.push(Problem::Missing {
                after: prev_seq,
                next: e.seq,
            });
        }
        if e.seal(key) != e.hash {
            problems.push(Problem::Edited { seq: e.seq });
        }
        if e.prev != prev_hash && e.seq == prev_seq + 1 {
            problems.push(Problem::Broken { seq: e.seq });
        }
        if let Some((seq, hash)) = &expected
            && e.seq == *seq
        {
            expected_seen = true;
            if &e.hash != hash {
                problems.push(Problem::ExpectedHeadMismatch { seq: *seq });
            }
        }
        prev_seq = e.seq;
        prev_hash = e.hash;
    })?;
    if let Some((seq, _)) = &expected
        && !expected_seen
    {
        problems.push(Problem::ExpectedHeadMismatch { seq: *seq });
    }
    let mut unanchored = 0;
    match chain::read_head(dir, key) {
        Err(()) => problems.push(Problem::HeadForged),
        Ok(None) if count > 0 => problems.push(Problem::HeadMissing),
        Ok(None) => {}
        Ok(Some((seq, hash))) => {
            if seq > prev_seq {
                problems.push(Problem::Truncated {
                    head: seq,
                    last: prev_seq,
                });
            } else {
                unanchored = prev_seq - seq;
                let stored: Option<String> = conn
                    .query_row("SELECT hash FROM entries WHERE seq = ?1", [seq], |r| {
                        r.get(0)
                    })
                    .ok();
                if stored.as_deref() != Some(hash.as_str()) {
                    problems.push(Problem::HeadMismatch { seq });
                }
            }
        }
    }
    Ok(Verification {
        entries: count,
        head: (count > 0).then(|| format!("{prev_seq}:{prev_hash}")),
        problems,
        unanchored,
    })
}
