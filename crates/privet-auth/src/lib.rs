//! Projects, API keys and roles.
//!
//! Privet's control database (`control.sqlite` in the data directory) holds who may do what: projects with their
//! ingestion tokens, and API keys with a role and an optional project scope. Secrets are shown once, when they
//! are created, and stored only as SHA-256 hashes (they are long random strings, so a fast hash is enough and a
//! stolen control database yields no usable credential).

mod control;
mod keys;
mod projects;
mod role;
mod secret;

pub use control::Control;
pub use keys::{ApiKey, KeyId};
pub use projects::Project;
pub use role::{Permission, Role};

/// Errors from the control database.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("a project named `{0}` already exists; pick another name")]
    ProjectExists(String),
    #[error("no project named `{0}`; `privet project list` shows the projects")]
    NoSuchProject(String),
    #[error(
        "`{0}` is not a valid project name: use 1 to 63 lowercase letters, digits, `-` or `_`, starting with a letter or digit"
    )]
    BadProjectName(String),
    #[error("no key with id `{0}`; `privet key list` shows the keys")]
    NoSuchKey(String),
    #[error("the control database failed: {0}")]
    Database(#[from] rusqlite::Error),
}

/// Result alias for this crate.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;
