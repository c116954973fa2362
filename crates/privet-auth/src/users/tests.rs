//! Accounts: creation rules, passwords, lock-out, TOTP enrolment and replay, recovery codes, sessions.

use chrono::{Duration, Utc};
use privet_vault::crypto::Key;

use super::*;
use crate::sessions::{SessionPolicy, Stage};
use crate::users::totp::{SecondFactor, code_at};

const PASSWORD: &str = "a long enough passphrase";

fn control() -> (tempfile::TempDir, Control) {
    let dir = tempfile::tempdir().unwrap();
    let control = Control::open(dir.path()).unwrap();
    (dir, control)
}

#[test]
fn create_list_and_rules() {
    let (_dir, c) = control();
    let u = c
        .create_user(" Alice@Example.com ", Role::Analyst, PASSWORD, false)
        .unwrap();
    assert_eq!(u.email, "Alice@Example.com");
    assert!(matches!(
        c.create_user("alice@example.com", Role::Admin, PASSWORD, false),
        Err(AuthError::UserExists)
    ));
    assert!(matches!(
        c.create_user("bob@example.com", Role::Ingest, PASSWORD, false),
        Err(AuthError::BadUserRole(Role::Ingest))
    ));
    assert!(matches!(
        c.create_user("not-an-email", Role::Admin, PASSWORD, false),
        Err(AuthError::BadEmail)
    ));
    assert!(matches!(
        c.create_user("bob@example.com", Role::Admin, "short", false),
        Err(AuthError::WeakPassword(_))
    ));
    assert_eq!(c.user_count().unwrap(), 1);
    assert_eq!(c.find_user("ALICE@example.com").unwrap().id, u.id);
    assert_eq!(c.find_user(&u.id.to_string()).unwrap().email, u.email);
    assert!(matches!(
        c.find_user("nobody@x.io"),
        Err(AuthError::NoSuchUser)
    ));
}

#[test]
fn wrong_passwords_lock_the_account_then_unlock() {
    let (_dir, c) = control();
    let u = c
        .create_user("a@example.com", Role::Admin, PASSWORD, false)
        .unwrap();
    let now = Utc::now();
    assert_eq!(
        c.check_password("nobody@example.com", PASSWORD, now)
            .unwrap(),
        Err(Refusal::BadCredentials)
    );
    for _ in 0..MAX_FAILURES - 1 {
        assert_eq!(
            c.check_password("a@example.com", "wrong password!", now)
                .unwrap(),
            Err(Refusal::BadCredentials)
        );
    }
    let locked = c
        .check_password("a@example.com", "wrong password!", now)
        .unwrap();
    assert!(matches!(locked, Err(Refusal::Locked(_))), "{locked:?}");
    // The right password does not get in while locked ...
    assert!(matches!(
        c.check_password("a@example.com", PASSWORD, now).unwrap(),
        Err(Refusal::Locked(_))
    ));
    // ... but does after the lock-out, or after an admin unlocks.
    let later = now + LOCKOUT + Duration::seconds(1);
    assert!(
        c.check_password("a@example.com", PASSWORD, later)
            .unwrap()
            .is_ok()
    );
    for _ in 0..MAX_FAILURES {
        let _ = c
            .check_password("a@example.com", "wrong password!", now)
            .unwrap();
    }
    assert!(c.user(u.id).unwrap().unwrap().locked(now));
    c.unlock_user(u.id).unwrap();
    assert!(
        c.check_password("a@example.com", PASSWORD, now)
            .unwrap()
            .is_ok()
    );
    c.set_user_disabled(u.id, true).unwrap();
    assert_eq!(
        c.check_password("a@example.com", PASSWORD, now).unwrap(),
        Err(Refusal::Disabled)
    );
}

fn enrol(c: &Control, user: &User, key: &Key) -> (String, Vec<String>) {
    let enrolment = c.begin_totp(user, key).unwrap();
    assert!(
        enrolment.url.starts_with("otpauth://totp/Privet:"),
        "{}",
        enrolment.url
    );
    assert!(
        enrolment
            .url
            .contains(&format!("secret={}", enrolment.secret))
    );
    let now = Utc::now() - Duration::seconds(60);
    assert_eq!(c.confirm_totp(user, "000000x", key, now).unwrap(), None);
    let code = code_at(&enrolment.secret, now).unwrap();
    let codes = c.confirm_totp(user, &code, key, now).unwrap().unwrap();
    (enrolment.secret, codes)
}

#[test]
fn totp_enrolment_codes_and_replay() {
    let (_dir, c) = control();
    let key = Key::random();
    let u = c
        .create_user("a@example.com", Role::Admin, PASSWORD, false)
        .unwrap();
    let (secret, recovery) = enrol(&c, &u, &key);
    let u = c.user(u.id).unwrap().unwrap();
    assert!(u.mfa_enrolled);
    assert_eq!(recovery.len(), 10);
    let now = Utc::now();
    let code = code_at(&secret, now).unwrap();
    assert_eq!(
        c.check_second_factor(&u, &code, &key, now).unwrap(),
        Ok(SecondFactor::Totp)
    );
    // The same code again is a replay.
    assert_eq!(
        c.check_second_factor(&u, &code, &key, now).unwrap(),
        Err(Refusal::BadCode)
    );
    // A recovery code works once, in any case and with or without its dash.
    let spaced = recovery[3].to_uppercase().replace('-', " ");
    assert_eq!(
        c.check_second_factor(&u, &spaced, &key, now).unwrap(),
        Ok(SecondFactor::RecoveryCode { left: 9 })
    );
    assert_eq!(
        c.check_second_factor(&u, &recovery[3], &key, now).unwrap(),
        Err(Refusal::BadCode)
    );
    // A different key cannot open the secret: a stolen control database yields no second factor.
    assert!(matches!(
        c.check_second_factor(&u, &code, &Key::random(), now),
        Err(AuthError::NoSecondFactor)
    ));
    c.remove_totp(u.id).unwrap();
    assert!(!c.user(u.id).unwrap().unwrap().mfa_enrolled);
    assert_eq!(c.recovery_codes_left(u.id).unwrap(), 0);
}

#[test]
fn wrong_codes_count_towards_lock_out() {
    let (_dir, c) = control();
    let key = Key::random();
    let u = c
        .create_user("a@example.com", Role::Admin, PASSWORD, false)
        .unwrap();
    enrol(&c, &u, &key);
    let now = Utc::now();
    let mut last = Ok(SecondFactor::Totp);
    for _ in 0..MAX_FAILURES {
        let u = c.user(u.id).unwrap().unwrap();
        last = c.check_second_factor(&u, "123456", &key, now).unwrap();
    }
    assert!(matches!(last, Err(Refusal::Locked(_))), "{last:?}");
}

#[test]
fn sessions_expire_rotate_and_end() {
    let (_dir, c) = control();
    let u = c
        .create_user("a@example.com", Role::Analyst, PASSWORD, false)
        .unwrap();
    let now = Utc::now();
    let token = c.start_session(u.id, Stage::SecondFactor, now).unwrap();
    let s = c.session(&token, now).unwrap().unwrap();
    assert_eq!(s.stage, Stage::SecondFactor);
    assert_eq!(s.csrf.len(), 64);
    // An unfinished sign-in expires quickly.
    let policy = SessionPolicy::default();
    assert!(
        c.session(&token, now + policy.incomplete + Duration::seconds(1))
            .unwrap()
            .is_none()
    );

    let token = c.start_session(u.id, Stage::SecondFactor, now).unwrap();
    let full = c
        .advance_session(&token, Stage::Full, now)
        .unwrap()
        .unwrap();
    assert!(
        c.session(&token, now).unwrap().is_none(),
        "the old token is dead"
    );
    let s = c.session(&full, now).unwrap().unwrap();
    assert_eq!(s.stage, Stage::Full);
    assert!(
        c.session(&full, now + policy.idle - Duration::minutes(1))
            .unwrap()
            .is_some()
    );
    assert!(
        c.session(&full, now + policy.absolute + Duration::minutes(1))
            .unwrap()
            .is_none()
    );

    let a = c.start_session(u.id, Stage::Full, now).unwrap();
    let b = c.start_session(u.id, Stage::Full, now).unwrap();
    c.end_session(&a).unwrap();
    assert!(c.session(&a, now).unwrap().is_none());
    assert!(c.session(&b, now).unwrap().is_some());
    // A role change ends every session, so the new role applies at once.
    c.set_user_role(u.id, Role::PrivacyOfficer).unwrap();
    assert!(c.session(&b, now).unwrap().is_none());
}

#[test]
fn setup_token_only_while_no_user_exists() {
    let (_dir, c) = control();
    let token = c.issue_setup_token().unwrap().unwrap();
    assert!(c.check_setup_token(&token).unwrap());
    assert!(!c.check_setup_token("wrong").unwrap());
    let again = c.issue_setup_token().unwrap().unwrap();
    assert!(
        !c.check_setup_token(&token).unwrap(),
        "a new token replaces the old"
    );
    c.create_user("a@example.com", Role::Admin, PASSWORD, false)
        .unwrap();
    assert!(!c.check_setup_token(&again).unwrap());
    assert_eq!(c.issue_setup_token().unwrap(), None);
    assert!(!c.require_mfa().unwrap());
    c.set_require_mfa(true).unwrap();
    assert!(c.require_mfa().unwrap());
}
