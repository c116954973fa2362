//! Events at the three stages of the ingestion path: raw (decoded from the wire), minimal (after the privacy
//! pipeline) and row (after the store resolved the person; what the write-ahead log and segments hold).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::identity::{EventIdentity, IdentityOp};
use crate::json::RawProperties;

/// An event as decoded from the wire, before any minimisation. Lives only in memory.
///
/// `properties` still holds everything the client sent (ids, IPs, emails…): it must never be logged, stored or
/// echoed in an error message. Only `privet-pipeline` turns it into something storable.
#[derive(Clone, Debug, PartialEq)]
pub struct RawEvent {
    /// The event name (`event` on the wire).
    pub name: String,
    /// When the event happened, in microseconds since the epoch (UTC).
    pub time_us: i64,
    /// `$insert_id`, the client's deduplication key.
    pub insert_id: Option<String>,
    /// All other properties, untouched: spans of the request's JSON text.
    pub properties: RawProperties,
}

impl RawEvent {
    /// An event from a parsed properties object (tests and the slow paths; ingestion parses spans directly).
    pub fn from_json(
        name: &str,
        time_us: i64,
        insert_id: Option<&str>,
        properties: &Value,
    ) -> Self {
        let empty = serde_json::Map::new();
        RawEvent {
            name: name.to_string(),
            time_us,
            insert_id: insert_id.map(str::to_string),
            properties: RawProperties::from_map(properties.as_object().unwrap_or(&empty)),
        }
    }
}

/// A dimension's value: short (a country, a browser, a path), so it is kept inline up to 24 bytes instead of in
/// an allocation of its own; copying one from a cache copies those bytes.
pub type Dim = compact_str::CompactString;

/// The coarse, non-identifying dimensions every event is analysed by. Each becomes its own column.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimensions {
    pub country: Option<Dim>,
    pub region: Option<Dim>,
    pub city: Option<Dim>,
    pub os: Option<Dim>,
    pub os_version: Option<Dim>,
    pub browser: Option<Dim>,
    pub browser_version: Option<Dim>,
    pub device_type: Option<Dim>,
    pub referrer_domain: Option<Dim>,
    pub referrer_type: Option<Dim>,
    pub url_path: Option<Dim>,
    pub utm_source: Option<Dim>,
    pub utm_medium: Option<Dim>,
    pub utm_campaign: Option<Dim>,
    pub lib: Option<Dim>,
}

/// An event after the privacy pipeline: nothing in it identifies anyone.
#[derive(Clone, Debug, PartialEq)]
pub struct MinimalEvent {
    pub name: String,
    pub time_us: i64,
    pub insert_id: Option<String>,
    /// Pseudonymous ids, resolved to a person by the store.
    pub identity: EventIdentity,
    /// An explicit identity operation carried by this event (`$identify`, `$create_alias`, `$merge`).
    pub identity_op: Option<IdentityOp>,
    pub dims: Dimensions,
    /// The remaining custom properties, minimised, as a JSON object.
    pub properties: String,
    /// False for pure identity operations (`$create_alias`, `$merge`), which are applied but not stored.
    pub store: bool,
    /// The precise place and client values `dims` is stored without until `k` people share them, sealed
    /// (see [`crate::withheld`]).
    pub sealed: Option<Vec<u8>>,
}

/// A stored event: one row of the `events` table. This is what the write-ahead log and segments contain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub time_us: i64,
    pub name: String,
    pub insert_id: Option<String>,
    /// The person's pseudonym, resolved through the identity graph at write time.
    pub person_id: Option<i64>,
    /// The device's pseudonym.
    pub device_id: Option<i64>,
    pub dims: Dimensions,
    pub properties: String,
    /// Hash of (event, distinct id, time, `$insert_id`): equal keys are the same event sent twice.
    pub dedup_key: Option<u64>,
    /// Withheld dimensions, sealed (see [`crate::withheld`]).
    pub sealed: Option<Vec<u8>>,
}
