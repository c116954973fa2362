//! The store's metadata database (`store/meta.sqlite`): the segment manifest, checkpoints, the identity graph,
//! and the people and group profiles.
//!
//! Writes from the ingestion path use `synchronous = NORMAL` (the write-ahead log is the source of durability,
//! and the `state_applied` checkpoint rolls back together with the changes it covers); the flush that lets log
//! files be deleted commits with `synchronous = FULL`.

use std::path::Path;
use std::time::Duration;

use privet_model::ProfileOpKind;
use privet_model::withheld::Dimension;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use serde_json::{Map, Value};

use crate::identity::IdentityGraph;
use crate::profiles;
use crate::wal::{IdentityChange, ResolvedProfileUpdate, ResolvedTarget};

/// Checkpoint: every log record at or below it has its events in segments.
pub const EVENTS_FLUSHED: &str = "events_flushed";
/// Checkpoint: every log record at or below it has its identity and profile changes applied here.
pub const STATE_APPLIED: &str = "state_applied";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS checkpoints (
    name TEXT PRIMARY KEY,
    lsn  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    id          INTEGER PRIMARY KEY,
    project     INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    path        TEXT NOT NULL UNIQUE,
    rows        INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    min_time    INTEGER NOT NULL,
    max_time    INTEGER NOT NULL,
    created_us  INTEGER NOT NULL,
    sealed      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS segments_by_day ON segments (project, day);
CREATE TABLE IF NOT EXISTS identities (
    project INTEGER NOT NULL,
    id      INTEGER NOT NULL,
    person  INTEGER NOT NULL,
    PRIMARY KEY (project, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS remaps (
    project     INTEGER NOT NULL,
    from_person INTEGER NOT NULL,
    to_person   INTEGER NOT NULL,
    PRIMARY KEY (project, from_person)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS identified (
    project INTEGER NOT NULL,
    person  INTEGER NOT NULL,
    PRIMARY KEY (project, person)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS people (
    project    INTEGER NOT NULL,
    person_id  INTEGER NOT NULL,
    first_seen INTEGER,
    last_seen  INTEGER,
    properties TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (project, person_id)
) WITHOUT ROWID;
-- Values shown in the store because at least k people were stored with them (see `publication`), and that k.
CREATE TABLE IF NOT EXISTS published (
    project   INTEGER NOT NULL,
    dimension TEXT NOT NULL,
    key       TEXT NOT NULL,
    k         INTEGER NOT NULL,
    PRIMARY KEY (project, dimension, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS groups (
    project    INTEGER NOT NULL,
    group_key  TEXT NOT NULL,
    group_id   INTEGER NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (project, group_key, group_id)
) WITHOUT ROWID;
"#;

/// A segment as recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentInfo {
    pub id: i64,
    pub project: i64,
    /// UTC day number (days since 1970-01-01) all of the segment's events fall on.
    pub day: i32,
    /// Path relative to the store directory.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub min_time: i64,
    pub max_time: i64,
    pub created_us: i64,
    /// Rows that carry sealed, withheld dimensions (kept in segments of their own; see `publication`).
    pub sealed: u64,
}

/// A connection to the metadata database.
pub struct Meta {
    conn: Connection,
}

impl Meta {
    /// Opens the database for reading and writing, creating it if needed.
    pub fn open(path: &Path) -> rusqlite::Result<Meta> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        // Manifests written before segments counted their sealed rows.
        if !has_sealed_column(&conn)? {
            conn.execute_batch(
                "ALTER TABLE segments ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0",
            )?;
        }
        Ok(Meta { conn })
    }

    /// Opens the database read-only (offline queries while a server may be running).
    pub fn open_read_only(path: &Path) -> rusqlite::Result<Meta> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(30))?;
        Ok(Meta { conn })
    }

    /// The raw connection, for table providers that read profiles.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// A checkpoint's LSN (0 when never set).
    pub fn checkpoint(&self, name: &str) -> rusqlite::Result<u64> {
        let lsn: Option<i64> = self
            .conn
            .query_row("SELECT lsn FROM checkpoints WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(lsn.unwrap_or(0) as u64)
    }

    /// The person `id` belongs to and all of that person's ids (just `id` when it was never merged).
    pub fn cluster(&self, project: i64, id: i64) -> rusqlite::Result<(i64, Vec<i64>)> {
        let person: i64 = self
            .conn
            .query_row(
                "SELECT person FROM identities WHERE project = ?1 AND id = ?2",
                params![project, id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(id);
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM identities WHERE project = ?1 AND person = ?2")?;
        let mut ids: Vec<i64> = stmt
            .query_map(params![project, person], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for extra in [id, person] {
            if !ids.contains(&extra) {
                ids.push(extra);
            }
        }
        Ok((person, ids))
    }

    /// The segment manifest.
    pub fn segments(&self) -> rusqlite::Result<Vec<SegmentInfo>> {
        // (A manifest of an older version, opened read-only, has no `sealed` column: none of its rows are.)
        let sealed = if has_sealed_column(&self.conn)? {
            "sealed"
        } else {
            "0"
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, project, day, path, rows, bytes, min_time, max_time, created_us, {sealed}
             FROM segments ORDER BY project, day, id"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(SegmentInfo {
                id: r.get(0)?,
                project: r.get(1)?,
                day: r.get(2)?,
                path: r.get(3)?,
                rows: r.get::<_, i64>(4)? as u64,
                bytes: r.get::<_, i64>(5)? as u64,
                min_time: r.get(6)?,
                max_time: r.get(7)?,
                created_us: r.get(8)?,
                sealed: r.get::<_, i64>(9)? as u64,
            })
        })?;
        rows.collect()
    }

    /// Every published value: (project, dimension, key, the k it was published with).
    pub fn published(&self) -> rusqlite::Result<Vec<(i64, Dimension, String, usize)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT project, dimension, key, k FROM published")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (project, dimension, key, k) = row?;
            if let Some(dimension) = Dimension::parse(&dimension) {
                out.push((project, dimension, key, k.max(0) as usize));
            }
        }
        Ok(out)
    }

    /// Loads the identity graph.
    pub fn load_identity(&self, graph: &mut IdentityGraph) -> rusqlite::Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT project, id, person FROM identities")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            graph.apply(
                r.get(0)?,
                &IdentityChange::Link {
                    id: r.get(1)?,
                    person: r.get(2)?,
                },
            );
        }
        let mut stmt = self
            .conn
            .prepare("SELECT project, from_person, to_person FROM remaps")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            graph.apply(
                r.get(0)?,
                &IdentityChange::Remap {
                    from: r.get(1)?,
                    to: r.get(2)?,
                },
            );
        }
        let mut stmt = self
            .conn
            .prepare("SELECT project, person FROM identified")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            graph.apply(r.get(0)?, &IdentityChange::Identified { person: r.get(1)? });
        }
        Ok(())
    }

    /// A transaction that takes the write lock at `BEGIN`. Three connections write this database (the writer,
    /// the flusher and the compactor); a deferred transaction that reads before it writes fails at once with
    /// `SQLITE_BUSY` when another one committed in between, whereas `BEGIN IMMEDIATE` waits its turn under the
    /// busy timeout.
    fn write_transaction(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
    }

    /// Applies the identity and profile changes of a group of log entries and advances `state_applied`, in one
    /// transaction.
    pub fn apply_state<'a>(
        &mut self,
        entries: impl Iterator<Item = (i64, &'a [IdentityChange], &'a [ResolvedProfileUpdate])>,
        lsn: u64,
    ) -> rusqlite::Result<()> {
        let tx = self.write_transaction()?;
        for (project, identity, profiles) in entries {
            for change in identity {
                apply_identity(&tx, project, change)?;
            }
            for update in profiles {
                apply_profile(&tx, project, update)?;
            }
        }
        set_checkpoint(&tx, STATE_APPLIED, lsn)?;
        tx.commit()
    }

    /// Records a flush: new segments, people's first/last seen times, the `events_flushed` checkpoint and the
    /// writer's `state_applied` (log records without identity or profile changes advance it without a
    /// transaction of their own), in one fully synchronous transaction.
    pub fn commit_flush(
        &mut self,
        segments: &mut [SegmentInfo],
        activity: &[(i64, i64, i64, i64)],
        lsn: u64,
        state_applied: u64,
    ) -> rusqlite::Result<()> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let result = (|| {
            let tx = self.write_transaction()?;
            insert_segments(&tx, segments)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO people (project, person_id, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (project, person_id) DO UPDATE SET
                       first_seen = min(coalesce(first_seen, excluded.first_seen), excluded.first_seen),
                       last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen)",
                )?;
                for (project, person, first, last) in activity {
                    stmt.execute(params![project, person, first, last])?;
                }
            }
            set_checkpoint(&tx, EVENTS_FLUSHED, lsn)?;
            set_checkpoint(&tx, STATE_APPLIED, state_applied)?;
            tx.commit()
        })();
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        result
    }

    /// Replaces segments by their successors (compacted, rewritten without deleted events, or showing values of
    /// `project` newly published with `k`) and records those values, atomically.
    pub fn replace_segments(
        &mut self,
        removed: &[i64],
        added: &mut [SegmentInfo],
        (project, k, published): (i64, usize, &[(Dimension, String)]),
    ) -> rusqlite::Result<()> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let result = (|| {
            let tx = self.write_transaction()?;
            for id in removed {
                tx.execute("DELETE FROM segments WHERE id = ?1", [id])?;
            }
            insert_segments(&tx, added)?;
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO published (project, dimension, key, k) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (dimension, key) in published {
                stmt.execute(params![project, dimension.as_str(), key, k as i64])?;
            }
            drop(stmt);
            tx.commit()
        })();
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        result
    }
}

fn has_sealed_column(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM pragma_table_info('segments') WHERE name = 'sealed'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )
}

fn insert_segments(tx: &Transaction<'_>, segments: &mut [SegmentInfo]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO segments (project, day, path, rows, bytes, min_time, max_time, created_us, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for s in segments.iter_mut() {
        stmt.execute(params![
            s.project,
            s.day,
            s.path,
            s.rows as i64,
            s.bytes as i64,
            s.min_time,
            s.max_time,
            s.created_us,
            s.sealed as i64
        ])?;
        s.id = tx.last_insert_rowid();
    }
    Ok(())
}

fn set_checkpoint(tx: &Transaction<'_>, name: &str, lsn: u64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO checkpoints (name, lsn) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET lsn = max(lsn, excluded.lsn)",
        params![name, lsn as i64],
    )?;
    Ok(())
}

fn apply_identity(
    tx: &Transaction<'_>,
    project: i64,
    change: &IdentityChange,
) -> rusqlite::Result<()> {
    match *change {
        IdentityChange::Link { id, person } => {
            tx.prepare_cached(
                "INSERT INTO identities (project, id, person) VALUES (?1, ?2, ?3)
                 ON CONFLICT (project, id) DO UPDATE SET person = excluded.person",
            )?
            .execute(params![project, id, person])?;
        }
        IdentityChange::Remap { from, to } => {
            tx.prepare_cached(
                "INSERT INTO remaps (project, from_person, to_person) VALUES (?1, ?2, ?3)
                 ON CONFLICT (project, from_person) DO UPDATE SET to_person = excluded.to_person",
            )?
            .execute(params![project, from, to])?;
            merge_people(tx, project, from, to)?;
        }
        IdentityChange::Identified { person } => {
            tx.prepare_cached(
                "INSERT INTO identified (project, person) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![project, person])?;
        }
    }
    Ok(())
}

/// Folds the profile of a person merged away into the surviving person.
fn merge_people(tx: &Transaction<'_>, project: i64, from: i64, to: i64) -> rusqlite::Result<()> {
    let merged: Option<(Option<i64>, Option<i64>, String)> = tx
        .prepare_cached(
            "SELECT first_seen, last_seen, properties FROM people WHERE project = ?1 AND person_id = ?2",
        )?
        .query_row(params![project, from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((first, last, props)) = merged else {
        return Ok(());
    };
    let mut survivor = load_props(tx, project, to)?.unwrap_or_default();
    profiles::merge_into(&mut survivor, parse_props(&props));
    tx.prepare_cached(
        "INSERT INTO people (project, person_id, first_seen, last_seen, properties) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (project, person_id) DO UPDATE SET
           first_seen = min(coalesce(first_seen, excluded.first_seen), coalesce(excluded.first_seen, first_seen)),
           last_seen = max(coalesce(last_seen, excluded.last_seen), coalesce(excluded.last_seen, last_seen)),
           properties = excluded.properties",
    )?
    .execute(params![project, to, first, last, Value::Object(survivor).to_string()])?;
    tx.prepare_cached("DELETE FROM people WHERE project = ?1 AND person_id = ?2")?
        .execute(params![project, from])?;
    Ok(())
}

fn load_props(
    tx: &Transaction<'_>,
    project: i64,
    person: i64,
) -> rusqlite::Result<Option<Map<String, Value>>> {
    let props: Option<String> = tx
        .prepare_cached("SELECT properties FROM people WHERE project = ?1 AND person_id = ?2")?
        .query_row(params![project, person], |r| r.get(0))
        .optional()?;
    Ok(props.as_deref().map(parse_props))
}

fn parse_props(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn apply_ops(props: &mut Map<String, Value>, ops: &[(ProfileOpKind, String)]) {
    for (kind, payload) in ops {
        profiles::apply(props, *kind, payload);
    }
}

fn apply_profile(
    tx: &Transaction<'_>,
    project: i64,
    update: &ResolvedProfileUpdate,
) -> rusqlite::Result<()> {
    match &update.target {
        ResolvedTarget::Person(person) => {
            let mut props = load_props(tx, project, *person)?.unwrap_or_default();
            apply_ops(&mut props, &update.ops);
            tx.prepare_cached(
                "INSERT INTO people (project, person_id, properties) VALUES (?1, ?2, ?3)
                 ON CONFLICT (project, person_id) DO UPDATE SET properties = excluded.properties",
            )?
            .execute(params![project, person, Value::Object(props).to_string()])?;
        }
        ResolvedTarget::Group { key, id } => {
            let current: Option<String> = tx
                .prepare_cached(
                    "SELECT properties FROM groups WHERE project = ?1 AND group_key = ?2 AND group_id = ?3",
                )?
                .query_row(params![project, key, id], |r| r.get(0))
                .optional()?;
            let mut props = current.as_deref().map(parse_props).unwrap_or_default();
            let deleted = update.ops.iter().any(|(k, _)| *k == ProfileOpKind::Delete);
            apply_ops(&mut props, &update.ops);
            if deleted && props.is_empty() {
                tx.prepare_cached(
                    "DELETE FROM groups WHERE project = ?1 AND group_key = ?2 AND group_id = ?3",
                )?
                .execute(params![project, key, id])?;
            } else {
                tx.prepare_cached(
                    "INSERT INTO groups (project, group_key, group_id, properties) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (project, group_key, group_id) DO UPDATE SET properties = excluded.properties",
                )?
                .execute(params![project, key, id, Value::Object(props).to_string()])?;
            }
        }
    }
    Ok(())
}
