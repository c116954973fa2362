//! Raw event properties: spans of the request's JSON text, parsed once and never copied into a tree.
//!
//! An SDK sends twenty-odd properties per event; most of them (`plan`, `tokens`, `$screen_width`, …) pass
//! through the privacy pipeline untouched. Building a `serde_json::Value` map for every event, taking properties
//! out of it by name and serialising what is left cost more than all the privacy transforms together. Instead,
//! the ingestion layer parses a request's document once, borrowing from its text, and an event's
//! [`RawProperties`] are `(name, value)` pairs that point into that shared text ([`JsonText`]). The pipeline
//! reads the values it needs as [`RawJson`] (a string is borrowed unless it holds escapes) and copies the
//! untouched ones into the stored `properties` column verbatim.
//!
//! Like `serde_json::Map`, a name given twice means its last value.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use serde_json::{Map, Value};

/// The JSON text of one request (or one document), shared by every event parsed from it.
pub type JsonText = Arc<str>;

/// One JSON value's text, known to be valid JSON (it was produced by a JSON parser).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RawJson<'a>(&'a str);

/// What kind of JSON value a [`RawJson`] holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum JsonKind {
    String,
    Number,
    Bool,
    Null,
    Array,
    Object,
}

impl<'a> RawJson<'a> {
    /// Wraps text that a JSON parser accepted as one value (surrounding whitespace is ignored).
    pub fn new(text: &'a str) -> RawJson<'a> {
        RawJson(text.trim_ascii())
    }

    /// The value's JSON text.
    pub fn text(self) -> &'a str {
        self.0
    }

    pub fn kind(self) -> JsonKind {
        match self.0.as_bytes().first() {
            Some(b'"') => JsonKind::String,
            Some(b'{') => JsonKind::Object,
            Some(b'[') => JsonKind::Array,
            Some(b't' | b'f') => JsonKind::Bool,
            Some(b'n') | None => JsonKind::Null,
            Some(_) => JsonKind::Number,
        }
    }

    /// A string value's text: borrowed when it holds no escapes.
    pub fn as_str(self) -> Option<Cow<'a, str>> {
        let inner = self.0.strip_prefix('"')?.strip_suffix('"')?;
        if !crate::swar::contains(inner.as_bytes(), b'\\') {
            return Some(Cow::Borrowed(inner));
        }
        serde_json::from_str::<String>(self.0).ok().map(Cow::Owned)
    }

    /// The value as a `serde_json::Value` (for nested values and the slow paths).
    pub fn to_value(self) -> Value {
        serde_json::from_str(self.0).unwrap_or(Value::Null)
    }

    /// A scalar as text, as Mixpanel reads ids and names: strings trimmed, numbers and booleans rendered; `None`
    /// for null, arrays, objects and blank strings.
    pub fn text_value(self) -> Option<Cow<'a, str>> {
        match self.kind() {
            JsonKind::String => trimmed(self.as_str()?),
            JsonKind::Number => match self.to_value() {
                Value::Number(n) => Some(Cow::Owned(n.to_string())),
                _ => None,
            },
            JsonKind::Bool => Some(Cow::Borrowed(self.0)),
            _ => None,
        }
    }

    /// Mixpanel's notion of "true" for flags such as `$ignore`.
    pub fn truthy(self) -> bool {
        match self.kind() {
            JsonKind::Bool => self.0 == "true",
            JsonKind::String => self
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("true") || s == "1"),
            JsonKind::Number => self.to_value().as_f64().is_some_and(|n| n != 0.0),
            _ => false,
        }
    }
}

/// `text` without surrounding whitespace, as [`str::trim`] (Unicode whitespace) gives it, with the common case
/// checked first: a string whose first and last bytes are printable ASCII has nothing to trim.
pub fn trim(text: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x7f);
    let bytes = text.as_bytes();
    if printable(bytes.first()) && printable(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// A string without surrounding whitespace, or `None` when nothing is left.
pub fn trimmed(text: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let t = trim(&text);
    if t.is_empty() {
        None
    } else if t.len() == text.len() {
        Some(text)
    } else {
        Some(match text {
            Cow::Borrowed(b) => Cow::Borrowed(trim(b)),
            Cow::Owned(o) => Cow::Owned(trim(&o).to_string()),
        })
    }
}

/// A property name: a span of the text, or owned when it held escapes.
#[derive(Clone, Debug, PartialEq)]
enum Name {
    Span(Range<usize>),
    Owned(Box<str>),
}

/// An event's properties, as spans of a shared [`JsonText`].
#[derive(Clone, Debug)]
pub struct RawProperties {
    text: JsonText,
    entries: Vec<(Name, Range<usize>)>,
}

impl PartialEq for RawProperties {
    fn eq(&self, other: &Self) -> bool {
        self.to_map() == other.to_map()
    }
}

impl Default for RawProperties {
    /// No properties, over one shared empty text (taking an event's properties out leaves this behind: no
    /// allocation).
    fn default() -> Self {
        static EMPTY: std::sync::LazyLock<JsonText> = std::sync::LazyLock::new(|| Arc::from(""));
        RawProperties::new(EMPTY.clone())
    }
}

impl RawProperties {
    /// No properties yet; values will be spans of `text`.
    pub fn new(text: JsonText) -> RawProperties {
        RawProperties::with_capacity(text, 0)
    }

    /// An empty set of properties of `text`, with room for `capacity` of them.
    pub fn with_capacity(text: JsonText, capacity: usize) -> RawProperties {
        RawProperties {
            text,
            entries: Vec::with_capacity(capacity),
        }
    }

    /// Adds a property. `value` must be a slice of this object's text holding one JSON value (as a parser
    /// borrowing from the text returns it); `name` is either a slice of the text or an unescaped copy.
    ///
    /// # Panics
    /// When `value` does not lie within the text.
    pub fn push(&mut self, name: &str, value: &str) {
        let name = match self.span_of(name) {
            Some(span) => Name::Span(span),
            None => Name::Owned(name.into()),
        };
        let value = self
            .span_of(value)
            .expect("a property value is a slice of its document's text");
        self.entries.push((name, value));
    }

    /// Builds properties from a parsed map (tests and the slow paths): the values are serialised into a text of
    /// their own.
    pub fn from_map(map: &Map<String, Value>) -> RawProperties {
        let mut text = String::new();
        let mut spans = Vec::with_capacity(map.len());
        for (name, value) in map {
            let start = text.len();
            text.push_str(&value.to_string());
            spans.push((Name::Owned(name.as_str().into()), start..text.len()));
        }
        RawProperties {
            text: Arc::from(text),
            entries: spans,
        }
    }

    /// The properties as a map (the last value of a repeated name wins).
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect()
    }

    /// How many `(name, value)` pairs were sent (a repeated name counts each time).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The pairs, in the order they were sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, RawJson<'_>)> {
        self.entries.iter().map(|(name, value)| {
            let name = match name {
                Name::Span(span) => &self.text[span.clone()],
                Name::Owned(owned) => owned,
            };
            (name, RawJson(&self.text[value.clone()]))
        })
    }

    /// The value of `name` (its last one).
    pub fn get(&self, name: &str) -> Option<RawJson<'_>> {
        self.iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .last()
    }

    /// Whether `name` was sent.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|(k, _)| k == name)
    }

    /// Where `slice` lies in the text, if it is a slice of it.
    fn span_of(&self, slice: &str) -> Option<Range<usize>> {
        let base = self.text.as_ptr() as usize;
        let start = (slice.as_ptr() as usize).checked_sub(base)?;
        let end = start + slice.len();
        (end <= self.text.len() && !slice.is_empty()).then_some(start..end)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn trimming_agrees_with_the_standard_library() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{b}a",
            "a\u{b}",
            "\u{a0}a",
            "a\u{3000}",
            "\u{7f}",
            "é",
            " é ",
            "ab cd",
            "\tx\n",
            "~",
            "!x!",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn spans_of_a_shared_text() {
        let text: JsonText = Arc::from(r#"{"a": "x\"y", "b": [1, 2], "c": 5, "d": " late "}"#);
        // Pairs as a parser borrowing from the text returns them.
        let pairs: Vec<(&str, &serde_json::value::RawValue)> = serde_json::from_str(&text)
            .map(
                |m: std::collections::BTreeMap<&str, &serde_json::value::RawValue>| {
                    m.into_iter().collect()
                },
            )
            .unwrap();
        let mut props = RawProperties::new(text.clone());
        for (k, v) in &pairs {
            props.push(k, v.get());
        }
        // A name that held escapes arrives unescaped, as a copy; a repeated name's last value wins.
        props.push("a\\u0041", pairs[3].1.get());
        props.push("d", pairs[2].1.get());
        assert_eq!(props.len(), 6);
        assert_eq!(props.get("a").unwrap().as_str().as_deref(), Some("x\"y"));
        assert_eq!(props.get("b").unwrap().kind(), JsonKind::Array);
        assert_eq!(props.get("d").unwrap().text_value().as_deref(), Some("5"));
        assert_eq!(
            props.get("a\\u0041").unwrap().text_value().as_deref(),
            Some("late")
        );
        assert_eq!(
            props.to_map(),
            *json!({"a": "x\"y", "b": [1, 2], "c": 5, "d": 5, "a\\u0041": " late "})
                .as_object()
                .unwrap()
        );
    }

    #[test]
    fn scalars_as_text_and_flags() {
        let t = |s: &str| RawJson::new(s).text_value().map(Cow::into_owned);
        assert_eq!(t(r#""  u1 ""#).as_deref(), Some("u1"));
        assert_eq!(t(r#""   ""#), None);
        assert_eq!(t("42").as_deref(), Some("42"));
        assert_eq!(t("1e3").as_deref(), Some("1000.0"));
        assert_eq!(t("true").as_deref(), Some("true"));
        assert_eq!(t("null"), None);
        assert_eq!(t("[1]"), None);
        assert!(RawJson::new("true").truthy() && RawJson::new(r#""1""#).truthy());
        assert!(!RawJson::new("0").truthy() && !RawJson::new("null").truthy());
        let map = json!({"n": 1.5, "s": "x"});
        let props = RawProperties::from_map(map.as_object().unwrap());
        assert_eq!(props.to_map(), *map.as_object().unwrap());
        assert_eq!(props, RawProperties::from_map(map.as_object().unwrap()));
    }
}
