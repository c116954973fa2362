//! Limits on what one record may contain: how many properties, how long a string, how deep the nesting.
//!
//! Limits protect the server (memory, CPU, the columnar store) and keep the promise that bad input gets a clear
//! error naming the field rather than a crash.

use privet_config::IngestConfig;
use serde_json::{Map, Value};

/// Longest event name and property name, as in Mixpanel.
pub const MAX_NAME_BYTES: usize = 255;

/// The limits applied to records.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_batch: usize,
    pub max_string_bytes: usize,
    pub max_properties: usize,
    pub max_depth: usize,
}

impl From<&IngestConfig> for Limits {
    fn from(c: &IngestConfig) -> Self {
        Limits {
            max_batch: c.max_batch,
            max_string_bytes: c.max_string_bytes,
            max_properties: c.max_properties,
            max_depth: c.max_depth,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&IngestConfig::default())
    }
}

/// A limit violation: the field path and the problem.
pub type Violation = (String, String);

impl Limits {
    /// Checks a property map; `prefix` names it in the field path (`properties`, `$set`, …).
    pub fn check_properties(
        &self,
        prefix: &str,
        props: &Map<String, Value>,
    ) -> Result<(), Violation> {
        if props.len() > self.max_properties {
            return Err((
                prefix.to_string(),
                format!(
                    "has {} properties; at most {} are allowed",
                    props.len(),
                    self.max_properties
                ),
            ));
        }
        for (key, value) in props {
            // The path is only spelled out for an error: the happy path allocates nothing.
            let path = || format!("{prefix}.{}", printable_key(key));
            if key.len() > MAX_NAME_BYTES {
                return Err((
                    format!("{prefix}.<{} byte name>", key.len()),
                    format!("property names may be at most {MAX_NAME_BYTES} bytes"),
                ));
            }
            self.check_value(&path, value, 1)?;
        }
        Ok(())
    }

    fn check_value(
        &self,
        path: &dyn Fn() -> String,
        value: &Value,
        depth: usize,
    ) -> Result<(), Violation> {
        if depth >= self.max_depth && (value.is_array() || value.is_object()) {
            return Err((
                path(),
                format!("is nested deeper than {} levels", self.max_depth),
            ));
        }
        match value {
            Value::String(s) if s.len() > self.max_string_bytes => Err((
                path(),
                format!(
                    "is {} bytes long; at most {} are allowed",
                    s.len(),
                    self.max_string_bytes
                ),
            )),
            Value::Array(items) => {
                if items.len() > self.max_properties {
                    return Err((
                        path(),
                        format!(
                            "has {} items; at most {} are allowed",
                            items.len(),
                            self.max_properties
                        ),
                    ));
                }
                items.iter().enumerate().try_for_each(|(i, v)| {
                    self.check_value(&|| format!("{}[{i}]", path()), v, depth + 1)
                })
            }
            Value::Object(map) => {
                if map.len() > self.max_properties {
                    return Err((
                        path(),
                        format!(
                            "has {} keys; at most {} are allowed",
                            map.len(),
                            self.max_properties
                        ),
                    ));
                }
                map.iter().try_for_each(|(k, v)| {
                    self.check_value(&|| format!("{}.{}", path(), printable_key(k)), v, depth + 1)
                })
            }
            _ => Ok(()),
        }
    }
}

/// Property names are echoed in error messages, so only short, plain ones are shown as they are.
pub fn printable_key(key: &str) -> String {
    let plain = key.len() <= 64
        && !key.contains('@')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '$' | '_' | '-' | ' ' | '.'));
    if plain {
        key.to_string()
    } else {
        format!("<{} byte name>", key.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits() -> Limits {
        Limits {
            max_batch: 10,
            max_string_bytes: 8,
            max_properties: 3,
            max_depth: 2,
        }
    }

    fn check(value: Value) -> Result<(), Violation> {
        limits().check_properties("properties", value.as_object().unwrap())
    }

    #[test]
    fn violations_name_the_field() {
        assert!(check(json!({"a": "short", "b": [1, 2]})).is_ok());
        assert_eq!(
            check(json!({"a": "much too long"})).unwrap_err().0,
            "properties.a"
        );
        assert_eq!(
            check(json!({"a": 1, "b": 2, "c": 3, "d": 4}))
                .unwrap_err()
                .0,
            "properties"
        );
        assert_eq!(check(json!({"a": [[1]]})).unwrap_err().0, "properties.a[0]");
        assert_eq!(
            check(json!({"o": {"p": "much too long"}})).unwrap_err().0,
            "properties.o.p"
        );
    }

    #[test]
    fn keys_that_could_be_personal_are_not_echoed() {
        assert_eq!(printable_key("alice@example.com"), "<17 byte name>");
        assert_eq!(printable_key("$browser"), "$browser");
    }
}
