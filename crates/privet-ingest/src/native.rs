//! Privet's native event format for high-volume senders (`POST /v1/events`, NDJSON or a JSON array, gzip
//! welcome, authenticated with an `ingest` key):
//!
//! ```json
//! {"event": "Signed up", "time": "2026-11-23T10:00:00Z", "distinct_id": "u1", "insert_id": "e-1", "properties": {"plan": "pro"}}
//! ```
//!
//! `time` (RFC 3339, seconds or milliseconds), `distinct_id`, `device_id`, `user_id` and `insert_id` may be given
//! at the top level or as their Mixpanel property names inside `properties`; the record is then decoded exactly
//! like a Mixpanel event.

use serde_json::{Map, Value};

use crate::error::RecordError;
use crate::limits::Limits;
use crate::mixpanel::events::{self, Mode, TokenedEvent};

const TOP_LEVEL: &[(&str, &str)] = &[
    ("time", "time"),
    ("distinct_id", "distinct_id"),
    ("device_id", "$device_id"),
    ("user_id", "$user_id"),
    ("insert_id", "$insert_id"),
    ("token", "token"),
];

/// Decodes native records.
pub fn decode(
    items: Vec<Value>,
    limits: &Limits,
    now_us: i64,
) -> (Vec<TokenedEvent>, Vec<RecordError>) {
    let items = items
        .into_iter()
        .map(|item| match item {
            Value::Object(mut object) => {
                let mut properties = match object.remove("properties") {
                    Some(Value::Object(p)) => p,
                    None | Some(Value::Null) => Map::new(),
                    Some(other) => {
                        // Leave it for the event decoder to report.
                        object.insert("properties".into(), other);
                        return Value::Object(object);
                    }
                };
                for (top, property) in TOP_LEVEL {
                    if let Some(value) = object.remove(*top) {
                        properties.entry(property.to_string()).or_insert(value);
                    }
                }
                object.insert("properties".into(), Value::Object(properties));
                Value::Object(object)
            }
            other => other,
        })
        .collect();
    events::decode(items, Mode::Track, limits, now_us)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn top_level_fields_become_properties() {
        let (good, bad) = decode(
            vec![
                json!({"event": "A", "time": "2023-11-14T22:13:20Z", "distinct_id": "u", "insert_id": "i1", "properties": {"x": 1}}),
            ],
            &Limits::default(),
            0,
        );
        assert!(bad.is_empty());
        let e = &good[0].event;
        assert_eq!(e.time_us, 1_700_000_000_000_000);
        assert_eq!(e.insert_id.as_deref(), Some("i1"));
        assert_eq!(e.properties["distinct_id"], "u");
        assert_eq!(e.properties["x"], 1);
    }
}
