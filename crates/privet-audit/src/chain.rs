//! The stored chain: schema, appending under one immediate transaction, reading, and the head file.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use privet_vault::crypto::Key;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{AuditError, Entry, Filter, Record, Result};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS entries (
    seq     INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    outcome TEXT NOT NULL,
    target  TEXT,
    project INTEGER,
    reason  TEXT,
    detail  TEXT NOT NULL,
    prev    TEXT NOT NULL,
    hash    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_action ON entries(action);
CREATE TRIGGER IF NOT EXISTS entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_append_only_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

const COLUMNS: &str =
    "seq, at, actor, action, outcome, target, project, reason, detail, prev, hash";

pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// The seal of one entry: HMAC over the previous hash and every stored column, each length-prefixed.
#[allow(clippy::too_many_arguments)]
pub fn seal(
    key: &Key,
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    outcome: &str,
    target: Option<&str>,
    project: Option<i64>,
    reason: Option<&str>,
    detail: &str,
) -> String {
    let seq = seq.to_le_bytes();
    let project = project.map(i64::to_le_bytes);
    let optional = |v: Option<&[u8]>| -> Vec<u8> {
        match v {
            None => vec![0],
            Some(bytes) => [&[1u8][..], bytes].concat(),
        }
    };
    let target = optional(target.map(str::as_bytes));
    let project = optional(project.as_ref().map(|p| &p[..]));
    let reason = optional(reason.map(str::as_bytes));
    hex::encode(key.lookup(&[
        b"privet audit v1",
        prev.as_bytes(),
        &seq,
        at.as_bytes(),
        actor.as_bytes(),
        action.as_bytes(),
        outcome.as_bytes(),
        &target,
        &project,
        &reason,
        detail.as_bytes(),
    ]))
}

pub fn append(
    conn: &mut Connection,
    key: &Key,
    record: Record,
    now: DateTime<Utc>,
) -> Result<Entry> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (last_seq, prev) = last(&tx)?.unwrap_or((0, GENESIS.to_string()));
    let seq = last_seq + 1;
    let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let detail = record.detail.to_string();
    let outcome = record.outcome.as_str();
    let hash = seal(
        key,
        &prev,
        seq,
        &at,
        &record.actor,
        &record.action,
        outcome,
        record.target.as_deref(),
        record.project,
        record.reason.as_deref(),
        &detail,
    );
    tx.execute(
        &format!(
            "INSERT INTO entries ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ),
        params![
            seq,
            at,
            record.actor,
            record.action,
            outcome,
            record.target,
            record.project,
            record.reason,
            detail,
            prev,
            hash
        ],
    )?;
    tx.commit()?;
    Ok(Entry {
        seq,
        at: DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now),
        actor: record.actor,
        action: record.action,
        outcome: record.outcome,
        target: record.target,
        project: record.project,
        reason: record.reason,
        detail: record.detail,
        prev,
        hash,
    })
}

pub fn last(conn: &Connection) -> Result<Option<(i64, String)>> {
    Ok(conn
        .query_row(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub fn entries(conn: &Connection, filter: &Filter) -> Result<Vec<Entry>> {
    let mut sql = format!("SELECT {COLUMNS} FROM entries WHERE 1 = 1");
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut bind = |sql: &mut String, clause: &str, value: rusqlite::types::Value| {
        values.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", values.len())));
    };
    if let Some(action) = &filter.action {
        let pattern = format!("{}%", action.replace('%', "").replace('_', "\\_"));
        bind(&mut sql, " AND action LIKE ? ESCAPE '\\'", pattern.into());
    }
    if let Some(actor) = &filter.actor {
        bind(&mut sql, " AND actor = ?", actor.clone().into());
    }
    if let Some(outcome) = filter.outcome {
        bind(
            &mut sql,
            " AND outcome = ?",
            outcome.as_str().to_string().into(),
        );
    }
    if let Some(before) = filter.before {
        bind(&mut sql, " AND seq < ?", before.into());
    }
    if let Some(since) = filter.since {
        let at = since.to_rfc3339_opts(SecondsFormat::Millis, true);
        bind(&mut sql, " AND at >= ?", at.into());
    }
    let limit = if filter.limit == 0 { 100 } else { filter.limit };
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT {limit}"));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), Entry::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An entry exactly as stored (verification recomputes seals from the stored text, not from parsed values).
pub struct Raw {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub target: Option<String>,
    pub project: Option<i64>,
    pub reason: Option<String>,
    pub detail: String,
    pub prev: String,
    pub hash: String,
}

impl Raw {
    pub fn seal(&self, key: &Key) -> String {
        seal(
            key,
            &self.prev,
            self.seq,
            &self.at,
            &self.actor,
            &self.action,
            &self.outcome,
            self.target.as_deref(),
            self.project,
            self.reason.as_deref(),
            &self.detail,
        )
    }
}

/// Every entry in order, as stored.
pub fn all(conn: &Connection, mut f: impl FnMut(Raw)) -> Result<()> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM entries ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        f(Raw {
            seq: row.get(0)?,
            at: row.get(1)?,
            actor: row.get(2)?,
            action: row.get(3)?,
            outcome: row.get(4)?,
            target: row.get(5)?,
            project: row.get(6)?,
            reason: row.get(7)?,
            detail: row.get(8)?,
            prev: row.get(9)?,
            hash: row.get(10)?,
        });
    }
    Ok(())
}

fn head_seal(key: &Key, seq: i64, hash: &str) -> String {
    hex::encode(key.lookup(&[b"privet audit head", &seq.to_le_bytes(), hash.as_bytes()]))
}

/// The head file's content: `SEQ:HASH:SEAL`, if the file exists and its seal is right; `Err(())` when it exists
/// but was tampered with.
pub fn read_head(dir: &Path, key: &Key) -> std::result::Result<Option<(i64, String)>, ()> {
    let Ok(text) = std::fs::read_to_string(dir.join("head")) else {
        return Ok(None);
    };
    let mut parts = text.trim().split(':');
    let (Some(seq), Some(hash), Some(seal), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(());
    };
    let seq: i64 = seq.parse().map_err(|_| ())?;
    if !constant_time_eq(&head_seal(key, seq, hash), seal) {
        return Err(());
    }
    Ok(Some((seq, hash.to_string())))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Moves the head file forward to (`seq`, `hash`), never back: concurrent writers (a server and a CLI) may
/// finish in any order. Written to a temporary file, synced, then renamed into place, under a file lock.
pub fn write_head(dir: &Path, key: &Key, seq: i64, hash: &str) -> Result<()> {
    let io = |source| AuditError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("head.lock"))
        .map_err(io)?;
    fs4::fs_std::FileExt::lock_exclusive(&lock).map_err(io)?;
    if let Ok(Some((current, _))) = read_head(dir, key)
        && current >= seq
    {
        return Ok(());
    }
    let tmp = dir.join("head.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(format!("{seq}:{hash}:{}\n", head_seal(key, seq, hash)).as_bytes())
        .map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, dir.join("head")).map_err(io)?;
    Ok(())
}
