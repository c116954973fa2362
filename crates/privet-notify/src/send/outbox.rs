//! The outbox: one row per (incident, recipient key) recording how far its notice got.
//!
//! ```sql
//! CREATE TABLE outbox (
//!     incident   INTEGER NOT NULL,
//!     recipient  TEXT NOT NULL,     -- the caller's opaque key, never an address
//!     kind       TEXT NOT NULL,     -- person | org_admin
//!     locale     TEXT NOT NULL,
//!     status     TEXT NOT NULL,     -- pending | sending | sent | failed
//!     attempts   INTEGER NOT NULL,  -- attempts so far, over all runs
//!     message_id TEXT NOT NULL,     -- <privet.{incident}.{recipient}@{sender domain}>
//!     last_error TEXT,              -- the last failure, addresses masked
//!     queued_at  TEXT NOT NULL,     -- RFC 3339, UTC
//!     sending_at TEXT,              -- when the body was last handed to the server
//!     sent_at    TEXT,              -- when the server accepted it
//!     PRIMARY KEY (incident, recipient)
//! )
//! ```
//!
//! The database runs in WAL mode with `synchronous=FULL`, and every status change is committed (durably)
//! before the next protocol step, so that a crash at any point leaves a row that tells the truth.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::SendError;

/// Where a notice stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not (yet) handed to the server; safe to send.
    Pending,
    /// The body was being handed to the server when the run stopped: it may have been delivered.
    Sending,
    /// The server accepted it.
    Sent,
    /// Rejected for good, or retries exhausted (tried again by the next run).
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "pending" => Status::Pending,
            "sending" => Status::Sending,
            "sent" => Status::Sent,
            "failed" => Status::Failed,
            _ => return None,
        })
    }
}

/// How many notices of an incident are in each state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: u64,
    /// In doubt: handed to the server by a run that stopped before hearing back.
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
}

impl OutboxCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.sending + self.sent + self.failed
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS outbox (
    incident   INTEGER NOT NULL,
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    locale     TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL,
    last_error TEXT,
    queued_at  TEXT NOT NULL,
    sending_at TEXT,
    sent_at    TEXT,
    PRIMARY KEY (incident, recipient)
)";

/// A row to queue.
pub(crate) struct NewRow<'a> {
    pub recipient: &'a str,
    pub kind: &'a str,
    pub locale: &'a str,
    pub message_id: &'a str,
}

/// An open outbox.
pub(crate) struct Outbox {
    conn: Connection,
    path: PathBuf,
    incident: i64,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Outbox {
    /// Opens (creating if needed) the outbox at `path`.
    pub fn open(path: &Path, incident: i64) -> Result<Outbox, SendError> {
        let err = |e| SendError::Outbox {
            path: path.to_path_buf(),
            source: e,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "the outbox database could not switch to WAL mode");
        }
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Outbox {
            conn,
            path: path.to_path_buf(),
            incident,
        })
    }

    fn err(&self) -> impl FnOnce(rusqlite::Error) -> SendError + '_ {
        SendError::outbox(&self.path)
    }

    /// Queues every row of a run as `pending` (rows already there keep their state), in one transaction.
    pub fn queue(&mut self, rows: &[NewRow<'_>]) -> Result<(), SendError> {
        let incident = self.incident;
        let path = self.path.clone();
        let err = SendError::outbox(&path);
        let mut run = || -> rusqlite::Result<()> {
            let tx = self.conn.transaction()?;
            {
                let mut insert = tx.prepare(
                    "INSERT OR IGNORE INTO outbox (incident, recipient, kind, locale, status, attempts, message_id, \
                     queued_at) VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6)",
                )?;
                let at = now();
                for row in rows {
                    insert.execute(params![
                        incident,
                        row.recipient,
                        row.kind,
                        row.locale,
                        row.message_id,
                        at
                    ])?;
                }
            }
            tx.commit()
        };
        run().map_err(err)
    }

    /// The state of one row.
    pub fn status(&self, recipient: &str) -> Result<Option<Status>, SendError> {
        let status: Option<String> = self
            .conn
            .query_row(
                "SELECT status FROM outbox WHERE incident = ?1 AND recipient = ?2",
                params![self.incident, recipient],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())?;
        Ok(status.and_then(|s| Status::parse(&s)))
    }

    fn update(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<(), SendError> {
        let changed = self.conn.execute(sql, params).map_err(self.err())?;
        if changed != 1 {
            return Err(SendError::Outbox {
                path: self.path.clone(),
                source: rusqlite::Error::QueryReturnedNoRows,
            });
        }
        Ok(())
    }

    /// The server accepted the envelope and is waiting for the body: from now on it may be delivered.
    pub fn mark_sending(&self, recipient: &str) -> Result<(), SendError> {
        self.update(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, sending_at = ?3, last_error = NULL \
             WHERE incident = ?1 AND recipient = ?2",
            params![self.incident, recipient, now()],
        )
    }

    /// The server accepted the message.
    pub fn mark_sent(&self, recipient: &str) -> Result<(), SendError> {
        self.update(
            "UPDATE outbox SET status = 'sent', sent_at = ?3, last_error = NULL WHERE incident = ?1 AND recipient = ?2",
            params![self.incident, recipient, now()],
        )
    }

    /// An attempt failed with `status` as the outcome (`pending` to try again, `failed` to give up, or
    /// `sending` when in doubt). `count_attempt` is false when [`Outbox::mark_sending`] already counted it.
    /// `error` must already be masked.
    pub fn record_failure(
        &self,
        recipient: &str,
        status: Status,
        error: &str,
        count_attempt: bool,
    ) -> Result<(), SendError> {
        self.update(
            "UPDATE outbox SET status = ?3, attempts = attempts + ?4, last_error = ?5 \
             WHERE incident = ?1 AND recipient = ?2",
            params![
                self.incident,
                recipient,
                status.as_str(),
                i64::from(count_attempt),
                error
            ],
        )
    }

    /// Copies the WAL into the main file, so the database is one self-contained file at rest.
    pub fn checkpoint(&self) {
        if let Err(e) = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
            tracing::debug!(error = %e, "outbox checkpoint skipped");
        }
    }

    /// Counts per status.
    pub fn counts(&self) -> Result<OutboxCounts, SendError> {
        let mut counts = OutboxCounts::default();
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM outbox WHERE incident = ?1 GROUP BY status")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([self.incident], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(self.err())?;
        for row in rows {
            let (status, n) = row.map_err(self.err())?;
            let n = u64::try_from(n).unwrap_or(0);
            match Status::parse(&status) {
                Some(Status::Pending) => counts.pending += n,
                Some(Status::Sending) => counts.sending += n,
                Some(Status::Sent) => counts.sent += n,
                Some(Status::Failed) => counts.failed += n,
                None => {}
            }
        }
        Ok(counts)
    }
}

/// The counts of `incident`'s notices in the outbox at `db` (all zero when there is none yet).
pub fn outbox_status(db: &Path, incident: i64) -> Result<OutboxCounts, SendError> {
    if !db.exists() {
        return Ok(OutboxCounts::default());
    }
    Outbox::open(db, incident)?.counts()
}

/// The operator's answer to an in-doubt notice: the server's log shows it arrived, so it is marked `sent`
/// (and is never sent again). Only rows in doubt change; returns how many did.
pub fn confirm_delivered(
    db: &Path,
    incident: i64,
    recipients: &[String],
) -> Result<u64, SendError> {
    let outbox = Outbox::open(db, incident)?;
    let mut changed = 0;
    for recipient in recipients {
        changed += outbox
            .conn
            .execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?3, last_error = NULL \
                 WHERE incident = ?1 AND recipient = ?2 AND status = 'sending'",
                params![incident, recipient, now()],
            )
            .map_err(outbox.err())? as u64;
    }
    Ok(changed)
}
