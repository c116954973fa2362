//! Event records of a [`Document`], parsed once, borrowing from its text: every value is left as its JSON text
//! ([`RawJson`]), and `properties` as a list of `(name, value)` pairs, so that the privacy pipeline reads only
//! what it needs and copies the rest into the store verbatim.
//!
//! Two parsers, one language: the [`lexer`](super::lexer) walks a well-formed document quickly; anything it is
//! unsure of is parsed again by `serde_json`, which also words the error of a malformed one.

use std::borrow::Cow;
use std::fmt;

use privet_model::RawJson;
use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::lexer::{Lexed, Lexer};
use crate::body::Document;
use crate::error::IngestError;

/// Pairs of a JSON object: names (borrowed unless escaped) and values as JSON text.
pub type Pairs<'a> = Vec<(Cow<'a, str>, RawJson<'a>)>;

/// One record of a batch.
#[derive(Debug)]
pub enum Item<'a> {
    /// A JSON object.
    Record(Record<'a>),
    /// Anything else (reported as a bad record).
    NotObject,
}

/// An event record: `event`, `properties`, and any other top-level fields (the native format's `time`,
/// `distinct_id`, …).
#[derive(Debug, Default)]
pub struct Record<'a> {
    pub event: Option<RawJson<'a>>,
    pub properties: Properties<'a>,
    pub top: Pairs<'a>,
}

/// The `properties` of a record.
#[derive(Debug, Default)]
pub enum Properties<'a> {
    #[default]
    Missing,
    Null,
    Object(Pairs<'a>),
    /// Not an object (reported as a bad record).
    Other,
}

/// The visits of every scalar (but null), each answering `$value`.
macro_rules! scalars {
    ($ret:ty, $value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$ret, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$ret, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$ret, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$ret, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$ret, E> {
            Ok($value)
        }
    };
}

/// Parses a document's records, checking the batch size. A document that is not JSON fails as a whole, as
/// does one that is neither an object nor an array; a record that is not an object fails on its own.
pub fn records(document: &Document, max_batch: usize) -> Result<Vec<Item<'_>>, IngestError> {
    let mut items = Vec::new();
    for (text, part) in document.parts() {
        let before = items.len();
        match lex(text, &mut items) {
            Ok(()) => continue,
            Err(_) => items.truncate(before),
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed = Top(&mut items)
            .deserialize(&mut de)
            .and_then(|shape| de.end().map(|()| shape))
            .map_err(|e| part.error(&e))?;
        if !parsed {
            return Err(super::bad_shape());
        }
    }
    super::check_batch(items.len(), max_batch)?;
    Ok(items)
}

/// The lexer's walk of one text: an array of records or one record, appended to the list. Any other shape is
/// left to `serde_json`, as is every error. So is a record that is not an object and `properties` that is
/// neither an object nor null: there serde's visitors decode the value (a lone surrogate in a string or a
/// number beyond `f64` fails the whole document), which the lexer does not.
fn lex<'a>(text: &'a str, items: &mut Vec<Item<'a>>) -> Lexed<()> {
    let mut lexer = Lexer::new(text);
    if lexer.peek() == Some(b'[') {
        lexer.array(1, |lexer| {
            if lexer.peek() != Some(b'{') {
                return Err(super::lexer::GiveUp);
            }
            items.push(Item::Record(lex_record(lexer, 2)?));
            Ok(())
        })?;
    } else {
        items.push(Item::Record(lex_record(&mut lexer, 1)?));
    }
    if lexer.at_end() {
        Ok(())
    } else {
        Err(super::lexer::GiveUp)
    }
}

/// A record (an object at nesting `depth`).
fn lex_record<'a>(lexer: &mut Lexer<'a>, depth: usize) -> Lexed<Record<'a>> {
    let mut record = Record::default();
    lexer.object(depth, |lexer, name| {
        let name = name.decode()?;
        match &*name {
            "event" => record.event = Some(RawJson::new(lexer.value(depth)?)),
            "properties" => {
                record.properties = match lexer.peek() {
                    Some(b'{') => {
                        let mut pairs = Vec::with_capacity(24);
                        lexer.object(depth + 1, |lexer, name| {
                            pairs.push((name.decode()?, RawJson::new(lexer.value(depth + 1)?)));
                            Ok(())
                        })?;
                        Properties::Object(pairs)
                    }
                    Some(b'n') => lexer.value(depth).map(|_| Properties::Null)?,
                    _ => return Err(super::lexer::GiveUp),
                }
            }
            _ => record.top.push((name, RawJson::new(lexer.value(depth)?))),
        }
        Ok(())
    })?;
    Ok(record)
}

/// The top level: an array of records or one record, appended to the list; `false` for any other shape.
struct Top<'l, 'a>(&'l mut Vec<Item<'a>>);

impl<'de> DeserializeSeed<'de> for Top<'_, 'de> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record or an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while let Some(item) = seq.next_element::<Item<'de>>()? {
            self.0.push(item);
        }
        Ok(true)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        self.0.push(Item::Record(record(map)?));
        Ok(true)
    }

    scalars!(bool, false);
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

impl<'de> de::Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item<'de>, A::Error> {
        record(map).map(Item::Record)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item<'de>, A::Error> {
        skip_seq(seq).map(|()| Item::NotObject)
    }

    scalars!(Item<'de>, Item::NotObject);
    fn visit_unit<E: de::Error>(self) -> Result<Item<'de>, E> {
        Ok(Item::NotObject)
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn record<'de, A: MapAccess<'de>>(mut map: A) -> Result<Record<'de>, A::Error> {
    let mut record = Record::default();
    while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
        match &*name {
            "event" => record.event = Some(raw(map.next_value()?)),
            "properties" => record.properties = map.next_value()?,
            _ => record.top.push((name, raw(map.next_value()?))),
        }
    }
    Ok(record)
}

impl<'de> de::Deserialize<'de> for Properties<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PropertiesVisitor)
    }
}

struct PropertiesVisitor;

impl<'de> Visitor<'de> for PropertiesVisitor {
    type Value = Properties<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of properties")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties<'de>, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(24));
        while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
            pairs.push((name, raw(map.next_value()?)));
        }
        Ok(Properties::Object(pairs))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Properties<'de>, E> {
        Ok(Properties::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Properties<'de>, A::Error> {
        skip_seq(seq).map(|()| Properties::Other)
    }

    scalars!(Properties<'de>, Properties::Other);
}

fn raw(value: &RawValue) -> RawJson<'_> {
    RawJson::new(value.get())
}

/// An object's key: borrowed from the text unless it held escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(v)))
    }
}
