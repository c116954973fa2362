//! JSON, NDJSON and Mixpanel's exports, streamed: a record's values are kept, the rest of the document never
//! is in memory.
//!
//! * Records are objects. A document that is an array holds records; a document that is an object holding an
//!   array of objects (`{"results": […]}`, `{"data": {"users": […]}}`, Mixpanel's Engage API pages) holds the
//!   records of that array, and its other keys (`page`, `total`) are not data; an object holding no array of
//!   objects is one record.
//! * Nested objects are flattened with dots (`address.city`); an array of scalars becomes one value, its items
//!   joined with `, `; the objects of an array inside a record are flattened under the array's name, each of
//!   their values kept. Numbers and booleans become text (user ids are often numbers); `null` is absent.
//! * Columns are the keys seen, in first-seen order. A key that is an identifier (an email address, a number,
//!   a UUID or Firebase id) is no name: it reads as `*` (`devices.*.model`), and an object under such a key at
//!   the top of a document (`{"users": {"<uid>": {…}}}`) is a record.
//! * Mixpanel: a record's `properties` (event export) or `$properties` (people export) is flattened into the
//!   record itself, so its keys are columns as Mixpanel names them (`$email`, `mp_country_code`).
//! * NDJSON is read line by line. A line that is not a JSON object (a leak cut short, a line mangled by a
//!   tool) is skipped and counted, and the file is read on: [`LeakFile::skipped`](super::LeakFile::skipped)
//!   and a warning name how many and the first line. A file in which no line is an object is an error.
//! * A JSON document cut short keeps the records read before the cut, with a warning; any other syntax error
//!   is an error naming the line and column (a document cannot be resynchronised).
//!
//! Messages never quote a value: serde_json's syntax messages hold none, and its data errors are not shown.

use std::fmt::{self, Write as _};
use std::io::{BufRead, BufReader, Read};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::decode::CHUNK;
use super::detect::Layout;
use super::infer::Role;
use super::record::{Columns, Sink, is_absent, looks_like_id};
use crate::{BreachError, Result};

/// Reads `input` (UTF-8) laid out as `layout` into the state's sink. `file` names the file in messages.
/// Returns the count of skipped NDJSON lines.
pub(super) fn read(
    input: impl Read,
    layout: Layout,
    mixpanel: bool,
    file: &str,
    columns: &mut Columns,
    sink: &mut Sink,
    warnings: &mut Vec<String>,
) -> Result<u64> {
    let mut state = State {
        columns,
        sink,
        mixpanel,
        path: String::new(),
        depth: 0,
        candidate: Vec::new(),
        records_here: 0,
        number: 0,
        line: None,
        touched: false,
    };
    match layout {
        Layout::Lines => read_lines(input, file, &mut state, warnings),
        Layout::Document => read_documents(input, file, &mut state, warnings).map(|()| 0),
    }
}

fn read_lines(
    input: impl Read,
    file: &str,
    st: &mut State,
    warnings: &mut Vec<String>,
) -> Result<u64> {
    let mut reader = BufReader::with_capacity(CHUNK, input);
    let mut buf = Vec::new();
    let mut line = 0u64;
    let (mut good, mut skipped, mut first_skipped) = (0u64, 0u64, 0u64);
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(BreachError::Read {
                    path: file.to_owned(),
                    reason: format!(
                        "{e} after line {line}; check the file is complete and readable"
                    ),
                });
            }
        }
        line += 1;
        // RFC 7464 JSON text sequences start each record with a record separator.
        let text = buf
            .trim_ascii()
            .strip_prefix(b"\x1e")
            .unwrap_or(buf.trim_ascii());
        if text.is_empty() {
            continue;
        }
        let (records, columns) = (st.sink.records.len(), st.columns.len());
        st.start(Some(line));
        let mut de = serde_json::Deserializer::from_slice(text);
        let parsed = Walker {
            st: &mut *st,
            mode: Mode::DocArray,
            join: None,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        if parsed.is_ok() && st.records_here > 0 {
            good += 1;
        } else {
            st.sink.records.truncate(records);
            st.sink.buf.clear();
            st.columns.truncate(columns);
            skipped += 1;
            if first_skipped == 0 {
                first_skipped = line;
            }
        }
    }
    if skipped > 0 && good == 0 {
        return Err(BreachError::Invalid(format!(
            "no line of {file} is a JSON object ({skipped} lines, the first on line {first_skipped}): if it is one \
             JSON document pass --format json, if it is CSV --format csv"
        )));
    }
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} lines of {file} are not JSON objects and were skipped (the first on line {first_skipped}); \
             the other {good} were read"
        ));
    }
    Ok(skipped)
}

fn read_documents(
    input: impl Read,
    file: &str,
    st: &mut State,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(CHUNK, input));
    loop {
        st.start(None);
        let result = Walker {
            st: &mut *st,
            mode: Mode::Doc,
            join: None,
        }
        .deserialize(&mut de);
        let e = match result {
            Ok(()) => {
                st.finish_document();
                continue;
            }
            Err(e) => e,
        };
        if e.is_eof() && !st.touched {
            return Ok(());
        }
        let records = st.sink.records.len();
        if e.is_eof() {
            warnings.push(format!(
                "{file} ends before its JSON is complete (line {}, column {}; truncated?): the {records} records \
                 before were read",
                e.line(),
                e.column()
            ));
            return Ok(());
        }
        if e.is_io() {
            return Err(BreachError::Read {
                path: file.to_owned(),
                reason: format!("{e}; check the file is complete and readable"),
            });
        }
        let what = if e.is_syntax() {
            let message = e.to_string();
            message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned()
        } else {
            "unexpected content".to_owned()
        };
        return Err(BreachError::Invalid(format!(
            "{file} is not valid JSON at line {}, column {}: {what} ({records} records before it were read); repair \
             the file there, or pass --format ndjson if it has one object per line (bad lines are then skipped)",
            e.line(),
            e.column()
        )));
    }
}

/// Where a value sits.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// The top of a document, or objects under it not (yet) known to be records: their values are set aside in
    /// case the document is a single record.
    Doc,
    /// An item of an array met in `Doc` mode, or a line of NDJSON: an object here is a record.
    DocArray,
    /// Inside a record.
    Rec,
}

/// A JSON scalar.
#[derive(Copy, Clone)]
enum Scalar<'a> {
    Str(&'a str),
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Null,
}

impl Scalar<'_> {
    fn is_absent(self) -> bool {
        match self {
            Scalar::Null => true,
            Scalar::Str(s) => is_absent(s),
            _ => false,
        }
    }
}

impl fmt::Display for Scalar<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Str(s) => f.write_str(s.trim()),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::U64(n) => write!(f, "{n}"),
            Scalar::I64(n) => write!(f, "{n}"),
            Scalar::F64(n) => write!(f, "{n}"),
            Scalar::Null => Ok(()),
        }
    }
}

struct State<'a, 'o, 'p> {
    columns: &'a mut Columns<'o>,
    sink: &'a mut Sink<'p>,
    mixpanel: bool,
    /// The dotted path of the current value, from the record's (or document's) root.
    path: String,
    /// Objects entered since that root.
    depth: usize,
    /// The scalars of a document met in `Doc` mode: its one record, unless it holds records.
    candidate: Vec<(String, Option<String>)>,
    /// Records begun in the current document or line.
    records_here: u64,
    /// Records begun in the file (a document's records are numbered).
    number: u64,
    /// The current NDJSON line.
    line: Option<u64>,
    /// Some value of the current document was seen.
    touched: bool,
}

impl State<'_, '_, '_> {
    fn start(&mut self, line: Option<u64>) {
        self.line = line;
        self.path.clear();
        self.depth = 0;
        self.candidate.clear();
        self.records_here = 0;
        self.touched = false;
    }

    fn record_line(&self) -> u64 {
        self.line.unwrap_or(self.number)
    }

    fn leaf(&mut self, mode: Mode, value: Scalar) {
        match mode {
            Mode::Doc if !self.path.is_empty() => {
                let text = (!matches!(value, Scalar::Null)).then(|| value.to_string());
                self.candidate.push((self.path.clone(), text));
            }
            Mode::Doc | Mode::DocArray => {}
            Mode::Rec => {
                let path = if self.path.is_empty() {
                    "properties"
                } else {
                    self.path.as_str()
                };
                let role = self.columns.role_of(path);
                if value.is_absent() {
                    return;
                }
                match role {
                    None | Some(Role::Ignore) => self.sink.buf.mark_present(),
                    Some(role) => match value {
                        Scalar::Str(s) => self.sink.buf.add(role, s.trim()),
                        other => self.sink.buf.add(role, &other.to_string()),
                    },
                }
            }
        }
    }

    /// Ends a document: its candidate becomes its one record when it held none.
    fn finish_document(&mut self) {
        if self.records_here > 0 || self.candidate.is_empty() {
            return;
        }
        self.number += 1;
        for (path, value) in std::mem::take(&mut self.candidate) {
            let role = self.columns.role_of(&path);
            match (value, role) {
                (Some(v), _) if is_absent(&v) => {}
                (Some(v), Some(role)) => self.sink.buf.add(role, v.trim()),
                (Some(_), None) => self.sink.buf.mark_present(),
                (None, _) => {}
            }
        }
        let line = self.record_line();
        self.sink.end_record(line);
    }

    fn entries<'de, A: MapAccess<'de>>(&mut self, map: &mut A, mode: Mode) -> Result<(), A::Error> {
        while let Some((len, id)) = map.next_key_seed(Key { st: &mut *self })? {
            self.depth += 1;
            // `{"users": {"<id>": {…}, "<id>": {…}}}`: objects under identifiers are records.
            let mode = if id && mode == Mode::Doc {
                Mode::DocArray
            } else {
                mode
            };
            let value = map.next_value_seed(Walker {
                st: &mut *self,
                mode,
                join: None,
            });
            self.depth -= 1;
            self.path.truncate(len);
            value?;
        }
        Ok(())
    }
}

/// Appends a scalar to an array's joined value.
fn append(joined: &mut String, value: Scalar) {
    if value.is_absent() {
        return;
    }
    if !joined.is_empty() {
        joined.push_str(", ");
    }
    let _ = write!(joined, "{value}");
}

/// Appends an object key to the path, `*` for a key that is an identifier; returns the path's length before and
/// whether the key was an identifier.
struct Key<'s, 'a, 'o, 'p> {
    st: &'s mut State<'a, 'o, 'p>,
}

impl<'de> DeserializeSeed<'de> for Key<'_, '_, '_, '_> {
    type Value = (usize, bool);

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<(usize, bool), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, '_, '_, '_> {
    type Value = (usize, bool);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(usize, bool), E> {
        let st = self.st;
        let len = st.path.len();
        let properties =
            st.mixpanel && st.depth == 0 && (key == "properties" || key == "$properties");
        let id = looks_like_id(key);
        if !properties {
            if !st.path.is_empty() {
                st.path.push('.');
            }
            st.path.push_str(if id { "*" } else { key });
        }
        Ok((len, id))
    }
}

/// Walks one value, flattening it into the record or the document's candidate.
struct Walker<'s, 'a, 'o, 'p> {
    st: &'s mut State<'a, 'o, 'p>,
    mode: Mode,
    /// Set inside an array: scalars are joined here.
    join: Option<&'s mut String>,
}

impl Walker<'_, '_, '_, '_> {
    fn scalar<E>(self, value: Scalar) -> Result<(), E> {
        self.st.touched = true;
        match self.join {
            Some(joined) => append(joined, value),
            None => self.st.leaf(self.mode, value),
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Walker<'_, '_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker<'_, '_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.scalar(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(Scalar::I64(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(Scalar::U64(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.scalar(Scalar::F64(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.scalar(Scalar::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar(Scalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.scalar(Scalar::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Walker { st, mode, .. } = self;
        st.touched = true;
        if mode != Mode::DocArray {
            return st.entries(&mut map, mode);
        }
        // A record.
        st.records_here += 1;
        st.number += 1;
        st.sink.buf.clear();
        let path = std::mem::take(&mut st.path);
        let depth = std::mem::replace(&mut st.depth, 0);
        let result = st.entries(&mut map, Mode::Rec);
        st.path = path;
        st.depth = depth;
        result?;
        let line = st.record_line();
        st.sink.end_record(line);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Walker { st, mode, join } = self;
        st.touched = true;
        let items = if mode == Mode::Rec {
            Mode::Rec
        } else {
            Mode::DocArray
        };
        let mut joined = String::new();
        while seq
            .next_element_seed(Walker {
                st: &mut *st,
                mode: items,
                join: Some(&mut joined),
            })?
            .is_some()
        {}
        if !joined.is_empty() {
            match join {
                Some(outer) => append(outer, Scalar::Str(&joined)),
                None => st.leaf(mode, Scalar::Str(&joined)),
            }
        }
        Ok(())
    }
}
