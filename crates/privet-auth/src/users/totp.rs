//! The second factor: TOTP (RFC 6238, the codes of every authenticator app) and single-use recovery codes.
//!
//! Enrolment has two steps, so that a mistyped set-up never locks anyone out: [`Control::begin_totp`] stores a
//! new secret as *pending* and returns it (as an `otpauth://` URL for the QR code, and in base32 for typing);
//! [`Control::confirm_totp`] activates it once the user proves their app has it by typing a valid code, and
//! returns ten recovery codes, shown once and stored as hashes.
//!
//! Secrets are sealed (XChaCha20-Poly1305) under a key derived from the vault's master key, so a copy of the
//! control database does not yield anyone's second factor. A code's time step is remembered once used, so a
//! code seen over someone's shoulder cannot be replayed (RFC 6238 §5.2).

use chrono::{DateTime, Utc};
use privet_vault::crypto::Key;
use rand::RngCore;
use rusqlite::params;
use totp_rs::{Builder, Totp};

use super::{Refusal, User, UserId};
use crate::control::Control;
use crate::{AuthError, Result, secret};

/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Privet";
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

/// What a new enrolment shows the user.
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// `otpauth://totp/Privet:alice@example.com?secret=…&issuer=Privet`, for the QR code.
    pub url: String,
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
}

/// Which second factor was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    /// A recovery code, now spent; this many are left.
    RecoveryCode {
        left: usize,
    },
}

fn aad(user: UserId) -> Vec<u8> {
    format!("privet totp user {user}").into_bytes()
}

fn totp(secret: Vec<u8>, account: &str) -> Result<Totp> {
    Builder::new()
        .with_secret(secret)
        .with_account_name(account.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AuthError::Crypto(format!("cannot set up TOTP: {e:?}")))
}

/// A recovery code: `xxxxx-xxxxx` in readable characters (≈ 49 bits).
fn new_recovery_code() -> String {
    format!("{}-{}", secret::readable(5), secret::readable(5))
}

fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Control {
    /// Starts (or restarts) enrolment: a new pending secret, sealed under `key`.
    pub fn begin_totp(&self, user: &User, key: &Key) -> Result<Enrolment> {
        let mut raw = vec![0u8; 20];
        rand::rng().fill_bytes(&mut raw);
        let totp = totp(raw.clone(), &user.email)?;
        self.conn.lock().execute(
            "UPDATE users SET totp_pending = ?2 WHERE id = ?1",
            params![user.id, key.seal(&raw, &aad(user.id))],
        )?;
        Ok(Enrolment {
            url: totp
                .to_url()
                .map_err(|e| AuthError::Crypto(format!("{e:?}")))?,
            secret: totp.secret().to_base32(),
        })
    }

    /// The enrolment in progress, to show again after a mistyped code (`None` when there is none).
    pub fn pending_totp(&self, user: &User, key: &Key) -> Result<Option<Enrolment>> {
        let pending: Option<Vec<u8>> = self.conn.lock().query_row(
            "SELECT totp_pending FROM users WHERE id = ?1",
            params![user.id],
            |r| r.get(0),
        )?;
        let Some(raw) = pending.and_then(|blob| key.open(&blob, &aad(user.id))) else {
            return Ok(None);
        };
        let totp = totp(raw, &user.email)?;
        Ok(Some(Enrolment {
            url: totp
                .to_url()
                .map_err(|e| AuthError::Crypto(format!("{e:?}")))?,
            secret: totp.secret().to_base32(),
        }))
    }

    /// Finishes enrolment with a code from the app: the pending secret becomes the user's second factor.
    /// Returns the recovery codes (shown once), or `None` when the code is wrong.
    pub fn confirm_totp(
        &self,
        user: &User,
        code: &str,
        key: &Key,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<String>>> {
        let pending: Option<Vec<u8>> = self.conn.lock().query_row(
            "SELECT totp_pending FROM users WHERE id = ?1",
            params![user.id],
            |r| r.get(0),
        )?;
        let raw = pending
            .and_then(|blob| key.open(&blob, &aad(user.id)))
            .ok_or(AuthError::NoPendingEnrolment)?;
        let Some(step) = totp(raw.clone(), &user.email)?.check(code.trim(), unix(now)) else {
            return Ok(None);
        };
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE users SET totp_secret = ?2, totp_pending = NULL, totp_last_step = ?3 WHERE id = ?1",
            params![user.id, key.seal(&raw, &aad(user.id)), step as i64],
        )?;
        tx.execute(
            "DELETE FROM recovery_codes WHERE user_id = ?1",
            params![user.id],
        )?;
        for code in &codes {
            tx.execute(
                "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)",
                params![user.id, secret::hash(&normalise_code(code))],
            )?;
        }
        tx.commit()?;
        Ok(Some(codes))
    }

    /// Removes a user's second factor and recovery codes (an admin's reset for a lost phone, or the user's
    /// own choice when MFA is not mandatory).
    pub fn remove_totp(&self, id: UserId) -> Result<()> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = ?1",
            params![id],
        )?;
        tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", params![id])?;
        tx.commit()?;
        if changed == 0 {
            return Err(AuthError::NoSuchUser);
        }
        Ok(())
    }

    /// Second factor: a current TOTP code (each time step accepted once) or an unused recovery code. Failures
    /// count towards the lock-out, like wrong passwords.
    pub fn check_second_factor(
        &self,
        user: &User,
        code: &str,
        key: &Key,
        now: DateTime<Utc>,
    ) -> Result<Result<SecondFactor, Refusal>> {
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            return Ok(Err(Refusal::Locked(until)));
        }
        let (sealed, last_step): (Option<Vec<u8>>, Option<i64>) = self.conn.lock().query_row(
            "SELECT totp_secret, totp_last_step FROM users WHERE id = ?1",
            params![user.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let raw = sealed
            .and_then(|blob| key.open(&blob, &aad(user.id)))
            .ok_or(AuthError::NoSecondFactor)?;
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
            let step = totp(raw, &user.email)?.check(&digits, unix(now));
            if let Some(step) = step.filter(|s| last_step.is_none_or(|last| (*s as i64) > last)) {
                // Only a later step than the last one used: a replayed (or older) code is refused.
                let updated = self.conn.lock().execute(
                    "UPDATE users SET totp_last_step = ?2 WHERE id = ?1
                     AND (totp_last_step IS NULL OR totp_last_step < ?2)",
                    params![user.id, step as i64],
                )?;
                if updated == 1 {
                    return Ok(Ok(SecondFactor::Totp));
                }
            }
        } else if let Some(left) = self.spend_recovery_code(user.id, code)? {
            return Ok(Ok(SecondFactor::RecoveryCode { left }));
        }
        Ok(Err(self.record_failure(user, now, Refusal::BadCode)?))
    }

    /// How many unused recovery codes a user has.
    pub fn recovery_codes_left(&self, id: UserId) -> Result<usize> {
        let n: i64 = self.conn.lock().query_row(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
            params![id],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    fn spend_recovery_code(&self, id: UserId, code: &str) -> Result<Option<usize>> {
        let hash = secret::hash(&normalise_code(code));
        let spent = self.conn.lock().execute(
            "UPDATE recovery_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
            params![id, hash, Self::now()],
        )?;
        if spent == 0 {
            return Ok(None);
        }
        Ok(Some(self.recovery_codes_left(id)?))
    }
}

fn unix(now: DateTime<Utc>) -> u64 {
    now.timestamp().max(0) as u64
}

/// The code an authenticator app shows for `secret_base32` at `now` (for tests and `privet user` diagnostics).
pub fn code_at(secret_base32: &str, now: DateTime<Utc>) -> Result<String> {
    let raw = totp_rs::Secret::try_from_base32(secret_base32)
        .map_err(|e| AuthError::Crypto(format!("not a base32 TOTP secret: {e:?}")))?;
    let totp = totp(raw.as_ref().to_vec(), "x")?;
    Ok(totp.generate(unix(now)).to_string())
}
