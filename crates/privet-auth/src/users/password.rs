//! Password hashing with Argon2id (OWASP's first choice), and the rules a new password must follow.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::AuthError;

/// The shortest password accepted. Length beats composition rules (NIST SP 800-63B).
pub const MIN_LENGTH: usize = 12;
/// The longest password accepted (hashing cost grows with length; nobody types more).
pub const MAX_LENGTH: usize = 256;

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`), with a random salt.
pub fn hash(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Crypto(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the stored PHC string. Malformed hashes never match.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash that matches no password, verified when the account does not exist so that a wrong address takes as
/// long to refuse as a wrong password (no account enumeration by timing).
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("privet decoy password, never valid").expect("argon2 works"))
}

/// A password for an account an admin creates: four groups of six characters from an alphabet without look-alike
/// characters (about 117 bits), e.g. `k3m9xa-p2qr7t-…`.
pub fn generate() -> String {
    (0..4)
        .map(|_| crate::secret::readable(6))
        .collect::<Vec<_>>()
        .join("-")
}

/// Checks a new password against the rules; the message says what to change.
pub fn check_new(password: &str, email: &str) -> Result<(), AuthError> {
    let length = password.chars().count();
    let problem = if length < MIN_LENGTH {
        Some(format!(
            "use at least {MIN_LENGTH} characters (a few unrelated words work well)"
        ))
    } else if length > MAX_LENGTH {
        Some(format!("use at most {MAX_LENGTH} characters"))
    } else if password.trim().eq_ignore_ascii_case(email.trim()) {
        Some("do not use your email address as your password".into())
    } else if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        Some("do not repeat one character".into())
    } else {
        None
    };
    match problem {
        Some(p) => Err(AuthError::WeakPassword(p)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterY", &a));
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("privet decoy password", decoy()));
    }

    #[test]
    fn rules() {
        assert!(check_new("short", "a@b.c").is_err());
        assert!(check_new("aaaaaaaaaaaaaaaa", "a@b.c").is_err());
        assert!(check_new("alice@example.com", "Alice@example.com").is_err());
        assert!(check_new(&"x".repeat(300), "a@b.c").is_err());
        assert!(check_new("four unrelated words", "a@b.c").is_ok());
        let generated = generate();
        assert_eq!(generated.len(), 27);
        assert!(check_new(&generated, "a@b.c").is_ok());
    }
}
