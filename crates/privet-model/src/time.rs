//! Event timestamps: SDKs send seconds (often as floats), `/import` callers often send milliseconds, and native
//! callers may send RFC 3339 text. Everything is normalised to microseconds since the Unix epoch, UTC.

use serde_json::Value;

use crate::json::{JsonKind, RawJson};

/// Numbers at or above this are taken as milliseconds (1e11 seconds is the year 5138).
const MILLIS_THRESHOLD: f64 = 1e11;
/// The latest instant accepted: 9999-12-31T23:59:59Z in microseconds.
pub const MAX_TIME_US: i64 = 253_402_300_799_000_000;

/// Why a `time` value could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("must be a number of seconds or milliseconds since 1970-01-01, or RFC 3339 text")]
    WrongType,
    #[error("is out of range (before 1970 or after 9999)")]
    OutOfRange,
}

/// Converts a JSON `time` value to microseconds since the epoch.
pub fn time_from_json(value: &Value) -> Result<i64, TimeError> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                from_integer(i)
            } else {
                from_float(n.as_f64().ok_or(TimeError::WrongType)?)
            }
        }
        Value::String(s) => time_from_str(s),
        _ => Err(TimeError::WrongType),
    }
}

/// [`time_from_json`] for a value as sent: a number's text is read as it is, without building a `Value` (the
/// common case: every SDK event carries one).
pub fn time_from_raw(raw: RawJson<'_>) -> Result<i64, TimeError> {
    match raw.kind() {
        JsonKind::Number => {
            let text = raw.text();
            if let Ok(i) = text.parse::<i64>() {
                return from_integer(i);
            }
            text.parse::<f64>()
                .map_err(|_| TimeError::WrongType)
                .and_then(from_float)
        }
        _ => time_from_json(&raw.to_value()),
    }
}

/// Parses a numeric string (seconds or milliseconds) or RFC 3339 text.
pub fn time_from_str(text: &str) -> Result<i64, TimeError> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return from_integer(i);
    }
    if let Ok(f) = text.parse::<f64>() {
        return from_float(f);
    }
    let parsed = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| TimeError::WrongType)?;
    check(parsed.timestamp_micros())
}

fn from_integer(i: i64) -> Result<i64, TimeError> {
    if i < 0 {
        return Err(TimeError::OutOfRange);
    }
    let micros = if (i as f64) >= MILLIS_THRESHOLD {
        i.checked_mul(1_000)
    } else {
        i.checked_mul(1_000_000)
    };
    check(micros.ok_or(TimeError::OutOfRange)?)
}

fn from_float(f: f64) -> Result<i64, TimeError> {
    if !f.is_finite() {
        return Err(TimeError::WrongType);
    }
    if f < 0.0 {
        return Err(TimeError::OutOfRange);
    }
    let micros = if f >= MILLIS_THRESHOLD {
        f * 1e3
    } else {
        f * 1e6
    };
    if micros > MAX_TIME_US as f64 {
        return Err(TimeError::OutOfRange);
    }
    check(micros.round() as i64)
}

fn check(micros: i64) -> Result<i64, TimeError> {
    if (0..=MAX_TIME_US).contains(&micros) {
        Ok(micros)
    } else {
        Err(TimeError::OutOfRange)
    }
}

/// The current time in microseconds since the epoch.
pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Microseconds in one day.
pub const DAY_US: i64 = 86_400_000_000;

/// The UTC day number (days since 1970-01-01) of a timestamp.
pub fn day_of(time_us: i64) -> i32 {
    time_us.div_euclid(DAY_US) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seconds_milliseconds_and_floats() {
        assert_eq!(
            time_from_json(&json!(1_700_000_000)),
            Ok(1_700_000_000_000_000)
        );
        assert_eq!(
            time_from_json(&json!(1_700_000_000_123i64)),
            Ok(1_700_000_000_123_000)
        );
        assert_eq!(
            time_from_json(&json!(1_700_000_000.5)),
            Ok(1_700_000_000_500_000)
        );
        assert_eq!(
            time_from_json(&json!("1700000000")),
            Ok(1_700_000_000_000_000)
        );
        assert_eq!(
            time_from_json(&json!("2023-11-14T22:13:20Z")),
            Ok(1_700_000_000_000_000)
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(time_from_json(&json!(-5)), Err(TimeError::OutOfRange));
        assert_eq!(time_from_json(&json!(true)), Err(TimeError::WrongType));
        assert_eq!(
            time_from_json(&json!("yesterday")),
            Err(TimeError::WrongType)
        );
        assert_eq!(time_from_json(&json!(1e300)), Err(TimeError::OutOfRange));
        assert_eq!(time_from_json(&json!(i64::MAX)), Err(TimeError::OutOfRange));
    }

    /// Read from the text as sent, a time is what `serde_json` would make of it.
    #[test]
    fn raw_numbers_read_as_parsed_values() {
        for text in [
            "1700000000",
            "1700000000123",
            "1700000000.25",
            "1.7e9",
            "17E8",
            "-0",
            "-5",
            "0.000001",
            "18446744073709551615",
            "1e300",
            "9223372036854775807",
            "\"1700000000\"",
            "\"2023-11-14T22:13:20Z\"",
            "true",
            "null",
        ] {
            let parsed: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                time_from_raw(RawJson::new(text)),
                time_from_json(&parsed),
                "{text}"
            );
        }
    }

    #[test]
    fn day_numbers() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY_US - 1), 0);
        assert_eq!(day_of(DAY_US), 1);
    }
}
