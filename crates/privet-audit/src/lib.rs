//! The audit log: an append-only, tamper-evident record of who did what in Privet, when, and why.
//!
//! Recorded: sign-ins and their failures, sign-outs, second-factor changes, user and key management, identity
//! reveals with their reasons, exports, erasures and other data-subject requests, and incident actions. Every
//! part of Privet that acts for someone (the server, the CLI) appends through [`AuditLog::append`].
//!
//! **Tamper evidence.** Entries form a hash chain: each carries the hash of the one before it, and its own hash
//! is an HMAC-SHA-256, keyed by a key derived from the vault's master key (which lives outside the data
//! directory), over the previous hash and the entry's content. Editing, deleting, inserting or reordering an
//! entry breaks the chain at that point, and someone who can write the data directory but lacks the master key
//! cannot forge a consistent chain. A head file (`audit/head`, sealed the same way) records the last entry, so
//! cutting entries off the end is detected too; `privet audit head` prints it for keeping elsewhere, and
//! `privet audit verify --head SEQ:HASH` proves that nothing before that point was rolled back. The database also
//! refuses `UPDATE` and `DELETE` by trigger, so no code path can change history by mistake.
//!
//! **No identifiers.** Actors are recorded as `user:ID` or `key:ID`, never an email; the subjects of actions by
//! pseudonym (`person:ID`). Free text (reasons, targets, details) passes through the privacy pipeline's scanner
//! before it is written, so an email, phone number, IP address or key typed into a reason becomes `[email]`,
//! `[phone]`, … in the log.

mod chain;
mod verify;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use privet_pipeline::transforms::scan::{Lookout, Scanner};
use privet_vault::crypto::Key;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

pub use verify::{Problem, Verification};

/// The purpose name of the key the log is sealed with (see `privet_vault::Vault::derived_key`).
pub const KEY_PURPOSE: &str = "audit log";

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit log database failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("cannot use the audit log folder {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{0}` is not a head: give it as SEQ:HASH, as `privet audit head` prints it")]
    BadHead(String),
}

pub type Result<T, E = AuditError> = std::result::Result<T, E>;

/// How an action ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    /// Refused: wrong credentials, missing permission, lock-out.
    Denied,
    /// Tried and failed.
    Failed,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Outcome {
        match s {
            "ok" => Outcome::Ok,
            "denied" => Outcome::Denied,
            _ => Outcome::Failed,
        }
    }
}

/// Something to record. Build one with [`Record::new`] and the `with_*` methods.
#[derive(Clone, Debug)]
pub struct Record {
    /// Who: `user:3`, `key:key_ab12c`, `cli` (someone at the data directory's console), `system`.
    pub actor: String,
    /// What, dotted: `sign_in`, `identity.reveal`, `person.erase`, `key.create`, `incident.open`, …
    pub action: String,
    pub outcome: Outcome,
    /// On what: `person:123`, `user:4`, `key:key_ab12c`, `incident:2`, …
    pub target: Option<String>,
    pub project: Option<i64>,
    /// Why, as the person gave it (scanned for identifiers before it is written).
    pub reason: Option<String>,
    /// Anything else worth keeping, as JSON (strings scanned like the reason).
    pub detail: serde_json::Value,
}

impl Record {
    pub fn new(actor: impl Into<String>, action: impl Into<String>) -> Record {
        Record {
            actor: actor.into(),
            action: action.into(),
            outcome: Outcome::Ok,
            target: None,
            project: None,
            reason: None,
            detail: serde_json::Value::Null,
        }
    }

    pub fn outcome(mut self, outcome: Outcome) -> Record {
        self.outcome = outcome;
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Record {
        self.target = Some(target.into());
        self
    }

    pub fn project(mut self, project: i64) -> Record {
        self.project = Some(project);
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Record {
        self.reason = Some(reason.into());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Record {
        self.detail = detail;
        self
    }
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub outcome: Outcome,
    pub target: Option<String>,
    pub project: Option<i64>,
    pub reason: Option<String>,
    pub detail: serde_json::Value,
    /// The previous entry's hash (64 zeros for the first).
    pub prev: String,
    pub hash: String,
}

/// Which entries to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Actions starting with this (`identity.` for every reveal).
    pub action: Option<String>,
    pub actor: Option<String>,
    pub outcome: Option<Outcome>,
    /// Only entries with a smaller sequence number (paging backwards).
    pub before: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    /// At most this many (newest first); 100 when zero.
    pub limit: usize,
}

/// The audit log of a data directory (`<data-dir>/audit/audit.sqlite`).
pub struct AuditLog {
    conn: Mutex<Connection>,
    dir: PathBuf,
    key: Key,
    scanner: Scanner,
}

impl AuditLog {
    /// Opens (creating if needed) the log of `data_dir`, sealed with `key` (derive it with
    /// `Vault::derived_key(KEY_PURPOSE)`, or `privet_vault::derived_key_in` outside the server).
    pub fn open(data_dir: &Path, key: Key) -> Result<AuditLog> {
        let dir = data_dir.join("audit");
        std::fs::create_dir_all(&dir).map_err(|source| AuditError::Io {
            path: dir.clone(),
            source,
        })?;
        let conn = chain::open(&dir.join("audit.sqlite"))?;
        let scanner = Scanner::new(&[]).expect("the built-in patterns compile");
        Ok(AuditLog {
            conn: Mutex::new(conn),
            dir,
            key,
            scanner,
        })
    }

    /// Appends `record` (its free text scanned for identifiers first) and returns the stored entry. Safe to call
    /// from several processes at once: the chain is extended inside one immediate transaction.
    pub fn append(&self, record: Record) -> Result<Entry> {
        let record = self.redacted(record);
        let mut conn = self.conn.lock();
        let entry = chain::append(&mut conn, &self.key, record, Utc::now())?;
        chain::write_head(&self.dir, &self.key, entry.seq, &entry.hash)?;
        Ok(entry)
    }

    /// Entries matching `filter`, newest first.
    pub fn entries(&self, filter: &Filter) -> Result<Vec<Entry>> {
        chain::entries(&self.conn.lock(), filter)
    }

    /// The last entry's sequence number and hash, as `SEQ:HASH` (keep a copy elsewhere to detect rollbacks).
    pub fn head(&self) -> Result<Option<String>> {
        Ok(chain::last(&self.conn.lock())?.map(|(seq, hash)| format!("{seq}:{hash}")))
    }

    /// Checks every entry's seal and link, the head file, and (optionally) an externally kept head.
    pub fn verify(&self, expected_head: Option<&str>) -> Result<Verification> {
        let expected = expected_head.map(parse_head).transpose()?;
        verify::verify(&self.conn.lock(), &self.dir, &self.key, expected)
    }

    /// How many entries the log holds.
    pub fn count(&self) -> Result<i64> {
        Ok(self
            .conn
            .lock()
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Where the log lives.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn redacted(&self, mut record: Record) -> Record {
        record.actor = self.clean_reference(record.actor);
        record.target = record.target.map(|t| self.clean_reference(t));
        record.reason = record.reason.map(|r| self.clean(r));
        self.clean_json(&mut record.detail);
        record
    }

    /// An actor or target: Privet's own references (`person:2452838392825419534`, `user:3`) are kept as they are
    /// (a random pseudonym can look like a payment card number to the scanner); anything else is scanned.
    fn clean_reference(&self, text: String) -> String {
        let reference = text.split_once(':').is_some_and(|(kind, id)| {
            !kind.is_empty()
                && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                && !id.is_empty()
                && id
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
        });
        if reference { text } else { self.clean(text) }
    }

    /// `text` with every identifier the scanner finds replaced by its placeholder.
    fn clean(&self, text: String) -> String {
        match self.scanner.redact(&text, &Lookout::none()) {
            Some((clean, _)) => clean,
            None => text,
        }
    }

    fn clean_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = self.clean(std::mem::take(s)),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.clean_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.clean_json(v)),
            _ => {}
        }
    }
}

fn parse_head(text: &str) -> Result<(i64, String)> {
    let (seq, hash) = text
        .trim()
        .split_once(':')
        .ok_or_else(|| AuditError::BadHead(text.to_string()))?;
    let seq = seq
        .parse()
        .map_err(|_| AuditError::BadHead(text.to_string()))?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuditError::BadHead(text.to_string()));
    }
    Ok((seq, hash.to_ascii_lowercase()))
}

impl Entry {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
        let at: String = row.get(1)?;
        let outcome: String = row.get(4)?;
        let detail: String = row.get(8)?;
        Ok(Entry {
            seq: row.get(0)?,
            at: DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            actor: row.get(2)?,
            action: row.get(3)?,
            outcome: Outcome::parse(&outcome),
            target: row.get(5)?,
            project: row.get(6)?,
            reason: row.get(7)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            prev: row.get(9)?,
            hash: row.get(10)?,
        })
    }
}

#[cfg(test)]
mod tests;
