//! Event records: `{"event": "…", "properties": {"token": …, "distinct_id": …, "time": …, "$insert_id": …}}`.

use serde_json::{Map, Value};

use crate::error::{RecordError, is_plain_insert_id};
use crate::limits::{Limits, MAX_NAME_BYTES};
use privet_model::RawEvent;

/// How strictly to validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `/track`: lenient, as Mixpanel is; a missing time is "now".
    Track,
    /// `/track?strict=1`: types are checked, `$insert_id` must be Mixpanel-shaped.
    TrackStrict,
    /// `/import`: the caller must name the time.
    Import,
    /// `/import?strict=1`: `time`, `distinct_id` and a Mixpanel-shaped `$insert_id` are required.
    ImportStrict,
}

impl Mode {
    fn strict(self) -> bool {
        matches!(self, Mode::TrackStrict | Mode::ImportStrict)
    }
}

/// A decoded event with the token it carried.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenedEvent {
    pub index: usize,
    pub token: Option<String>,
    pub event: RawEvent,
}

/// Decodes event records. `now_us` is the time given to events without one (in `/track` mode).
pub fn decode(
    items: Vec<Value>,
    mode: Mode,
    limits: &Limits,
    now_us: i64,
) -> (Vec<TokenedEvent>, Vec<RecordError>) {
    let mut good = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match decode_one(index, item, mode, limits, now_us) {
            Ok(event) => good.push(event),
            Err(error) => bad.push(error),
        }
    }
    (good, bad)
}

fn decode_one(
    index: usize,
    item: Value,
    mode: Mode,
    limits: &Limits,
    now_us: i64,
) -> Result<TokenedEvent, RecordError> {
    let err = |field: &str, reason: &'static str, message: &str| {
        RecordError::new(index, field, reason, message)
    };
    let Value::Object(mut object) = item else {
        return Err(err(
            "event",
            "bad_record",
            "each record must be a JSON object",
        ));
    };
    let mut properties = match object.remove("properties") {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => Map::new(),
        Some(_) => {
            return Err(err(
                "properties",
                "bad_properties",
                "`properties` must be an object",
            ));
        }
    };
    let insert_id = match properties.get("$insert_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            return Err(err(
                "properties.$insert_id",
                "bad_insert_id",
                "`$insert_id` must be a string",
            ));
        }
    };
    let with_id = |e: RecordError| e.with_insert_id(insert_id.as_deref());
    let name = match object.remove("event") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(with_id(err(
                "event",
                "missing_event",
                "the event name is missing or empty",
            )));
        }
        Some(_) => {
            return Err(with_id(err(
                "event",
                "bad_event",
                "the event name must be a string",
            )));
        }
    };
    if name.len() > MAX_NAME_BYTES {
        return Err(with_id(err(
            "event",
            "bad_event",
            &format!(
                "the event name is {} bytes long; at most {MAX_NAME_BYTES} are allowed",
                name.len()
            ),
        )));
    }
    if let Some(id) = &insert_id {
        let limit = if mode.strict() { 36 } else { 255 };
        let valid = if mode.strict() {
            is_plain_insert_id(id, limit)
        } else {
            !id.is_empty() && id.len() <= limit
        };
        if !valid {
            return Err(with_id(err(
                "properties.$insert_id",
                "bad_insert_id",
                &format!("`$insert_id` must be 1 to {limit} letters, digits or `-`"),
            )));
        }
    } else if mode == Mode::ImportStrict {
        return Err(err(
            "properties.$insert_id",
            "missing_insert_id",
            "`$insert_id` is required with strict=1",
        ));
    }
    let time_us = match properties.get("time") {
        None | Some(Value::Null) => {
            // Identity-management events (`$merge`, `$identify`, `$create_alias`) carry no time of their own:
            // the SDKs send `$merge` to /import without one.
            if matches!(mode, Mode::Import | Mode::ImportStrict) && !is_identity_event(&name) {
                return Err(with_id(err(
                    "properties.time",
                    "missing_time",
                    "`time` is required for /import (seconds or milliseconds since 1970)",
                )));
            }
            now_us
        }
        Some(value) => privet_model::time::time_from_json(value)
            .map_err(|e| with_id(err("properties.time", "bad_time", &format!("`time` {e}"))))?,
    };
    if mode == Mode::ImportStrict && !properties.contains_key("distinct_id") {
        return Err(with_id(err(
            "properties.distinct_id",
            "missing_distinct_id",
            "`distinct_id` is required with strict=1 (use \"\" for events without a user)",
        )));
    }
    if mode.strict()
        && let Some(value) = properties.get("distinct_id")
        && !matches!(value, Value::String(_) | Value::Number(_))
    {
        return Err(with_id(err(
            "properties.distinct_id",
            "bad_distinct_id",
            "`distinct_id` must be a string or a number",
        )));
    }
    limits
        .check_properties("properties", &properties)
        .map_err(|(field, message)| {
            with_id(err(&field, "too_large", &format!("`{field}` {message}")))
        })?;
    let token = match properties.remove("token") {
        Some(Value::String(t)) if !t.trim().is_empty() => Some(t.trim().to_string()),
        _ => None,
    };
    properties.remove("$insert_id");
    properties.remove("time");
    Ok(TokenedEvent {
        index,
        token,
        event: RawEvent {
            name,
            time_us,
            insert_id,
            properties,
        },
    })
}

/// Events that only change the identity graph; they need no `time`.
fn is_identity_event(name: &str) -> bool {
    matches!(name, "$merge" | "$identify" | "$create_alias")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_700_000_000_000_000;

    fn run(items: Vec<Value>, mode: Mode) -> (Vec<TokenedEvent>, Vec<RecordError>) {
        decode(items, mode, &Limits::default(), NOW)
    }

    #[test]
    fn good_events() {
        let (good, bad) = run(
            vec![
                json!({"event": "A", "properties": {"token": "t1", "distinct_id": "u", "time": 1_699_999_999.5, "$insert_id": "abc-1", "x": 1}}),
                json!({"event": "B"}),
            ],
            Mode::Track,
        );
        assert!(bad.is_empty());
        assert_eq!(good[0].token.as_deref(), Some("t1"));
        assert_eq!(good[0].event.time_us, 1_699_999_999_500_000);
        assert_eq!(good[0].event.insert_id.as_deref(), Some("abc-1"));
        assert_eq!(
            good[0].event.properties,
            json!({"distinct_id": "u", "x": 1})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(good[1].event.time_us, NOW);
    }

    #[test]
    fn bad_records_are_reported_and_good_ones_kept() {
        let (good, bad) = run(
            vec![
                json!({"event": "ok", "properties": {"time": 1_700_000_000}}),
                json!("not an object"),
                json!({"properties": {"$insert_id": "id-2"}}),
                json!({"event": 5}),
                json!({"event": "x", "properties": {"time": "yesterday", "$insert_id": "id-4"}}),
                json!({"event": "x", "properties": []}),
                json!({"event": "x", "properties": {"time": 1_700_000_000, "$insert_id": "has spaces and is far too long for strict mode"}}),
            ],
            Mode::ImportStrict,
        );
        assert_eq!(
            good.len(),
            0,
            "strict import also requires distinct_id and $insert_id"
        );
        let fields: Vec<(usize, &str)> = bad.iter().map(|e| (e.index, e.field.as_str())).collect();
        assert_eq!(
            fields,
            vec![
                (0, "properties.$insert_id"),
                (1, "event"),
                (2, "event"),
                (3, "event"),
                (4, "properties.time"),
                (5, "properties"),
                (6, "properties.$insert_id"),
            ]
        );
        assert_eq!(bad[2].insert_id.as_deref(), Some("id-2"));
        assert_eq!(bad[6].insert_id, None, "odd-shaped ids are not echoed");
    }

    #[test]
    fn import_needs_time_track_does_not() {
        let event = json!({"event": "x", "properties": {"distinct_id": "u"}});
        assert_eq!(
            run(vec![event.clone()], Mode::Import).1[0].field,
            "properties.time"
        );
        assert!(run(vec![event], Mode::Track).1.is_empty());
        // The Python SDK's `merge()` posts `$merge` to /import without a time.
        let merge = json!({"event": "$merge", "properties": {"$distinct_ids": ["a", "b"]}});
        let (good, bad) = run(vec![merge], Mode::Import);
        assert!(bad.is_empty() && good.len() == 1);
    }

    #[test]
    fn limits_name_the_property() {
        let long = "x".repeat(70_000);
        let (_, bad) = run(
            vec![json!({"event": "x", "properties": {"note": long}})],
            Mode::Track,
        );
        assert_eq!(bad[0].field, "properties.note");
        assert!(bad[0].message.contains("bytes long"));
    }
}
