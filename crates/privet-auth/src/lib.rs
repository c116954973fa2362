//! Projects, API keys, dashboard users, sessions and roles.
//!
//! Privet's control database (`control.sqlite` in the data directory) holds who may do what: projects with their
//! ingestion tokens, API keys with a role and an optional project scope, and dashboard users (`users`) with
//! Argon2id passwords, TOTP second factors and their sessions (`sessions`). Machine secrets are shown once,
//! when they are created, and stored only as SHA-256 hashes (they are long random strings, so a fast hash is
//! enough and a stolen control database yields no usable credential); passwords, which people choose, get
//! Argon2id; TOTP secrets are sealed under a key derived from the vault's master key.

mod control;
mod keys;
mod projects;
mod role;
mod secret;
pub mod sessions;
mod settings;
pub mod users;

pub use control::Control;
pub use keys::{ApiKey, KeyId};
pub use projects::Project;
pub use role::{Permission, Role};
pub use secret::equal as secrets_equal;
pub use sessions::{Session, SessionPolicy, Stage};
pub use users::totp::{Enrolment, SecondFactor};
pub use users::{Refusal, User, UserId};

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
    // The address itself is never part of the message (error texts reach logs and screens).
    #[error("a user with this email address already exists; `privet user list` shows the users")]
    UserExists,
    #[error("no such user; `privet user list` shows the users and their ids")]
    NoSuchUser,
    #[error("that is not a usable email address (name@domain.tld, no spaces)")]
    BadEmail,
    #[error(
        "users can be admin, analyst or privacy-officer, not `{0}` (that role is for API keys)"
    )]
    BadUserRole(Role),
    #[error("the password is too weak: {0}")]
    WeakPassword(String),
    #[error("no authenticator enrolment is in progress; start again")]
    NoPendingEnrolment,
    #[error("this user has no second factor enrolled")]
    NoSecondFactor,
    #[error("{0}")]
    Crypto(String),
    #[error("the control database failed: {0}")]
    Database(#[from] rusqlite::Error),
}

/// Result alias for this crate.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;
