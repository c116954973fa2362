//! What the CSV and JSON readers share: the columns of a file and how each is used, the record being built,
//! and the list of records with its progress reports.

use std::cell::Cell;
use std::net::IpAddr;
use std::rc::Rc;

use hashbrown::HashMap;
use privet_model::DataCategory;

use super::infer::{Role, infer_role};
use super::{LeakRecord, Overrides};
use crate::ColumnUse;

/// At most this many distinct columns are kept per file (JSON objects keyed by id would make one per record).
pub(super) const MAX_COLUMNS: usize = 10_000;

/// Progress is reported at least every this many bytes read from the file.
const PROGRESS_BYTES: u64 = 64 * 1024;

/// Whether a value is absent: empty once trimmed, or one of the ways exports spell "nothing" (`null`, `NULL`,
/// `N/A`, `undefined`, MySQL's `\N`).
pub(super) fn is_absent(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.eq_ignore_ascii_case("null")
        || v.eq_ignore_ascii_case("n/a")
        || v.eq_ignore_ascii_case("undefined")
        || v == "\\N"
}

/// Whether a name is a value: an email address, an IP address, a URL or a number of 3 digits or more. Such
/// a "name" is personal data and never becomes a column name.
pub(super) fn looks_like_value(name: &str) -> bool {
    let name = name.trim();
    is_email(name)
        || (name.len() >= 3 && name.bytes().all(|b| b.is_ascii_digit()))
        || name.starts_with("http://")
        || name.starts_with("https://")
        || ((name.contains(':') || name.starts_with(|c: char| c.is_ascii_digit()))
            && name.parse::<IpAddr>().is_ok())
}

/// Whether a JSON key is an identifier rather than a name (objects keyed by user id, Firebase style):
/// [`looks_like_value`], or 16 to 64 letters, digits and dashes mixing letters and digits (UUIDs, Firebase
/// ids, hashes).
pub(super) fn looks_like_id(key: &str) -> bool {
    let len = key.len();
    looks_like_value(key)
        || ((16..=64).contains(&len)
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && key.bytes().any(|b| b.is_ascii_digit())
            && key.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// `local@domain.tld`, without spaces.
pub(super) fn is_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !value.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// One column: its name as the file spells it, and how its values are used.
struct Column {
    name: String,
    role: Role,
    overridden: bool,
}

/// The columns of one file, in first-seen order.
pub(super) struct Columns<'o> {
    list: Vec<Column>,
    index: HashMap<String, usize>,
    overrides: &'o Overrides,
    mixpanel: bool,
    /// Keys not kept because the file had more than [`MAX_COLUMNS`].
    pub(super) dropped: u64,
}

impl<'o> Columns<'o> {
    pub(super) fn new(overrides: &'o Overrides, mixpanel: bool) -> Self {
        Columns {
            list: Vec::new(),
            index: HashMap::new(),
            overrides,
            mixpanel,
            dropped: 0,
        }
    }

    /// Adds a column even when one of the same name exists (a CSV header may repeat a name).
    pub(super) fn push(&mut self, name: String) -> Role {
        let (role, overridden) = self.resolve(&name);
        self.index.entry(name.clone()).or_insert(self.list.len());
        self.list.push(Column {
            name,
            role,
            overridden,
        });
        role
    }

    /// Adds a column whose name says nothing (`column 3`): used as `guess` unless an override names it.
    pub(super) fn push_guessed(&mut self, name: String, guess: Role) -> Role {
        self.push(name);
        let column = self.list.last_mut().expect("just pushed");
        if !column.overridden {
            column.role = guess;
        }
        column.role
    }

    /// The role of the column `name`, added on first sight; `None` past [`MAX_COLUMNS`].
    pub(super) fn role_of(&mut self, name: &str) -> Option<Role> {
        if let Some(&i) = self.index.get(name) {
            return Some(self.list[i].role);
        }
        if self.list.len() >= MAX_COLUMNS {
            self.dropped += 1;
            return None;
        }
        Some(self.push(name.to_owned()))
    }

    pub(super) fn len(&self) -> usize {
        self.list.len()
    }

    /// Forgets the columns added after the first `len` (those of a malformed line).
    pub(super) fn truncate(&mut self, len: usize) {
        if len < self.list.len() {
            self.list.truncate(len);
            self.index.retain(|_, i| *i < len);
        }
    }

    /// The category from an override, else from the name.
    fn resolve(&self, name: &str) -> (Role, bool) {
        match self
            .overrides
            .columns
            .iter()
            .find(|(flag, _)| self.matches(flag, name))
        {
            Some((_, Some(category))) => (Role::Keep(*category), true),
            Some((_, None)) => (Role::Ignore, true),
            None => (infer_role(name, self.mixpanel), false),
        }
    }

    /// Whether an override's column name means `column`: the same name, ignoring case and surrounding space;
    /// in a Mixpanel export, with or without `properties.`.
    fn matches(&self, flag: &str, column: &str) -> bool {
        let flag = flag.trim();
        let same = |f: &str| f == column || f.eq_ignore_ascii_case(column.trim());
        same(flag)
            || (self.mixpanel
                && ["properties.", "$properties."]
                    .iter()
                    .any(|p| flag.strip_prefix(p).is_some_and(same)))
    }

    /// The summary's list.
    pub(super) fn uses(&self) -> Vec<ColumnUse> {
        self.list
            .iter()
            .map(|c| ColumnUse {
                column: c.name.clone(),
                category: c.role.category(),
                overridden: c.overridden,
            })
            .collect()
    }

    /// The columns named by overrides that matched none of the file's.
    pub(super) fn unused_overrides(&self) -> Vec<String> {
        self.overrides
            .columns
            .iter()
            .filter(|(flag, _)| !self.list.iter().any(|c| self.matches(flag, &c.name)))
            .map(|(flag, _)| flag.clone())
            .collect()
    }
}

/// The record being read.
#[derive(Default)]
pub(super) struct RecordBuf {
    values: Vec<(DataCategory, String)>,
    first: String,
    middle: String,
    last: String,
    /// Some value (kept or not) was present: the record is not blank.
    present: bool,
}

impl RecordBuf {
    /// Takes a present value (trimmed, not [absent](is_absent)) of a column used as `role`.
    pub(super) fn add(&mut self, role: Role, value: &str) {
        self.present = true;
        let part = match role {
            Role::Ignore => return,
            Role::Keep(category) => return self.keep(category, value),
            Role::FirstName => &mut self.first,
            Role::MiddleName => &mut self.middle,
            Role::LastName => &mut self.last,
        };
        if !part.is_empty() {
            part.push(' ');
        }
        part.push_str(value);
    }

    /// Marks the record not blank without keeping anything.
    pub(super) fn mark_present(&mut self) {
        self.present = true;
    }

    fn keep(&mut self, category: DataCategory, value: &str) {
        if !self
            .values
            .iter()
            .any(|(c, v)| *c == category && v == value)
        {
            self.values.push((category, value.to_owned()));
        }
    }

    /// The record's values, its name parts joined into one name; `None` when the record was blank. Leaves the
    /// buffer empty for the next record.
    pub(super) fn take(&mut self) -> Option<Vec<(DataCategory, String)>> {
        if !self.first.is_empty() || !self.middle.is_empty() || !self.last.is_empty() {
            let name = [&self.first, &self.middle, &self.last]
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            self.keep(DataCategory::Name, &name);
            self.first.clear();
            self.middle.clear();
            self.last.clear();
        }
        let present = std::mem::take(&mut self.present);
        let values = std::mem::take(&mut self.values);
        present.then_some(values)
    }

    /// Drops what was read of a record that turned out malformed.
    pub(super) fn clear(&mut self) {
        self.take();
    }
}

/// The records read so far, and progress reports.
pub(super) struct Sink<'p> {
    pub(super) source: u32,
    pub(super) records: Vec<LeakRecord>,
    pub(super) buf: RecordBuf,
    progress: &'p dyn Fn(u64),
    bytes: Rc<Cell<u64>>,
    reported: u64,
}

impl<'p> Sink<'p> {
    pub(super) fn new(source: u32, progress: &'p dyn Fn(u64), bytes: Rc<Cell<u64>>) -> Self {
        Sink {
            source,
            records: Vec::new(),
            buf: RecordBuf::default(),
            progress,
            bytes,
            reported: 0,
        }
    }

    /// Ends the record in `buf`, read at `line`: kept unless blank.
    pub(super) fn end_record(&mut self, line: u64) {
        if let Some(values) = self.buf.take() {
            self.records.push(LeakRecord {
                source: self.source,
                line,
                values,
            });
        }
        let bytes = self.bytes.get();
        if bytes >= self.reported + PROGRESS_BYTES {
            self.reported = bytes;
            (self.progress)(bytes);
        }
    }

    /// The last progress report: every byte of the file.
    pub(super) fn done(&mut self) {
        (self.progress)(self.bytes.get());
    }
}
