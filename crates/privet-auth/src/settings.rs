//! Settings an admin changes at run time (kept in the control database): whether MFA is mandatory, and the
//! one-time set-up token that creates the first admin.

use rusqlite::{OptionalExtension, params};

use crate::control::Control;
use crate::{Result, secret};

const REQUIRE_MFA: &str = "require_mfa";
const SETUP_TOKEN: &str = "setup_token_hash";

impl Control {
    fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .lock()
            .query_row(
                "SELECT value FROM settings WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn set_setting(&self, name: &str, value: Option<&str>) -> Result<()> {
        let conn = self.conn.lock();
        match value {
            Some(v) => conn.execute(
                "INSERT INTO settings (name, value) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                params![name, v],
            )?,
            None => conn.execute("DELETE FROM settings WHERE name = ?1", params![name])?,
        };
        Ok(())
    }

    /// Whether every user must use a second factor.
    pub fn require_mfa(&self) -> Result<bool> {
        Ok(self.setting(REQUIRE_MFA)?.as_deref() == Some("true"))
    }

    /// Makes MFA mandatory (users without it must enrol at their next sign-in) or optional.
    pub fn set_require_mfa(&self, on: bool) -> Result<()> {
        self.set_setting(REQUIRE_MFA, Some(if on { "true" } else { "false" }))
    }

    /// Issues a new one-time set-up token (replacing any earlier one) while no user exists; `None` once there
    /// are users.
    pub fn issue_setup_token(&self) -> Result<Option<String>> {
        if self.user_count()? > 0 {
            self.set_setting(SETUP_TOKEN, None)?;
            return Ok(None);
        }
        let token = secret::new_session_token();
        self.set_setting(SETUP_TOKEN, Some(&secret::hash(&token)))?;
        Ok(Some(token))
    }

    /// Whether `token` is the current set-up token (and no user exists yet).
    pub fn check_setup_token(&self, token: &str) -> Result<bool> {
        let stored = self.setting(SETUP_TOKEN)?;
        Ok(self.user_count()? == 0
            && stored.is_some_and(|h| secret::equal(&h, &secret::hash(token))))
    }

    /// Spends the set-up token (after the first admin was created).
    pub fn clear_setup_token(&self) -> Result<()> {
        self.set_setting(SETUP_TOKEN, None)
    }
}
