//! "Am I affected?": a k-anonymous lookup in the style of Have I Been Pwned's range API.
//!
//! An assessment stores the SHA-256 of every normalised email address in the leak (and of its canonical form,
//! so `a.da+x@googlemail.com` finds `ada@gmail.com`). A visitor's browser hashes their own address and sends only
//! the first five hex characters; the server answers every stored suffix under that prefix, padded with decoys
//! to a fixed count, so neither the address nor the number of real matches leaves the browser or the server.
//! The browser compares locally. Decoys are derived from a secret of this data directory and the prefix, so the
//! same question always gets the same answer: asking twice and intersecting the answers reveals nothing.

use rand::RngCore;
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::assess::email;
use crate::{BreachError, Result};

/// Hex characters of a prefix.
pub const PREFIX_LEN: usize = 5;
/// Every answer holds a multiple of this many suffixes (real ones plus decoys).
pub const PAD_TO: usize = 16;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS exposed_hashes (
    incident INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    suffix TEXT NOT NULL,
    PRIMARY KEY (prefix, suffix, incident)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS range_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB NOT NULL
);
";

/// The secret the decoys derive from, created on first use.
fn secret(conn: &Connection) -> Result<Vec<u8>> {
    let mut fresh = [0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    conn.execute(
        "INSERT OR IGNORE INTO range_secret (id, secret) VALUES (1, ?1)",
        [&fresh[..]],
    )?;
    Ok(
        conn.query_row("SELECT secret FROM range_secret WHERE id = 1", [], |r| {
            r.get(0)
        })?,
    )
}

/// The `n`-th decoy suffix of `prefix`.
fn decoy(secret: &[u8], prefix: &str, n: usize) -> String {
    let mut h = Sha256::new();
    h.update(b"privet range decoy");
    h.update(secret);
    h.update(prefix.as_bytes());
    h.update((n as u64).to_le_bytes());
    hex::encode(h.finalize())[PREFIX_LEN..].to_string()
}

/// The hex SHA-256 of a normalised address.
pub fn hash(normalised: &str) -> String {
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

/// Stores the hashes of the leaked addresses of an incident (replacing an earlier assessment's).
pub fn store<'a>(
    conn: &mut Connection,
    incident: i64,
    addresses: impl IntoIterator<Item = &'a str>,
) -> Result<u64> {
    conn.execute_batch(SCHEMA)?;
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM exposed_hashes WHERE incident = ?1", [incident])?;
    let mut n = 0;
    {
        let mut insert = tx.prepare(
            "INSERT OR IGNORE INTO exposed_hashes (incident, prefix, suffix) VALUES (?1, ?2, ?3)",
        )?;
        for address in addresses {
            let Some(forms) = email::Forms::of(address) else {
                continue;
            };
            for form in forms.distinct() {
                let h = hash(form);
                n += insert.execute(params![incident, &h[..PREFIX_LEN], &h[PREFIX_LEN..]])? as u64;
            }
        }
    }
    tx.commit()?;
    Ok(n)
}

/// The suffixes stored under `prefix` (any incident), padded with decoys to a multiple of [`PAD_TO`] and sorted,
/// so the answer's size and order say nothing about how many are real; the decoys of a prefix are always the
/// same.
pub fn lookup(conn: &Connection, prefix: &str) -> Result<Vec<String>> {
    let prefix = prefix.to_ascii_lowercase();
    if prefix.len() != PREFIX_LEN || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BreachError::Invalid(format!(
            "a prefix is the first {PREFIX_LEN} hex characters of the SHA-256 of the trimmed, lower-cased email address"
        )));
    }
    conn.execute_batch(SCHEMA)?;
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT suffix FROM exposed_hashes WHERE prefix = ?1 ORDER BY suffix",
    )?;
    let mut suffixes: Vec<String> = stmt
        .query_map([&prefix], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let target = suffixes.len().div_ceil(PAD_TO).max(1) * PAD_TO;
    let secret = secret(conn)?;
    let mut n = 0;
    while suffixes.len() < target {
        let d = decoy(&secret, &prefix, n);
        n += 1;
        if !suffixes.contains(&d) {
            suffixes.push(d);
        }
    }
    suffixes.sort();
    Ok(suffixes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaked_address_is_found_by_prefix_among_decoys() {
        let mut conn = Connection::open_in_memory().unwrap();
        let n = store(
            &mut conn,
            1,
            [
                "Ada.Lovelace+news@GoogleMail.com ",
                "bob@example.com",
                "not an address",
            ],
        )
        .unwrap();
        assert!(n >= 3, "{n}");
        for asked in [
            "ada.lovelace+news@googlemail.com",
            "adalovelace@gmail.com",
            "bob@example.com",
        ] {
            let h = hash(asked);
            let answer = lookup(&conn, &h[..5].to_uppercase()).unwrap();
            assert_eq!(answer.len(), PAD_TO);
            assert!(answer.contains(&h[5..].to_string()), "{asked}");
            assert!(answer.iter().all(|s| s.len() == 59));
        }
        let h = hash("carol@example.com");
        let answer = lookup(&conn, &h[..5]).unwrap();
        assert_eq!(answer.len(), PAD_TO, "an unknown prefix is padded the same");
        // Asking again gives the same answer, so intersecting answers does not single out the real suffixes.
        assert_eq!(lookup(&conn, &h[..5]).unwrap(), answer);
        let bob = hash("bob@example.com");
        assert_eq!(
            lookup(&conn, &bob[..5]).unwrap(),
            lookup(&conn, &bob[..5].to_uppercase()).unwrap()
        );
        assert!(!answer.contains(&h[5..].to_string()));
        assert!(lookup(&conn, "abcz1").is_err());
        assert!(lookup(&conn, "abcd").is_err());
        // A new assessment of the same incident replaces the old hashes.
        store(&mut conn, 1, ["carol@example.com"]).unwrap();
        let h = hash("bob@example.com");
        assert!(
            !lookup(&conn, &h[..5])
                .unwrap()
                .contains(&h[5..].to_string())
        );
    }
}
