//! Mixpanel's records: events (`/track`, `/import`) and profile updates (`/engage`, `/groups`).
//!
//! Each decoder takes the decoded `data` payload (one object or an array) and returns the good records together
//! with an error for each bad one, so a batch is never lost because one record in it is wrong.

pub mod events;
pub mod profiles;

use serde_json::Value;

use crate::error::IngestError;

/// Splits a payload into its records, checking the batch size.
pub fn records(data: Value, max_batch: usize) -> Result<Vec<Value>, IngestError> {
    let items = match data {
        Value::Array(items) => items,
        Value::Object(_) => vec![data],
        _ => {
            return Err(IngestError::bad_request(
                "bad_shape",
                Some("data".to_string()),
                "`data` must be a JSON object or an array of objects",
            ));
        }
    };
    if items.is_empty() {
        return Err(IngestError::bad_request(
            "empty_batch",
            Some("data".to_string()),
            "the batch is empty; send at least one record",
        ));
    }
    if items.len() > max_batch {
        return Err(IngestError::too_large(
            "too_many_records",
            Some("data".to_string()),
            format!(
                "the batch has {} records; at most {max_batch} are accepted per request, split it",
                items.len()
            ),
        ));
    }
    Ok(items)
}
