//! The vault's SQLite schema and queries.
//!
//! `secure_delete` is on, so erased rows are overwritten rather than left in free pages; WAL journaling lets the
//! reader run beside the writer thread; `synchronous = FULL` because a commit must survive power loss before
//! anything that depends on it is acknowledged.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::crypto::Key;
use crate::{Result, VaultError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
-- One row per subject: an identifier of a person, or an organisation.
CREATE TABLE IF NOT EXISTS subjects (
    pseudonym INTEGER PRIMARY KEY,
    project INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data_key BLOB NOT NULL,        -- wrapped by the master key
    created INTEGER NOT NULL
);
-- Identifier -> pseudonym, by keyed lookup hash; the identifier itself sealed under the subject's data key.
CREATE TABLE IF NOT EXISTS ids (
    lookup BLOB PRIMARY KEY,
    pseudonym INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ids_by_pseudonym ON ids (pseudonym);
-- Personal fields ($email, $name, ...), sealed; lookup is a keyed hash of the normalised value.
CREATE TABLE IF NOT EXISTS fields (
    pseudonym INTEGER NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    lookup BLOB,
    updated INTEGER NOT NULL,
    PRIMARY KEY (pseudonym, name)
);
CREATE INDEX IF NOT EXISTS fields_by_lookup ON fields (lookup);
-- Counters of an earlier version (k-anonymity is now kept by the store, on sealed rows): forget them.
DROP TABLE IF EXISTS anonymity_members;
DROP TABLE IF EXISTS anonymity;
-- Erasures, without any identifier.
CREATE TABLE IF NOT EXISTS erasures (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    subjects INTEGER NOT NULL,
    reason TEXT NOT NULL
);
";

pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.execute_batch(SCHEMA)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(conn)
}

/// The index key, created (and wrapped under `master`) on first use. A wrong master key fails here.
pub fn index_key(conn: &Connection, master: &Key) -> Result<Key> {
    let wrapped: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE name = 'index_key'", [], |r| {
            r.get(0)
        })
        .optional()?;
    match wrapped {
        Some(blob) => master
            .unwrap_key(&blob, b"index_key")
            .ok_or(VaultError::WrongMasterKey),
        None => {
            let key = Key::random();
            conn.execute(
                "INSERT INTO meta (name, value) VALUES ('index_key', ?1)",
                params![master.wrap(&key, b"index_key")],
            )?;
            Ok(key)
        }
    }
}

pub fn find_id(conn: &Connection, lookup: &[u8; 32]) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT pseudonym FROM ids WHERE lookup = ?1")?
        .query_row(params![&lookup[..]], |r| r.get(0))
        .optional()?)
}

pub fn subject_exists(conn: &Connection, pseudonym: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM subjects WHERE pseudonym = ?1")?
        .exists(params![pseudonym])?)
}

/// `(project, kind, wrapped data key)` of a subject.
pub fn subject(conn: &Connection, pseudonym: i64) -> Result<Option<(i64, String, Vec<u8>)>> {
    Ok(conn
        .prepare_cached("SELECT project, kind, data_key FROM subjects WHERE pseudonym = ?1")?
        .query_row(params![pseudonym], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?)
}

pub fn sealed_ids(conn: &Connection, pseudonym: i64) -> Result<Vec<Vec<u8>>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM ids WHERE pseudonym = ?1")?;
    let rows = stmt.query_map(params![pseudonym], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn sealed_fields(conn: &Connection, pseudonym: i64) -> Result<Vec<(String, Vec<u8>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT name, value FROM fields WHERE pseudonym = ?1 ORDER BY name")?;
    let rows = stmt.query_map(params![pseudonym], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn find_by_field(conn: &Connection, lookup: &[u8; 32]) -> Result<Vec<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT pseudonym FROM fields WHERE lookup = ?1")?;
    let rows = stmt.query_map(params![&lookup[..]], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn counts(conn: &Connection) -> Result<(u64, u64, u64)> {
    let count = |table: &str| -> Result<u64> {
        Ok(
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                r.get::<_, i64>(0)
            })? as u64,
        )
    };
    Ok((count("subjects")?, count("ids")?, count("fields")?))
}

/// Re-wraps every data key and the index key from `old` to `new`, in one transaction.
pub fn rewrap(conn: &mut Connection, old: &Key, new: &Key) -> Result<usize> {
    let tx = conn.transaction()?;
    let index = index_key(&tx, old)?;
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'index_key'",
        params![new.wrap(&index, b"index_key")],
    )?;
    let subjects: Vec<(i64, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT pseudonym, data_key FROM subjects")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    for (pseudonym, wrapped) in &subjects {
        let aad = format!("subject:{pseudonym}").into_bytes();
        let key = old
            .unwrap_key(wrapped, &aad)
            .ok_or(VaultError::WrongMasterKey)?;
        tx.execute(
            "UPDATE subjects SET data_key = ?1 WHERE pseudonym = ?2",
            params![new.wrap(&key, &aad), pseudonym],
        )?;
    }
    tx.commit()?;
    Ok(subjects.len())
}
