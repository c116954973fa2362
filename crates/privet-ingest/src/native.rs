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

use crate::body::Document;
use crate::error::{IngestError, RecordError};
use crate::limits::Limits;
use crate::mixpanel::events::{self, Mode, TokenedEvent, TopLevel};

const TOP_LEVEL: TopLevel = &[
    ("time", "time"),
    ("distinct_id", "distinct_id"),
    ("device_id", "$device_id"),
    ("user_id", "$user_id"),
    ("insert_id", "$insert_id"),
    ("token", "token"),
];

/// Decodes native records.
pub fn decode(
    document: &Document,
    limits: &Limits,
    now_us: i64,
) -> Result<(Vec<TokenedEvent>, Vec<RecordError>), IngestError> {
    events::decode_with(document, Mode::Track, TOP_LEVEL, limits, now_us)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn top_level_fields_become_properties() {
        let (good, bad) = decode(
            &Document::from_value(&json!([
                {"event": "A", "time": "2023-11-14T22:13:20Z", "distinct_id": "u", "insert_id": "i1", "properties": {"x": 1, "distinct_id": "kept"}},
            ])),
            &Limits::default(),
            0,
        )
        .unwrap();
        assert!(bad.is_empty());
        let e = &good[0].event;
        assert_eq!(e.time_us, 1_700_000_000_000_000);
        assert_eq!(e.insert_id.as_deref(), Some("i1"));
        let props = e.properties.to_map();
        assert_eq!(
            props["distinct_id"], "kept",
            "properties win over top-level fields"
        );
        assert_eq!(props["x"], 1);
    }
}
