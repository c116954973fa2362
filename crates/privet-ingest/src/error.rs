//! Errors of ingestion: for a whole request ([`IngestError`]) or for one record in it ([`RecordError`]).
//!
//! Messages name the field and the problem, never the value: an error must not echo an email address or a token
//! back into a log line or a client's error report (invariant 1).

use serde::Serialize;

/// A request that cannot be processed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IngestError {
    /// The HTTP status that fits.
    pub status: u16,
    /// A short, stable reason code (used as a metric label).
    pub reason: &'static str,
    /// The field at fault, if one is.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl IngestError {
    pub fn bad_request(
        reason: &'static str,
        field: impl Into<Option<String>>,
        message: impl Into<String>,
    ) -> Self {
        IngestError {
            status: 400,
            reason,
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn too_large(
        reason: &'static str,
        field: impl Into<Option<String>>,
        message: impl Into<String>,
    ) -> Self {
        IngestError {
            status: 413,
            reason,
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn unauthorized(reason: &'static str, message: impl Into<String>) -> Self {
        IngestError {
            status: 401,
            reason,
            field: None,
            message: message.into(),
        }
    }

    pub fn forbidden(reason: &'static str, message: impl Into<String>) -> Self {
        IngestError {
            status: 403,
            reason,
            field: None,
            message: message.into(),
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        IngestError {
            status: 503,
            reason: "unavailable",
            field: None,
            message: message.into(),
        }
    }
}

/// One record of a batch that was rejected; the others are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// Position of the record in the batch (0-based).
    pub index: usize,
    /// The record's `$insert_id`, when it has one of the usual shape (letters, digits, `-`, `_`).
    #[serde(rename = "$insert_id", skip_serializing_if = "Option::is_none")]
    pub insert_id: Option<String>,
    /// The field at fault, as a path such as `properties.time`.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// A short, stable reason code.
    #[serde(skip)]
    pub reason: &'static str,
}

impl RecordError {
    pub fn new(
        index: usize,
        field: impl Into<String>,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        RecordError {
            index,
            insert_id: None,
            field: field.into(),
            message: message.into(),
            reason,
        }
    }

    /// Attaches the record's `$insert_id` if it is safe to echo.
    pub fn with_insert_id(mut self, insert_id: Option<&str>) -> Self {
        self.insert_id = insert_id
            .filter(|id| is_plain_insert_id(id, 64))
            .map(str::to_string);
        self
    }
}

/// Whether an `$insert_id` has the plain shape Mixpanel documents (letters, digits, `-`; we also allow `_`).
pub fn is_plain_insert_id(id: &str, max_len: usize) -> bool {
    !id.is_empty()
        && id.len() <= max_len
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
