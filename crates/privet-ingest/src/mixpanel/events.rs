//! Event records: `{"event": "…", "properties": {"token": …, "distinct_id": …, "time": …, "$insert_id": …}}`.
//!
//! Records are parsed once, borrowing from the document's text (`super::parse`): an event's properties become
//! spans of that text ([`RawProperties`]), not a tree of values.

use std::borrow::Cow;

use privet_model::{JsonKind, RawEvent, RawJson, RawProperties};

use super::parse::{self, Item, Properties};
use crate::body::Document;
use crate::error::{IngestError, RecordError, is_plain_insert_id};
use crate::limits::{Limits, MAX_NAME_BYTES};

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

/// Top-level fields that stand for a property (`("device_id", "$device_id")`: the native format's spelling).
pub type TopLevel = &'static [(&'static str, &'static str)];

/// Decodes the event records of a document (at most `limits.max_batch`). `now_us` is the time given to events
/// without one (in `/track` mode). A document that cannot be read at all is an error; a bad record is reported
/// on its own and the good ones are kept.
pub fn decode(
    document: &Document,
    mode: Mode,
    limits: &Limits,
    now_us: i64,
) -> Result<(Vec<TokenedEvent>, Vec<RecordError>), IngestError> {
    decode_with(document, mode, &[], limits, now_us)
}

/// [`decode`], with top-level fields taken as properties when the properties do not name them.
pub fn decode_with(
    document: &Document,
    mode: Mode,
    top_level: TopLevel,
    limits: &Limits,
    now_us: i64,
) -> Result<(Vec<TokenedEvent>, Vec<RecordError>), IngestError> {
    let items = parse::records(document, limits.max_batch)?;
    let mut good = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    let decoder = Decoder {
        document,
        mode,
        top_level,
        limits,
        now_us,
    };
    for (index, item) in items.into_iter().enumerate() {
        match decoder.one(index, item) {
            Ok(event) => good.push(event),
            Err(error) => bad.push(error),
        }
    }
    Ok((good, bad))
}

struct Decoder<'a> {
    document: &'a Document,
    mode: Mode,
    top_level: TopLevel,
    limits: &'a Limits,
    now_us: i64,
}

/// The properties that steer ingestion, taken out of the property list.
#[derive(Default)]
struct Control<'a> {
    insert_id: Option<RawJson<'a>>,
    time: Option<RawJson<'a>>,
    token: Option<RawJson<'a>>,
    distinct_id: Option<RawJson<'a>>,
}

impl Decoder<'_> {
    fn one(&self, index: usize, item: Item<'_>) -> Result<TokenedEvent, RecordError> {
        let mode = self.mode;
        let err = |field: &str, reason: &'static str, message: &str| {
            RecordError::new(index, field, reason, message)
        };
        let Item::Record(record) = item else {
            return Err(err(
                "event",
                "bad_record",
                "each record must be a JSON object",
            ));
        };
        let mut pairs = match record.properties {
            Properties::Missing | Properties::Null => Vec::new(),
            Properties::Object(pairs) => pairs,
            Properties::Other => {
                return Err(err(
                    "properties",
                    "bad_properties",
                    "`properties` must be an object",
                ));
            }
        };
        for (top, property) in self.top_level {
            let given = record.top.iter().rev().find(|(k, _)| k == top);
            if let Some((_, value)) = given
                && !pairs.iter().any(|(k, _)| k == property)
            {
                pairs.push((Cow::Borrowed(*property), *value));
            }
        }
        let mut control = Control::default();
        let mut properties =
            RawProperties::with_capacity(self.document.text().clone(), pairs.len());
        for (name, raw) in &pairs {
            let raw = *raw;
            match &**name {
                "$insert_id" => control.insert_id = Some(raw),
                "time" => control.time = Some(raw),
                "token" => control.token = Some(raw),
                other => {
                    if other == "distinct_id" {
                        control.distinct_id = Some(raw);
                    }
                    properties.push(name, raw.text());
                }
            }
        }
        let insert_id = match control.insert_id.map(|r| (r.kind(), r)) {
            None | Some((JsonKind::Null, _)) => None,
            Some((JsonKind::String, r)) => r.as_str().map(Cow::into_owned),
            Some((JsonKind::Number, r)) => r.text_value().map(Cow::into_owned),
            Some(_) => {
                return Err(err(
                    "properties.$insert_id",
                    "bad_insert_id",
                    "`$insert_id` must be a string",
                ));
            }
        };
        let with_id = |e: RecordError| e.with_insert_id(insert_id.as_deref());
        let name = match record.event {
            Some(e) if !matches!(e.kind(), JsonKind::String | JsonKind::Null) => {
                return Err(with_id(err(
                    "event",
                    "bad_event",
                    "the event name must be a string",
                )));
            }
            event => match event.and_then(RawJson::as_str) {
                Some(s) if !privet_model::json::trim(&s).is_empty() => s.into_owned(),
                _ => {
                    return Err(with_id(err(
                        "event",
                        "missing_event",
                        "the event name is missing or empty",
                    )));
                }
            },
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
        let time_us = match control.time.filter(|t| t.kind() != JsonKind::Null) {
            None => {
                // Identity-management events (`$merge`, `$identify`, `$create_alias`) carry no time of their
                // own: the SDKs send `$merge` to /import without one.
                if matches!(mode, Mode::Import | Mode::ImportStrict) && !is_identity_event(&name) {
                    return Err(with_id(err(
                        "properties.time",
                        "missing_time",
                        "`time` is required for /import (seconds or milliseconds since 1970)",
                    )));
                }
                self.now_us
            }
            Some(value) => privet_model::time::time_from_raw(value)
                .map_err(|e| with_id(err("properties.time", "bad_time", &format!("`time` {e}"))))?,
        };
        if mode == Mode::ImportStrict && control.distinct_id.is_none() {
            return Err(with_id(err(
                "properties.distinct_id",
                "missing_distinct_id",
                "`distinct_id` is required with strict=1 (use \"\" for events without a user)",
            )));
        }
        if mode.strict()
            && let Some(value) = control.distinct_id
            && !matches!(value.kind(), JsonKind::String | JsonKind::Number)
        {
            return Err(with_id(err(
                "properties.distinct_id",
                "bad_distinct_id",
                "`distinct_id` must be a string or a number",
            )));
        }
        self.limits
            .check_raw("properties", &properties)
            .map_err(|(field, message)| {
                with_id(err(&field, "too_large", &format!("`{field}` {message}")))
            })?;
        let token = control
            .token
            .and_then(|t| t.as_str())
            .map(|t| privet_model::json::trim(&t).to_string())
            .filter(|t| !t.is_empty());
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
}

/// Events that only change the identity graph; they need no `time`.
fn is_identity_event(name: &str) -> bool {
    matches!(name, "$merge" | "$identify" | "$create_alias")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const NOW: i64 = 1_700_000_000_000_000;

    fn run(items: Vec<Value>, mode: Mode) -> (Vec<TokenedEvent>, Vec<RecordError>) {
        decode(
            &Document::from_value(&Value::Array(items)),
            mode,
            &Limits::default(),
            NOW,
        )
        .unwrap()
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
            good[0].event.properties.to_map(),
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
    fn properties_are_spans_of_the_document() {
        let text = r#"[{"event":"A","properties":{"token":" t1 ","distinct_id":"u","na\u006de":"x\"y","n":1.50,"o":{"k":[1,"a@b.co"]},"n":2,"time":1700000000}}]"#;
        let document = Document::new(text, "body");
        let (good, bad) = decode(&document, Mode::Track, &Limits::default(), NOW).unwrap();
        assert!(bad.is_empty());
        assert_eq!(good[0].token.as_deref(), Some("t1"));
        assert_eq!(good[0].event.time_us, 1_700_000_000_000_000);
        let props = &good[0].event.properties;
        assert_eq!(
            props.get("name").unwrap().as_str().as_deref(),
            Some("x\"y"),
            "escaped names and values are decoded"
        );
        assert_eq!(props.get("n").unwrap().text(), "2", "the last value wins");
        assert_eq!(
            props.get("o").unwrap().to_value(),
            json!({"k": [1, "a@b.co"]})
        );
        assert!(!props.contains("token") && !props.contains("time"));
        assert_eq!(props.len(), 5);
    }

    #[test]
    fn documents_the_lexer_leaves_to_serde_json_decode_the_same() {
        // Nesting deeper than the lexer walks, but within serde_json's limit.
        let deep = format!("{}1{}", "[".repeat(110), "]".repeat(110));
        let text = format!(
            r#"[{{"event":"A","properties":{{"distinct_id":"u","deep":{deep}}}}},{{"event":"B","properties":{{"x":"y"}}}}]"#
        );
        let mut lexer = super::super::lexer::Lexer::new(&text);
        assert!(lexer.value(0).is_err(), "the lexer gives up on this one");
        let (good, bad) = decode(
            &Document::new(text.as_str(), "body"),
            Mode::Track,
            &Limits::default(),
            NOW,
        )
        .unwrap();
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].index, 0);
        assert!(bad[0].field.starts_with("properties.deep[0]"));
        assert_eq!(good.len(), 1);
        assert_eq!(good[0].event.name, "B");
        assert_eq!(good[0].event.properties.get("x").unwrap().text(), r#""y""#);
    }

    #[test]
    fn unreadable_documents_fail_as_a_whole() {
        let reason = |text: &str| {
            decode(
                &Document::new(text, "body"),
                Mode::Track,
                &Limits::default(),
                NOW,
            )
            .unwrap_err()
            .reason
        };
        assert_eq!(reason(r#"[{"event": "A"}, {"event": "#), "bad_json");
        assert_eq!(reason(r#"[{"event": "A"}] x"#), "bad_json");
        // Where serde decodes a value the lexer only checks, the document fails as serde says.
        for text in [
            r#"["\ud800", {"event": "a"}]"#,
            r#"[1e400, {"event": "a"}]"#,
            r#"{"event": "a", "properties": "\udc00"}"#,
            r#"{"event": "a", "properties": -1e999}"#,
        ] {
            assert_eq!(reason(text), "bad_json", "{text}");
        }
        assert_eq!(reason(r#""an event""#), "bad_shape");
        assert_eq!(reason("[]"), "empty_batch");
        let limits = Limits {
            max_batch: 1,
            ..Limits::default()
        };
        let two = Document::new(r#"[{"event": "A"}, {"event": "B"}]"#, "body");
        let err = decode(&two, Mode::Track, &limits, NOW).unwrap_err();
        assert_eq!((err.status, err.reason), (413, "too_many_records"));
        // A record that is not an object fails on its own.
        let (good, bad) = decode(
            &Document::new(r#"[[1, 2], {"event": "A"}, 7]"#, "body"),
            Mode::Track,
            &Limits::default(),
            NOW,
        )
        .unwrap();
        assert_eq!(good.len(), 1);
        assert_eq!(bad.iter().map(|e| e.index).collect::<Vec<_>>(), vec![0, 2]);
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
