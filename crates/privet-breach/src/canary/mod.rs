//! Canary records: synthetic people and organisations, one set per place data goes, so that a leaked dataset
//! says where it leaked from.
//!
//! `privet canary plant --for NAME` creates a canary for a destination (a vendor, an export, an API key): a
//! realistic, unique name, an address on a domain the controller receives mail for (`breach.canary_domain`), a
//! user id and an organisation. The ledger (`canaries` in `incidents.sqlite`) remembers what went where and
//! when. [`crate::assess`] reports any canary found in a leak, and `POST /api/canary/hit` lets a mail server
//! report mail arriving at a canary address: somebody is using the leaked list.
//!
//! Canaries are not personal data, so the ledger keeps their values in clear.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::seq::IndexedRandom;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::incident::{from_micros, micros};
use crate::{BreachError, Result};

/// One planted canary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canary {
    pub id: i64,
    /// The destination it was planted for.
    pub planted_for: String,
    /// `vendor`, `export` or `key`.
    pub kind: String,
    pub name: String,
    pub email: String,
    pub user_id: String,
    pub org_id: String,
    pub org_name: String,
    pub planted_at: DateTime<Utc>,
}

/// Mail that reached a canary address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryHit {
    pub canary: i64,
    pub planted_for: String,
    pub planted_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The sender the mail claimed (the phishing campaign's address).
    pub from: Option<String>,
    pub subject: Option<String>,
}

/// Kinds of destination a canary can be planted for.
pub const KINDS: [&str; 3] = ["vendor", "export", "key"];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS canaries (
    id INTEGER PRIMARY KEY,
    planted_for TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL UNIQUE,
    org_name TEXT NOT NULL,
    planted_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS canary_hits (
    canary INTEGER NOT NULL REFERENCES canaries(id),
    received_at INTEGER NOT NULL,
    sender TEXT,
    subject TEXT
);
";

/// The canary ledger, in the incident database.
pub struct Ledger<'a> {
    conn: &'a Connection,
}

impl<'a> Ledger<'a> {
    pub fn new(conn: &'a Connection) -> Result<Ledger<'a>> {
        conn.execute_batch(SCHEMA)?;
        Ok(Ledger { conn })
    }

    /// Plants a new canary for `planted_for`, with an address at `domain`.
    pub fn plant(
        &self,
        planted_for: &str,
        kind: &str,
        domain: &str,
        now: DateTime<Utc>,
    ) -> Result<Canary> {
        if planted_for.trim().is_empty() {
            return Err(BreachError::Invalid(
                "say where the canary goes with --for NAME (a vendor, an export or a key)".into(),
            ));
        }
        if !KINDS.contains(&kind) {
            return Err(BreachError::Invalid(format!(
                "unknown canary kind {kind:?}; use one of {}",
                KINDS.join(", ")
            )));
        }
        let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
        if !domain.contains('.') || domain.contains(char::is_whitespace) {
            return Err(BreachError::Invalid(format!(
                "{domain:?} is not a mail domain; set breach.canary_domain to a domain you receive mail for"
            )));
        }
        let mut rng = rand::rng();
        // Names are drawn until one is new; the numbers make collisions rare, the UNIQUE keys make them impossible.
        for _ in 0..100 {
            let first = *FIRST_NAMES.choose(&mut rng).expect("non-empty");
            let last = *LAST_NAMES.choose(&mut rng).expect("non-empty");
            let name = format!("{first} {last}");
            let email = format!(
                "{}.{}{}@{domain}",
                ascii_lower(first),
                ascii_lower(last),
                rng.random_range(10..100)
            );
            let user_id = format!("{:016x}", rng.random::<u64>());
            let org_word = *ORG_WORDS.choose(&mut rng).expect("non-empty");
            let org_name = format!("{last} {org_word}");
            let org_id = format!("org-{:012x}", rng.random::<u64>() >> 16);
            let inserted = self.conn.execute(
                "INSERT OR IGNORE INTO canaries (planted_for, kind, name, email, user_id, org_id, org_name, planted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![planted_for.trim(), kind, name, email, user_id, org_id, org_name, micros(now)],
            )?;
            if inserted == 1 {
                return self.get(self.conn.last_insert_rowid());
            }
        }
        Err(BreachError::Invalid(
            "could not find an unused canary name after 100 tries".into(),
        ))
    }

    pub fn get(&self, id: i64) -> Result<Canary> {
        self.conn
            .query_row(
                "SELECT id, planted_for, kind, name, email, user_id, org_id, org_name, planted_at
                 FROM canaries WHERE id = ?1",
                [id],
                row_to_canary,
            )
            .optional()?
            .ok_or_else(|| BreachError::Invalid(format!("there is no canary {id}")))
    }

    /// Removes a canary that never left (its planting failed), so the ledger only lists what went somewhere.
    pub fn forget(&self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM canaries WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM canary_hits WHERE canary = ?1)", [id])?;
        Ok(())
    }

    /// Every canary, oldest first.
    pub fn list(&self) -> Result<Vec<Canary>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, planted_for, kind, name, email, user_id, org_id, org_name, planted_at
             FROM canaries ORDER BY id",
        )?;
        let rows = stmt.query_map([], row_to_canary)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records mail that reached `address`; `None` when the address is not a canary.
    pub fn record_hit(
        &self,
        address: &str,
        received_at: DateTime<Utc>,
        from: Option<&str>,
        subject: Option<&str>,
    ) -> Result<Option<CanaryHit>> {
        let address = address.trim().to_lowercase();
        let Some(canary) = self
            .conn
            .query_row(
                "SELECT id, planted_for, kind, name, email, user_id, org_id, org_name, planted_at
                 FROM canaries WHERE email = ?1",
                [&address],
                row_to_canary,
            )
            .optional()?
        else {
            return Ok(None);
        };
        self.conn.execute(
            "INSERT INTO canary_hits (canary, received_at, sender, subject) VALUES (?1, ?2, ?3, ?4)",
            params![canary.id, micros(received_at), from, subject],
        )?;
        Ok(Some(CanaryHit {
            canary: canary.id,
            planted_for: canary.planted_for,
            planted_at: canary.planted_at,
            received_at,
            from: from.map(str::to_string),
            subject: subject.map(str::to_string),
        }))
    }

    /// Every recorded hit, newest first.
    pub fn hits(&self) -> Result<Vec<CanaryHit>> {
        let mut stmt = self.conn.prepare(
            "SELECT h.canary, c.planted_for, c.planted_at, h.received_at, h.sender, h.subject
             FROM canary_hits h JOIN canaries c ON c.id = h.canary ORDER BY h.received_at DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CanaryHit {
                canary: r.get(0)?,
                planted_for: r.get(1)?,
                planted_at: from_micros(r.get(2)?),
                received_at: from_micros(r.get(3)?),
                from: r.get(4)?,
                subject: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn row_to_canary(r: &rusqlite::Row<'_>) -> rusqlite::Result<Canary> {
    Ok(Canary {
        id: r.get(0)?,
        planted_for: r.get(1)?,
        kind: r.get(2)?,
        name: r.get(3)?,
        email: r.get(4)?,
        user_id: r.get(5)?,
        org_id: r.get(6)?,
        org_name: r.get(7)?,
        planted_at: from_micros(r.get(8)?),
    })
}

/// The ASCII letters of a name, lower-cased (`Zoë` → `zo`), for the local part of an address.
fn ascii_lower(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Common given names from many languages: canaries should look like the people around them.
const FIRST_NAMES: &[&str] = &[
    "Amara", "Lukas", "Sofia", "Mateo", "Leila", "Jonas", "Priya", "Tomas", "Elena", "Omar",
    "Ingrid", "Kenji", "Nadia", "Pieter", "Chloe", "Ravi", "Marta", "Felix", "Yara", "Dmitri",
    "Aisha", "Henrik", "Lucia", "Samir", "Freya", "Andres", "Mei", "Oskar", "Zainab", "Julien",
    "Anika", "Diego", "Hana", "Emil", "Fatima", "Marek", "Clara", "Tariq", "Signe", "Rafael",
    "Noor", "Anton", "Isla", "Karim", "Vera", "Milan", "Laila", "Bruno", "Ines", "Arjun",
];

const LAST_NAMES: &[&str] = &[
    "Okafor",
    "Brandt",
    "Moreau",
    "Kowalski",
    "Haddad",
    "Lindqvist",
    "Ferreira",
    "Nakamura",
    "Novak",
    "Rahman",
    "Jansen",
    "Costa",
    "Petrov",
    "Quinn",
    "Mendes",
    "Berg",
    "Dubois",
    "Kaur",
    "Rossi",
    "Varga",
    "Ozturk",
    "Larsen",
    "Silva",
    "Fischer",
    "Nguyen",
    "Horvat",
    "Aydin",
    "Kim",
    "Schulz",
    "Romero",
    "Ivanova",
    "Mahmoud",
    "Sato",
    "Eriksen",
    "Bianchi",
    "Kovacs",
    "Lopes",
    "Weber",
    "Andersson",
    "Ortiz",
];

const ORG_WORDS: &[&str] = &[
    "Labs",
    "Analytics",
    "Systems",
    "Studio",
    "Partners",
    "Robotics",
    "Health",
    "Logistics",
    "Media",
    "Consulting",
    "Software",
    "Energy",
];

#[cfg(test)]
mod tests;
