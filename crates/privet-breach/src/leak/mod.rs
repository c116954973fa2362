//! Reading a leaked dataset as the vendor hands it over, and mapping its columns to [`DataCategory`]s.
//!
//! [`read_file`] takes one file (CSV, JSON, NDJSON or a Mixpanel export; gzipped or not; UTF-8, UTF-16 or
//! Windows-1252) and returns its records, each reduced to the present values of the columns that hold
//! personal data, with a [`SourceSummary`] saying how every column was understood. How a column is understood
//! comes from its name ([`infer_category`]) unless the operator names it ([`Overrides`]); its values never
//! decide (except in a CSV file without a header, see `delimited`).
//!
//! Leaks are messy, and a partial answer now beats none: a truncated file keeps the records before the cut,
//! NDJSON lines that are not objects are skipped and counted ([`LeakFile::skipped`]), and everything the
//! operator should know lands in [`LeakFile::warnings`]. Errors and warnings name the file, line and column,
//! never a value: the values are personal data.
//!
//! The file is streamed: memory holds the kept values, not the file. Files:
//!
//! * `decode`: gzip, byte order marks, UTF-16 and Windows-1252 to UTF-8;
//! * `detect`: the format and the layout (delimiter, lines or document);
//! * `delimited`: CSV and its cousins;
//! * `json`: JSON, NDJSON and Mixpanel exports;
//! * `infer`: column names to categories;
//! * `record`: columns, the record being built, progress.

mod decode;
mod delimited;
mod detect;
mod infer;
mod json;
mod record;

use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::rc::Rc;
use std::str::FromStr;

pub use detect::detect_format;
pub use infer::infer_category;
use privet_model::DataCategory;

use crate::{BreachError, Result, SourceSummary};

/// The decoded text looked at to detect the format.
const HEAD: u64 = 64 * 1024;

/// The format of a leaked file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-, semicolon-, tab- or pipe-separated values with a header row.
    Csv,
    /// One JSON document: an array of objects, an object holding such an array, or one object.
    Json,
    /// One JSON object per line (JSON Lines).
    Ndjson,
    /// Mixpanel's event export (objects `{"event", "properties": {…}}`, one per line) or people export
    /// (objects `{"$distinct_id", "$properties": {…}}`, in an array, a `results` page or one per line).
    Mixpanel,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Csv, Format::Json, Format::Ndjson, Format::Mixpanel];

    /// The name in flags and summaries: `csv`, `json`, `ndjson`, `mixpanel`.
    pub fn key(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Mixpanel => "mixpanel",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Format {
    type Err = String;

    /// A [`Format::key`], or `tsv` (CSV) or `jsonl` (NDJSON), in any case.
    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            "mixpanel" => Ok(Format::Mixpanel),
            _ => Err(format!(
                "unknown format `{s}`; use csv, json, ndjson or mixpanel"
            )),
        }
    }
}

/// What the operator says about the files, overriding what would be detected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Column names (as the summary lists them; case and surrounding space ignored) and their category;
    /// `None`: ignore the column. Matched against every file read with these overrides.
    pub columns: Vec<(String, Option<DataCategory>)>,
    /// The format of every file, instead of detecting it.
    pub format: Option<Format>,
    /// The CSV delimiter, instead of sniffing it from the header line.
    pub delimiter: Option<u8>,
}

impl Overrides {
    /// Parses a `--column` flag: `COLUMN=CATEGORY` (`Work Email=email`) or `COLUMN=ignore` (`notes=ignore`).
    /// The column is everything before the last `=`; the category is a [`DataCategory::key`] (`-` and spaces
    /// count as `_`, case is ignored).
    pub fn parse_column_flag(s: &str) -> Result<(String, Option<DataCategory>), String> {
        let valid = || {
            let keys: Vec<&str> = DataCategory::ALL.iter().map(|c| c.key()).collect();
            format!("{}, or ignore", keys.join(", "))
        };
        let Some((column, category)) = s.rsplit_once('=') else {
            return Err(format!(
                "--column `{s}` should be COLUMN=CATEGORY, the category one of {}",
                valid()
            ));
        };
        let column = column.trim();
        if column.is_empty() {
            return Err(format!(
                "--column `{s}` names no column; write COLUMN=CATEGORY"
            ));
        }
        let key = category
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_");
        if key == "ignore" {
            return Ok((column.to_owned(), None));
        }
        match DataCategory::from_key(&key) {
            Some(c) => Ok((column.to_owned(), Some(c))),
            None => Err(format!(
                "unknown category `{}` in --column `{s}`; use one of {}",
                category.trim(),
                valid()
            )),
        }
    }
}

/// One leaked record: the present values of its personal-data columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeakRecord {
    /// The `source` given to [`read_file`] (the file's index among those read).
    pub source: u32,
    /// Where the record starts, for messages: its line (CSV, NDJSON) or its number from 1 (a JSON document).
    pub line: u64,
    /// Trimmed, non-empty values, in column order; a category may appear more than once (two email columns)
    /// but a value only once per category. First, middle and last names are one [`DataCategory::Name`] value,
    /// `First Middle Last`, after the other values.
    pub values: Vec<(DataCategory, String)>,
}

/// One leaked file, read.
#[derive(Clone, Debug, PartialEq)]
pub struct LeakFile {
    /// The file name, its format, its records and how its columns were understood (every column, ignored ones
    /// with category `None`).
    pub summary: SourceSummary,
    /// Records that had any value, in file order: blank rows are not records; a record whose values are all in
    /// ignored columns is, with no `values` (it still counts as leaked).
    pub records: Vec<LeakRecord>,
    /// NDJSON lines that were not JSON objects and were skipped.
    pub skipped: u64,
    /// What the operator should know: skipped lines, a truncated end, rows longer than the header, a missing
    /// header, an empty file. Each names the file and a line, never a value.
    pub warnings: Vec<String>,
    /// Columns named in [`Overrides::columns`] that this file does not have (a typo, or a column of another
    /// file): the caller decides whether that is an error.
    pub unused_overrides: Vec<String>,
}

/// Reads the leaked file at `path` (see the module documentation). `source` is copied into each record;
/// `progress` is called with the bytes read from the file so far, about every 64 KiB, and with the file's size
/// at the end.
pub fn read_file(
    path: &Path,
    source: u32,
    overrides: &Overrides,
    progress: &dyn Fn(u64),
) -> Result<LeakFile> {
    let name = path.display().to_string();
    let read_error = |e: std::io::Error| BreachError::Read {
        path: name.clone(),
        reason: format!("{e}; check the path and that the file is readable"),
    };
    let bytes = Rc::new(Cell::new(0));
    let file = File::open(path).map_err(read_error)?;
    let counted = decode::Counting {
        inner: file,
        count: bytes.clone(),
    };
    let decompressed = decode::decompress(counted)
        .map_err(read_error)?
        .map_err(|todo| BreachError::Invalid(format!("cannot read {name}: {todo}")))?;
    let mut text = decode::TextReader::new(decompressed).map_err(read_error)?;
    let truncated = text.truncated.clone();
    let mut head = Vec::new();
    (&mut text)
        .take(HEAD)
        .read_to_end(&mut head)
        .map_err(read_error)?;
    if head.contains(&0) {
        return Err(BreachError::Invalid(format!(
            "cannot read {name}: it is not text (it holds NUL bytes); a leaked dataset must be CSV, JSON, NDJSON \
             or a Mixpanel export, gzipped or not: convert it to one of those first"
        )));
    }

    let format = overrides
        .format
        .unwrap_or_else(|| detect_format(path, &head));
    let mut columns = record::Columns::new(overrides, format == Format::Mixpanel);
    let mut sink = record::Sink::new(source, progress, bytes);
    let mut warnings = Vec::new();
    let mut skipped = 0;
    match format {
        Format::Csv => {
            let (sep, skip) = match detect::excel_separator(&head) {
                Some((sep, len)) => (Some(sep), len),
                None => (None, 0),
            };
            let tsv = detect::extension(path) == "tsv";
            let delimiter = overrides
                .delimiter
                .or(sep)
                .unwrap_or_else(|| detect::sniff_delimiter(&head[skip..], tsv));
            let mut head = Cursor::new(head);
            head.set_position(skip as u64);
            let crlf = head
                .get_ref()
                .iter()
                .position(|&b| b == b'\n')
                .is_some_and(|i| i > 0 && head.get_ref()[i - 1] == b'\r');
            let line_offset = u64::from(skip > 0);
            let input = head.chain(text);
            delimited::read(
                input,
                delimiter,
                crlf,
                line_offset,
                &name,
                &mut columns,
                &mut sink,
                &mut warnings,
            )?;
        }
        Format::Json | Format::Ndjson | Format::Mixpanel => {
            let layout = match format {
                Format::Json => detect::Layout::Document,
                Format::Ndjson => detect::Layout::Lines,
                _ => detect::layout(path, &head),
            };
            let mixpanel = format == Format::Mixpanel;
            let input = Cursor::new(head).chain(text);
            skipped = json::read(
                input,
                layout,
                mixpanel,
                &name,
                &mut columns,
                &mut sink,
                &mut warnings,
            )?;
        }
    }
    if truncated.get() {
        warnings.push(format!(
            "{name} ends abruptly: its compressed data is cut short (truncated?); the records before the cut were read"
        ));
    }
    if columns.dropped > 0 {
        warnings.push(format!(
            "{name} has more than {} different keys: {} values of the others were ignored (are its objects keyed by \
             id? then extract the records first)",
            record::MAX_COLUMNS,
            columns.dropped
        ));
    }
    if format != Format::Csv && sink.records.is_empty() && warnings.is_empty() {
        warnings.push(format!(
            "{name} holds no JSON object with a value: no record was read"
        ));
    }
    sink.done();

    let records = std::mem::take(&mut sink.records);
    let summary = SourceSummary {
        file: path
            .file_name()
            .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned()),
        format: format.key().to_owned(),
        records: records.len() as u64,
        columns: columns.uses(),
    };
    Ok(LeakFile {
        summary,
        records,
        skipped,
        warnings,
        unused_overrides: columns.unused_overrides(),
    })
}

#[cfg(test)]
mod tests;
