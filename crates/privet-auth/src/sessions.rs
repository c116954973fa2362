//! Dashboard sessions: a random token in a cookie, stored as a hash, with the sign-in stage it reached and its
//! CSRF token.
//!
//! A session starts after the password ([`Stage::SecondFactor`] when the user has TOTP, [`Stage::Enrol`] when
//! MFA is mandatory and they have none yet, otherwise [`Stage::Full`]), and gets a *new* token each time it
//! moves up a stage, so a token seen before sign-in completed is worthless after (no session fixation). It ends
//! after [`SessionPolicy::idle`] without use or [`SessionPolicy::absolute`] after it started, at sign-out, and
//! when the user's password, role or status changes.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::control::Control;
use crate::users::{User, UserId};
use crate::{Result, secret};

/// How far a session got through sign-in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Password accepted; a TOTP or recovery code is still needed.
    SecondFactor,
    /// Password accepted; MFA is mandatory and the user must enrol before anything else.
    Enrol,
    /// Signed in.
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::SecondFactor => "second-factor",
            Stage::Enrol => "enrol",
            Stage::Full => "full",
        }
    }

    fn parse(s: &str) -> Stage {
        match s {
            "full" => Stage::Full,
            "enrol" => Stage::Enrol,
            _ => Stage::SecondFactor,
        }
    }
}

/// Session lifetimes.
#[derive(Copy, Clone, Debug)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute: Duration,
    /// A session that has not completed sign-in ends this long after the password (time to type a code).
    pub incomplete: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::hours(2),
            absolute: Duration::hours(12),
            incomplete: Duration::minutes(10),
        }
    }
}

/// A live session and its user.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub stage: Stage,
    /// The token every state-changing request of this session must echo (header `X-CSRF-Token` or form field
    /// `csrf`).
    pub csrf: String,
    pub created_at: DateTime<Utc>,
}

impl Control {
    /// Starts a session for `user` at `stage`; returns the cookie token (only its hash is stored).
    pub fn start_session(&self, user: UserId, stage: Stage, now: DateTime<Utc>) -> Result<String> {
        let token = secret::new_session_token();
        self.conn.lock().execute(
            "INSERT INTO sessions (token_hash, user_id, stage, csrf, created_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![
                secret::hash(&token),
                user,
                stage.as_str(),
                secret::new_session_token(),
                now.timestamp()
            ],
        )?;
        Ok(token)
    }

    /// The live session a cookie token names, if any; refreshes its idle timer. Ended and expired sessions,
    /// and sessions of disabled users, are `None`.
    pub fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        let hash = secret::hash(token);
        let row: Option<(UserId, String, String, i64, i64)> = self
            .conn
            .lock()
            .query_row(
                "SELECT user_id, stage, csrf, created_at, last_seen FROM sessions WHERE token_hash = ?1",
                params![hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((user_id, stage, csrf, created, last_seen)) = row else {
            return Ok(None);
        };
        let stage = Stage::parse(&stage);
        let policy = *self.session_policy.lock();
        let created_at = DateTime::from_timestamp(created, 0).unwrap_or(now);
        let last = DateTime::from_timestamp(last_seen, 0).unwrap_or(now);
        let expired = match stage {
            Stage::Full => now - last > policy.idle || now - created_at > policy.absolute,
            _ => now - created_at > policy.incomplete,
        };
        let user = self.user(user_id)?.filter(|u| u.disabled_at.is_none());
        let Some(user) = user.filter(|_| !expired) else {
            self.end_session(token)?;
            return Ok(None);
        };
        if now.timestamp() > last_seen + 30 {
            self.conn.lock().execute(
                "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
                params![hash, now.timestamp()],
            )?;
        }
        Ok(Some(Session {
            user,
            stage,
            csrf,
            created_at,
        }))
    }

    /// Moves a session to `stage` under a new token (the old one stops working); returns the new token.
    pub fn advance_session(
        &self,
        token: &str,
        stage: Stage,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let hash = secret::hash(token);
        let new = secret::new_session_token();
        let changed = self.conn.lock().execute(
            "UPDATE sessions SET token_hash = ?2, stage = ?3, csrf = ?4, created_at = ?5, last_seen = ?5
             WHERE token_hash = ?1",
            params![
                hash,
                secret::hash(&new),
                stage.as_str(),
                secret::new_session_token(),
                now.timestamp()
            ],
        )?;
        Ok((changed == 1).then_some(new))
    }

    /// Ends one session (sign-out).
    pub fn end_session(&self, token: &str) -> Result<()> {
        self.conn.lock().execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            params![secret::hash(token)],
        )?;
        Ok(())
    }

    /// Ends every session of a user (password, role or status changed).
    pub fn end_sessions_of(&self, user: UserId) -> Result<usize> {
        Ok(self
            .conn
            .lock()
            .execute("DELETE FROM sessions WHERE user_id = ?1", params![user])?)
    }

    /// Sets the session lifetimes (from the `[dashboard]` configuration).
    pub fn set_session_policy(&self, policy: SessionPolicy) {
        *self.session_policy.lock() = policy;
    }
}
