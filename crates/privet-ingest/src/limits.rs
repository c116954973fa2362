//! Limits on what one record may contain: how many properties, how long a string, how deep the nesting.
//!
//! Limits protect the server (memory, CPU, the columnar store) and keep the promise that bad input gets a clear
//! error naming the field rather than a crash.

use privet_config::IngestConfig;
use privet_model::{JsonKind, RawJson, RawProperties};
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
        let entries = props.iter().map(|(k, v)| (k.as_str(), Entry::Parsed(v)));
        self.check_entries(prefix, props.len(), entries)
    }

    /// Checks an event's raw properties (nested values are parsed only to be checked).
    pub fn check_raw(&self, prefix: &str, props: &RawProperties) -> Result<(), Violation> {
        let entries = props.iter().map(|(k, v)| (k, Entry::Raw(v)));
        self.check_entries(prefix, props.len(), entries)
    }

    fn check_entries<'a>(
        &self,
        prefix: &str,
        len: usize,
        entries: impl Iterator<Item = (&'a str, Entry<'a>)>,
    ) -> Result<(), Violation> {
        if len > self.max_properties {
            return Err((
                prefix.to_string(),
                format!(
                    "has {len} properties; at most {} are allowed",
                    self.max_properties
                ),
            ));
        }
        for (key, value) in entries {
            // The path is only spelled out for an error: the happy path allocates nothing.
            let path = || format!("{prefix}.{}", printable_key(key));
            if key.len() > MAX_NAME_BYTES {
                return Err((
                    format!("{prefix}.<{} byte name>", key.len()),
                    format!("property names may be at most {MAX_NAME_BYTES} bytes"),
                ));
            }
            match value {
                Entry::Parsed(value) => self.check_value(&path, value, 1)?,
                Entry::Raw(raw) => match raw.kind() {
                    // The quoted text is at least as long as the string: only long ones are decoded.
                    JsonKind::String if raw.text().len() > self.max_string_bytes + 2 => {
                        let text = Value::String(raw.as_str().unwrap_or_default().into_owned());
                        self.check_value(&path, &text, 1)?;
                    }
                    JsonKind::Array | JsonKind::Object => {
                        // Nesting beyond the parser's own limit (128 levels) cannot be parsed at all.
                        let value: Value = serde_json::from_str(raw.text()).map_err(|_| {
                            (
                                path(),
                                format!("is nested deeper than {} levels", self.max_depth),
                            )
                        })?;
                        self.check_value(&path, &value, 1)?;
                    }
                    _ => {}
                },
            }
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

/// A property value to check, parsed or raw.
enum Entry<'a> {
    Parsed(&'a Value),
    Raw(RawJson<'a>),
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
    fn raw_values_are_checked_like_parsed_ones() {
        let check_raw = |text: &str| {
            let props = RawProperties::from_map(
                serde_json::from_str::<Value>(text)
                    .unwrap()
                    .as_object()
                    .unwrap(),
            );
            limits().check_raw("properties", &props)
        };
        assert!(check_raw(r#"{"a": "short", "b": [1, 2]}"#).is_ok());
        assert_eq!(
            check_raw(r#"{"a": "much too long"}"#).unwrap_err().0,
            "properties.a"
        );
        assert_eq!(
            check_raw(r#"{"a": [[1]]}"#).unwrap_err().0,
            "properties.a[0]"
        );
        // Deeper than any parser goes: refused, never taken as null.
        let mut text = String::from("[1]");
        for _ in 0..200 {
            text = format!("[{text}]");
        }
        let deep: RawProperties = {
            let doc: privet_model::JsonText = std::sync::Arc::from(format!(r#"{{"d":{text}}}"#));
            let mut props = RawProperties::new(doc.clone());
            props.push("d", &doc[5..doc.len() - 1]);
            props
        };
        let (field, message) = limits().check_raw("properties", &deep).unwrap_err();
        assert_eq!(field, "properties.d");
        assert!(message.contains("nested deeper"), "{message}");
    }

    #[test]
    fn keys_that_could_be_personal_are_not_echoed() {
        assert_eq!(printable_key("alice@example.com"), "<17 byte name>");
        assert_eq!(printable_key("$browser"), "$browser");
    }
}
