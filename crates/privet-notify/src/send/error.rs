//! The error type of delivery. Every message says what was wrong and what to do, and none carries an
//! email address: texts that may contain one (server replies, address parse errors) are masked first.

use std::path::PathBuf;

/// Why a delivery (or a dry run, or a status query) could not go on.
///
/// Per-recipient failures (a rejected address, retries exhausted) are not errors: they are reported in the
/// [`Tally`](super::Tally) and the outbox, and the run continues with the other recipients.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// A setting is missing or invalid; the message names it.
    #[error("{0}")]
    Config(String),
    /// A message could not be composed (bad recipient key, duplicate key, …); the message names the key.
    #[error("{0}")]
    Message(String),
    /// The outbox database could not be read or written.
    #[error(
        "outbox database {}: {source}; check that the file is a Privet outbox and that its folder is writable",
        path.display()
    )]
    Outbox {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// Another `deliver` holds the outbox.
    #[error(
        "another delivery is already using the outbox {} (its lock file {} is held); wait for it to finish — \
         running two at once could send a notice twice",
        path.display(), lock.display()
    )]
    Busy { path: PathBuf, lock: PathBuf },
    /// The SMTP server could not be used at all (unreachable, TLS or authentication refused). Messages not
    /// yet handed over stay `pending` in the outbox; run again once the cause is fixed.
    #[error("{0}")]
    Smtp(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SendError {
    pub(crate) fn outbox(path: &std::path::Path) -> impl FnOnce(rusqlite::Error) -> SendError + '_ {
        move |source| SendError::Outbox {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SendError + '_ {
        move |source| SendError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
