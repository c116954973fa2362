//! Dashboard accounts: users with a role, an Argon2id password, an optional TOTP second factor with recovery
//! codes, and lock-out after repeated failures.
//!
//! A user signs in with email and password, then (when enrolled) a TOTP code or a recovery code. Every failure,
//! of either factor, counts towards the lock-out: after [`MAX_FAILURES`] in a row the account is locked for
//! [`LOCKOUT`], and an admin can unlock it early (`privet user unlock`). Disabled users cannot sign in at all.

pub mod password;
pub mod totp;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use crate::control::Control;
use crate::role::Role;
use crate::{AuthError, Result};

/// Failures in a row (passwords and codes) after which an account is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT: Duration = Duration::minutes(15);

/// The id of a user, safe to log and to record in the audit log (the email is not).
pub type UserId = i64;

/// A dashboard user (never their password or TOTP secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub created_at: String,
    pub disabled_at: Option<String>,
    /// Whether a TOTP second factor is enrolled.
    pub mfa_enrolled: bool,
    /// Until when the account is locked after repeated failures.
    pub locked_until: Option<DateTime<Utc>>,
    /// Failures since the last successful sign-in.
    pub failed_logins: u32,
    /// Set for passwords an admin chose (`privet user create`): the user is asked to pick their own.
    pub must_change_password: bool,
}

impl User {
    /// Whether the account is locked at `now`.
    pub fn locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    fn from_row(row: &Row<'_>) -> rusqlite::Result<User> {
        let role: String = row.get(2)?;
        let locked: Option<String> = row.get(6)?;
        Ok(User {
            id: row.get(0)?,
            email: row.get(1)?,
            role: role.parse().unwrap_or(Role::Analyst),
            created_at: row.get(3)?,
            disabled_at: row.get(4)?,
            mfa_enrolled: row.get::<_, Option<Vec<u8>>>(5)?.is_some(),
            locked_until: locked
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
            failed_logins: row.get(7)?,
            must_change_password: row.get(8)?,
        })
    }
}

const COLUMNS: &str = "id, email, role, created_at, disabled_at, totp_secret, locked_until, failed_logins, must_change_password";

/// Why a sign-in step was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown email or wrong password (deliberately indistinguishable to the caller).
    BadCredentials,
    /// Wrong, malformed or already used second-factor code.
    BadCode,
    /// Too many failures; try again after this time.
    Locked(DateTime<Utc>),
    /// An admin disabled the account.
    Disabled,
}

impl Refusal {
    /// What the sign-in page says.
    pub fn message(&self) -> String {
        match self {
            Refusal::BadCredentials => "The email address or the password is wrong.".into(),
            Refusal::BadCode => {
                "That code is wrong or was already used; wait for the next one.".into()
            }
            Refusal::Locked(until) => format!(
                "Too many failed attempts: the account is locked until {} UTC. An admin can unlock it sooner.",
                until.format("%H:%M")
            ),
            Refusal::Disabled => "This account is disabled; ask an admin.".into(),
        }
    }
}

/// Normalises an email address for accounts: trimmed; compared case-insensitively by the database.
fn normalise(email: &str) -> Result<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(AuthError::BadEmail);
    }
    Ok(email.to_string())
}

impl Control {
    /// Creates a user with `password` (checked against the rules). `must_change` asks them to choose their own
    /// at the first sign-in (for passwords an admin generated).
    pub fn create_user(
        &self,
        email: &str,
        role: Role,
        password: &str,
        must_change: bool,
    ) -> Result<User> {
        let email = normalise(email)?;
        if !Role::USER.contains(&role) {
            return Err(AuthError::BadUserRole(role));
        }
        password::check_new(password, &email)?;
        let hash = password::hash(password)?;
        let now = Self::now();
        let inserted = self.conn.lock().execute(
            "INSERT INTO users (email, role, password_hash, created_at, password_changed_at, must_change_password)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT(email) DO NOTHING",
            params![email, role.as_str(), hash, now, must_change],
        )?;
        if inserted == 0 {
            return Err(AuthError::UserExists);
        }
        self.user_by_email(&email)?.ok_or(AuthError::NoSuchUser)
    }

    /// Every user, oldest first.
    pub fn users(&self) -> Result<Vec<User>> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM users ORDER BY id"))?;
        let rows = stmt.query_map([], User::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many users exist (the first start offers a set-up link while there are none).
    pub fn user_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .lock()
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
    }

    /// The user with this id.
    pub fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(self
            .conn
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
                params![id],
                User::from_row,
            )
            .optional()?)
    }

    /// The user with this email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(self
            .conn
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM users WHERE email = ?1"),
                params![email.trim()],
                User::from_row,
            )
            .optional()?)
    }

    /// The user named by an id (`12`) or an email, or an error saying how to find them.
    pub fn find_user(&self, id_or_email: &str) -> Result<User> {
        let found = match id_or_email.parse::<UserId>() {
            Ok(id) => self.user(id)?,
            Err(_) => self.user_by_email(id_or_email)?,
        };
        found.ok_or(AuthError::NoSuchUser)
    }

    /// Changes a user's role; their sessions end so that the new role applies at once.
    pub fn set_user_role(&self, id: UserId, role: Role) -> Result<User> {
        if !Role::USER.contains(&role) {
            return Err(AuthError::BadUserRole(role));
        }
        self.update_user(
            id,
            "UPDATE users SET role = ?2 WHERE id = ?1",
            role.as_str(),
        )?;
        self.end_sessions_of(id)?;
        self.find_user(&id.to_string())
    }

    /// Disables (or re-enables) an account; disabling ends its sessions.
    pub fn set_user_disabled(&self, id: UserId, disabled: bool) -> Result<User> {
        let at = disabled.then(Self::now);
        self.update_user(id, "UPDATE users SET disabled_at = ?2 WHERE id = ?1", at)?;
        if disabled {
            self.end_sessions_of(id)?;
        }
        self.find_user(&id.to_string())
    }

    /// Lifts a lock-out and clears the failure count.
    pub fn unlock_user(&self, id: UserId) -> Result<User> {
        self.update_user(
            id,
            "UPDATE users SET locked_until = ?2, failed_logins = 0 WHERE id = ?1",
            None::<String>,
        )?;
        self.find_user(&id.to_string())
    }

    /// Sets a new password (checked against the rules) and ends the user's other sessions.
    pub fn set_password(&self, id: UserId, new_password: &str, must_change: bool) -> Result<()> {
        let user = self.find_user(&id.to_string())?;
        password::check_new(new_password, &user.email)?;
        let hash = password::hash(new_password)?;
        self.conn.lock().execute(
            "UPDATE users SET password_hash = ?2, password_changed_at = ?3, must_change_password = ?4
             WHERE id = ?1",
            params![id, hash, Self::now(), must_change],
        )?;
        self.end_sessions_of(id)?;
        Ok(())
    }

    /// First factor: the email and password. Unknown addresses cost as much time as wrong passwords. A wrong
    /// password counts as a failure towards the lock-out.
    pub fn check_password(
        &self,
        email: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<User, Refusal>> {
        let stored: Option<(User, String)> = self
            .conn
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS}, password_hash FROM users WHERE email = ?1"),
                params![email.trim()],
                |row| Ok((User::from_row(row)?, row.get(9)?)),
            )
            .optional()?;
        let Some((user, hash)) = stored else {
            password::verify(password, password::decoy());
            return Ok(Err(Refusal::BadCredentials));
        };
        if user.disabled_at.is_some() {
            password::verify(password, password::decoy());
            return Ok(Err(Refusal::Disabled));
        }
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            return Ok(Err(Refusal::Locked(until)));
        }
        if !password::verify(password, &hash) {
            return Ok(Err(self.record_failure(
                &user,
                now,
                Refusal::BadCredentials,
            )?));
        }
        Ok(Ok(user))
    }

    /// Counts a failed sign-in step; returns the refusal to show (a lock-out once the limit is reached).
    pub(crate) fn record_failure(
        &self,
        user: &User,
        now: DateTime<Utc>,
        refusal: Refusal,
    ) -> Result<Refusal> {
        let failures = user.failed_logins + 1;
        let locked = (failures >= MAX_FAILURES).then(|| now + LOCKOUT);
        self.conn.lock().execute(
            "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
            params![
                user.id,
                if locked.is_some() { 0 } else { failures },
                locked.map(|t| t.to_rfc3339())
            ],
        )?;
        Ok(locked.map_or(refusal, Refusal::Locked))
    }

    /// Clears the failure count after a complete sign-in.
    pub fn record_sign_in(&self, id: UserId) -> Result<()> {
        self.conn.lock().execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_sign_in_at = ?2 WHERE id = ?1",
            params![id, Self::now()],
        )?;
        Ok(())
    }

    fn update_user(&self, id: UserId, sql: &str, value: impl rusqlite::ToSql) -> Result<()> {
        let changed = self.conn.lock().execute(sql, params![id, value])?;
        if changed == 0 {
            return Err(AuthError::NoSuchUser);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
