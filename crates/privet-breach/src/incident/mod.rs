//! Incidents: what happened, when the controller learned of it, and the 72-hour clock of GDPR Art. 33.
//!
//! An incident keeps separate timestamps (detected, aware — with the reason the controller considers itself
//! aware —, processor notified, authority notified, people notified) and a list of updates (Art. 33(4) allows
//! the report in phases). Everything about incident `N` lives in `<data-dir>/incidents/`: the database
//! `incidents.sqlite` (incidents, updates, canary ledger, outbox) and the folder `N/` (assessment and reports).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::{BreachError, Result};

/// The assessment's file name in an incident's folder.
pub const ASSESSMENT_FILE: &str = "assessment.json";

/// The time allowed between awareness and notifying the authority (Art. 33(1)).
pub const DEADLINE: Duration = Duration::hours(72);

/// One incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    /// What happened, in the controller's words (the report quotes it).
    pub description: String,
    /// The processor (vendor) whose systems were breached; `None` when it was the controller's own.
    pub processor: Option<String>,
    /// When the breach itself happened, if known.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When someone first noticed something.
    pub detected_at: Option<DateTime<Utc>>,
    /// When the controller became aware (a reasonable degree of certainty that personal data was compromised).
    pub aware_at: DateTime<Utc>,
    /// Why the controller considers itself aware at `aware_at`.
    pub aware_reason: String,
    /// When the processor told the controller (Art. 33(2)).
    pub processor_notified_at: Option<DateTime<Utc>>,
    pub authority_notified_at: Option<DateTime<Utc>>,
    pub people_notified_at: Option<DateTime<Utc>>,
    /// Measures taken or proposed (Art. 33(3)(d)), one per entry.
    pub measures: Vec<String>,
    /// Why the authority is notified after 72 hours (required once the deadline has passed).
    pub delay_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// A random salt for the keyed hashes of this incident (people's keys, the outbox).
    #[serde(skip)]
    pub salt: Vec<u8>,
}

impl Incident {
    /// `aware_at` + 72 hours.
    pub fn deadline(&self) -> DateTime<Utc> {
        self.aware_at + DEADLINE
    }

    /// The time left until the deadline at `now` (negative once past).
    pub fn time_left(&self, now: DateTime<Utc>) -> Duration {
        self.deadline() - now
    }

    /// True when the authority was not notified in time (or still is not, at `now`).
    pub fn late(&self, now: DateTime<Utc>) -> bool {
        self.authority_notified_at.unwrap_or(now) > self.deadline()
    }

    /// "41 h 12 min left" / "past the deadline by 3 h 5 min" / "authority notified 2 h before the deadline".
    pub fn clock(&self, now: DateTime<Utc>) -> String {
        if let Some(at) = self.authority_notified_at {
            let margin = self.deadline() - at;
            return if margin >= Duration::zero() {
                format!("authority notified {} before the deadline", span(margin))
            } else {
                format!("authority notified {} after the deadline", span(-margin))
            };
        }
        let left = self.time_left(now);
        if left >= Duration::zero() {
            format!("{} left to notify the authority", span(left))
        } else {
            format!("past the 72-hour deadline by {}", span(-left))
        }
    }
}

/// "3 h 5 min", "2 d 4 h".
fn span(d: Duration) -> String {
    let minutes = d.num_minutes();
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else {
        format!("{hours} h {mins} min")
    }
}

/// A dated entry in an incident's history (phased reporting, Art. 33(4)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentUpdate {
    pub at: DateTime<Utc>,
    pub text: String,
}

/// What `privet incident open` records.
#[derive(Clone, Debug, Default)]
pub struct NewIncident {
    pub title: String,
    pub description: String,
    pub processor: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub aware_at: Option<DateTime<Utc>>,
    pub aware_reason: String,
    pub processor_notified_at: Option<DateTime<Utc>>,
}

/// A timestamp or field of an incident that `privet incident set` can change.
#[derive(Clone, Debug)]
pub enum Change {
    Title(String),
    Description(String),
    Processor(Option<String>),
    OccurredAt(DateTime<Utc>),
    DetectedAt(DateTime<Utc>),
    AwareAt(DateTime<Utc>, String),
    ProcessorNotifiedAt(DateTime<Utc>),
    AuthorityNotifiedAt(DateTime<Utc>),
    PeopleNotifiedAt(DateTime<Utc>),
    AddMeasure(String),
    DelayReason(String),
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    processor TEXT,
    occurred_at INTEGER,
    detected_at INTEGER,
    aware_at INTEGER NOT NULL,
    aware_reason TEXT NOT NULL,
    processor_notified_at INTEGER,
    authority_notified_at INTEGER,
    people_notified_at INTEGER,
    measures TEXT NOT NULL DEFAULT '[]',
    delay_reason TEXT,
    created_at INTEGER NOT NULL,
    salt BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS incident_updates (
    incident INTEGER NOT NULL REFERENCES incidents(id),
    at INTEGER NOT NULL,
    text TEXT NOT NULL
);
";

/// The incident database.
pub struct IncidentStore {
    dir: PathBuf,
    conn: Connection,
}

impl IncidentStore {
    /// Opens (or creates) `<data-dir>/incidents/`.
    pub fn open(data_dir: &Path) -> Result<IncidentStore> {
        let dir = data_dir.join("incidents");
        std::fs::create_dir_all(&dir)?;
        let conn = open_db(&dir.join("incidents.sqlite"))?;
        conn.execute_batch(SCHEMA)?;
        Ok(IncidentStore { dir, conn })
    }

    /// The database file, for components that keep their own tables in it (canary ledger, outbox).
    pub fn database_path(&self) -> PathBuf {
        self.dir.join("incidents.sqlite")
    }

    /// The folder for an incident's files (assessment, reports, rendered notices); created on demand.
    pub fn folder(&self, id: i64) -> Result<PathBuf> {
        let dir = self.dir.join(id.to_string());
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The saved assessment of an incident, if `privet breach assess` ran.
    pub fn assessment(&self, id: i64) -> Result<Option<crate::Assessment>> {
        let path = self.dir.join(id.to_string()).join(ASSESSMENT_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                BreachError::Invalid(format!(
                    "{} is damaged ({e}); run `privet breach assess` again",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Saves an assessment as `<incident>/assessment.json`: compact JSON, streamed (a million people make
    /// half a gigabyte), written aside, synced, then renamed over the old one.
    pub fn save_assessment(&self, a: &crate::Assessment) -> Result<PathBuf> {
        let path = self.folder(a.incident)?.join(ASSESSMENT_FILE);
        let tmp = path.with_extension("json.tmp");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer(&mut out, a).map_err(std::io::Error::from)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }

    /// Records a new incident; `aware_at` defaults to now.
    pub fn open_incident(&self, new: NewIncident, now: DateTime<Utc>) -> Result<Incident> {
        if new.title.trim().is_empty() {
            return Err(BreachError::Invalid(
                "an incident needs a title (--title)".into(),
            ));
        }
        if new.aware_reason.trim().is_empty() {
            return Err(BreachError::Invalid(
                "say why you are aware of the breach now (--aware-reason, e.g. \"the vendor sent us the affected dataset\"): the 72 hours run from then, and the report quotes it".into(),
            ));
        }
        let aware_at = new.aware_at.unwrap_or(now);
        if let Some(detected) = new.detected_at
            && detected > aware_at
        {
            return Err(BreachError::Invalid(
                "--detected-at is after --aware-at; awareness cannot come before detection".into(),
            ));
        }
        let mut salt = vec![0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
        self.conn.execute(
            "INSERT INTO incidents (title, description, processor, occurred_at, detected_at, aware_at,
                aware_reason, processor_notified_at, created_at, salt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                new.title.trim(),
                new.description,
                new.processor,
                new.occurred_at.map(micros),
                new.detected_at.map(micros),
                micros(aware_at),
                new.aware_reason,
                new.processor_notified_at.map(micros),
                micros(now),
                salt,
            ],
        )?;
        self.get(self.conn.last_insert_rowid())
    }

    /// The incident `id`, or [`BreachError::NoIncident`].
    pub fn get(&self, id: i64) -> Result<Incident> {
        self.conn
            .query_row(
                "SELECT id, title, description, processor, occurred_at, detected_at, aware_at, aware_reason,
                    processor_notified_at, authority_notified_at, people_notified_at, measures, delay_reason,
                    created_at, salt
                 FROM incidents WHERE id = ?1",
                [id],
                row_to_incident,
            )
            .optional()?
            .ok_or(BreachError::NoIncident(id))
    }

    /// Every incident, newest first.
    pub fn list(&self) -> Result<Vec<Incident>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, title, description, processor, occurred_at, detected_at, aware_at, aware_reason,
                processor_notified_at, authority_notified_at, people_notified_at, measures, delay_reason,
                created_at, salt
             FROM incidents ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], row_to_incident)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Applies a change and returns the incident as it now is.
    pub fn change(&self, id: i64, change: Change) -> Result<Incident> {
        let incident = self.get(id)?;
        let set = |column: &str, value: rusqlite::types::Value| -> Result<()> {
            self.conn.execute(
                &format!("UPDATE incidents SET {column} = ?1 WHERE id = ?2"),
                params![value, id],
            )?;
            Ok(())
        };
        use rusqlite::types::Value;
        let at = |t: DateTime<Utc>| Value::Integer(micros(t));
        match change {
            Change::Title(t) => set("title", Value::Text(t))?,
            Change::Description(t) => set("description", Value::Text(t))?,
            Change::Processor(p) => set("processor", p.map_or(Value::Null, Value::Text))?,
            Change::OccurredAt(t) => set("occurred_at", at(t))?,
            Change::DetectedAt(t) => {
                if t > incident.aware_at {
                    return Err(BreachError::Invalid(
                        "--detected-at is after the time of awareness; awareness cannot come before detection"
                            .into(),
                    ));
                }
                set("detected_at", at(t))?
            }
            Change::AwareAt(t, reason) => {
                if incident.detected_at.is_some_and(|d| d > t) {
                    return Err(BreachError::Invalid(
                        "--aware-at is before the time of detection; awareness cannot come before detection"
                            .into(),
                    ));
                }
                set("aware_at", at(t))?;
                set("aware_reason", Value::Text(reason))?;
            }
            Change::ProcessorNotifiedAt(t) => set("processor_notified_at", at(t))?,
            Change::AuthorityNotifiedAt(t) => {
                if t > incident.deadline() && incident.delay_reason.is_none() {
                    return Err(BreachError::Invalid(format!(
                        "the authority was notified after the 72-hour deadline ({}); Art. 33(1) requires the \
                         reasons for the delay: add them with --delay-reason first",
                        incident.deadline().to_rfc3339()
                    )));
                }
                set("authority_notified_at", at(t))?
            }
            Change::PeopleNotifiedAt(t) => set("people_notified_at", at(t))?,
            Change::AddMeasure(m) => {
                let mut measures = incident.measures.clone();
                measures.push(m);
                set(
                    "measures",
                    Value::Text(serde_json::to_string(&measures).expect("strings serialise")),
                )?
            }
            Change::DelayReason(r) => set("delay_reason", Value::Text(r))?,
        }
        self.get(id)
    }

    /// Appends a dated update (Art. 33(4): information provided in phases).
    pub fn add_update(&self, id: i64, text: &str, now: DateTime<Utc>) -> Result<()> {
        self.get(id)?;
        self.conn.execute(
            "INSERT INTO incident_updates (incident, at, text) VALUES (?1, ?2, ?3)",
            params![id, micros(now), text],
        )?;
        Ok(())
    }

    /// The updates of an incident, oldest first.
    pub fn updates(&self, id: i64) -> Result<Vec<IncidentUpdate>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, text FROM incident_updates WHERE incident = ?1 ORDER BY at, rowid",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(IncidentUpdate {
                at: from_micros(r.get(0)?),
                text: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Opens an SQLite database the way every breach table wants it: WAL, full sync, waiting on locks.
pub fn open_db(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

fn row_to_incident(r: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    let opt = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(from_micros))
    };
    let measures: String = r.get(11)?;
    Ok(Incident {
        id: r.get(0)?,
        title: r.get(1)?,
        description: r.get(2)?,
        processor: r.get(3)?,
        occurred_at: opt(4)?,
        detected_at: opt(5)?,
        aware_at: from_micros(r.get(6)?),
        aware_reason: r.get(7)?,
        processor_notified_at: opt(8)?,
        authority_notified_at: opt(9)?,
        people_notified_at: opt(10)?,
        measures: serde_json::from_str(&measures).unwrap_or_default(),
        delay_reason: r.get(12)?,
        created_at: from_micros(r.get(13)?),
        salt: r.get(14)?,
    })
}

pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

#[cfg(test)]
mod tests;
