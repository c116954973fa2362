//! The control database: opening it, its schema (projects, keys, users, sessions, settings), and the
//! short-lived caches in front of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};

use crate::keys::ApiKey;
use crate::projects::Project;

/// File name of the control database inside the data directory.
pub const FILE_NAME: &str = "control.sqlite";

/// How long a successful token or key lookup is trusted before the database is asked again. Revoking a key
/// through the server takes effect at once; revoking it from another process takes effect within this time.
const CACHE_TTL: Duration = Duration::from_secs(2);

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    project_id  INTEGER REFERENCES projects(id),
    label       TEXT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE IF NOT EXISTS users (
    id                   INTEGER PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled_at          TEXT,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    last_sign_in_at      TEXT,
    totp_secret          BLOB,
    totp_pending         BLOB,
    totp_last_step       INTEGER
);
CREATE TABLE IF NOT EXISTS recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stage      TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#;

/// Handle to the control database. Cheap to share behind an `Arc`.
pub struct Control {
    pub(crate) conn: Mutex<Connection>,
    path: PathBuf,
    pub(crate) token_cache: Mutex<HashMap<String, (Project, Instant)>>,
    pub(crate) key_cache: Mutex<HashMap<String, (ApiKey, Instant)>>,
    pub(crate) session_policy: Mutex<crate::sessions::SessionPolicy>,
}

impl Control {
    /// Opens (creating if needed) the control database in `data_dir`.
    pub fn open(data_dir: &Path) -> crate::Result<Control> {
        let path = data_dir.join(FILE_NAME);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Control {
            conn: Mutex::new(conn),
            path,
            token_cache: Mutex::new(HashMap::new()),
            key_cache: Mutex::new(HashMap::new()),
            session_policy: Mutex::new(Default::default()),
        })
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn fresh(at: Instant) -> bool {
        at.elapsed() < CACHE_TTL
    }

    pub(crate) fn now() -> String {
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}
