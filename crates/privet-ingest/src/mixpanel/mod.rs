//! Mixpanel's records: events (`/track`, `/import`) and profile updates (`/engage`, `/groups`).
//!
//! Each decoder takes the decoded `data` payload (one object or an array) and returns the good records together
//! with an error for each bad one, so a batch is never lost because one record in it is wrong.

pub mod events;
pub mod lexer;
pub mod parse;
pub mod profiles;

use serde_json::Value;

use crate::error::IngestError;

/// Splits a payload into its records, checking the batch size.
pub fn records(data: Value, max_batch: usize) -> Result<Vec<Value>, IngestError> {
    let items = match data {
        Value::Array(items) => items,
        Value::Object(_) => vec![data],
        _ => return Err(bad_shape()),
    };
    check_batch(items.len(), max_batch)?;
    Ok(items)
}

fn bad_shape() -> IngestError {
    IngestError::bad_request(
        "bad_shape",
        Some("data".to_string()),
        "`data` must be a JSON object or an array of objects",
    )
}

/// A batch must hold at least one record and at most `max_batch`.
fn check_batch(len: usize, max_batch: usize) -> Result<(), IngestError> {
    if len == 0 {
        return Err(IngestError::bad_request(
            "empty_batch",
            Some("data".to_string()),
            "the batch is empty; send at least one record",
        ));
    }
    if len > max_batch {
        return Err(IngestError::too_large(
            "too_many_records",
            Some("data".to_string()),
            format!(
                "the batch has {len} records; at most {max_batch} are accepted per request, split it"
            ),
        ));
    }
    Ok(())
}
