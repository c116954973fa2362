//! CSV, and its cousins with `;`, tab or `|` between fields.
//!
//! The first row is the header. Quoted fields may hold delimiters, line breaks and doubled quotes; blank
//! lines are skipped; a row shorter than the header lacks the missing values, and the fields past the header
//! of a longer row are ignored (counted in a warning, as they often mean an unquoted delimiter shifted the
//! row). When the first row looks like data rather than names (it holds an email address, an IP address, a
//! URL or a long number) the file has no header: the columns are named `column 1`, `column 2`, … and emails and
//! IP addresses in that row say what their column holds.

use std::borrow::Cow;
use std::io::{self, Read};
use std::net::IpAddr;

use privet_model::DataCategory;

use super::decode::CHUNK;
use super::infer::Role;
use super::record::{Columns, Sink, is_absent, is_email, looks_like_value};
use crate::{BreachError, Result};

/// Reads `input` (UTF-8) into `sink`. `crlf`: lines end with CR LF; `line_offset` counts lines already skipped
/// (Excel's `sep=` line); `file` names the file in messages.
#[allow(clippy::too_many_arguments)]
pub(super) fn read(
    input: impl Read,
    delimiter: u8,
    crlf: bool,
    line_offset: u64,
    file: &str,
    columns: &mut Columns,
    sink: &mut Sink,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(CHUNK)
        .from_reader(Terminated {
            inner: input,
            last: None,
            ending: if crlf { b"\r\n" } else { b"\n" },
        });
    let mut record = csv::ByteRecord::new();
    let mut line = line_offset;
    let mut roles = Vec::new();
    let mut longer_rows = 0u64;
    let mut first_longer = 0;
    let mut header = true;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(io) => {
                    return Err(BreachError::Read {
                        path: file.to_owned(),
                        reason: format!(
                            "{io} after line {line}; check the file is complete and readable"
                        ),
                    });
                }
                _ => {
                    return Err(BreachError::Read {
                        path: file.to_owned(),
                        reason: format!(
                            "malformed CSV after line {line}; pass --format if it is not CSV"
                        ),
                    });
                }
            },
        }
        // The reader has counted the line feeds up to the end of the record: those inside it, and its own
        // unless it ended with CR (its LF is counted with the next record).
        let inside = record.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
        line = (reader.position().line() + line_offset)
            .saturating_sub(inside + u64::from(!crlf))
            .max(line + 1);
        if header {
            header = false;
            if record.iter().any(looks_like_data) {
                for (i, field) in record.iter().enumerate() {
                    roles.push(
                        columns.push_guessed(format!("column {}", i + 1), guess_from_value(field)),
                    );
                }
                warnings.push(format!(
                    "line {line} of {file} looks like data, not a header: its columns are named `column 1` to \
                     `column {}`; say what they hold with --column 'column 1=email'",
                    roles.len()
                ));
            } else {
                for (i, field) in record.iter().enumerate() {
                    let name = String::from_utf8_lossy(field).trim().to_owned();
                    let name = if name.is_empty() {
                        format!("column {}", i + 1)
                    } else {
                        name
                    };
                    roles.push(columns.push(name));
                }
                continue;
            }
        }
        let mut longer = false;
        for (i, field) in record.iter().enumerate() {
            let field = field.trim_ascii();
            if field.is_empty() {
                continue;
            }
            match roles.get(i) {
                None => {
                    longer = true;
                    sink.buf.mark_present();
                }
                Some(Role::Ignore) => {
                    if !std::str::from_utf8(field).is_ok_and(is_absent) {
                        sink.buf.mark_present();
                    }
                }
                Some(&role) => {
                    let value = match std::str::from_utf8(field) {
                        Ok(value) => Cow::Borrowed(value),
                        Err(_) => String::from_utf8_lossy(field),
                    };
                    if !is_absent(&value) {
                        sink.buf.add(role, value.trim());
                    }
                }
            }
        }
        if longer {
            longer_rows += 1;
            if first_longer == 0 {
                first_longer = line;
            }
        }
        sink.end_record(line);
    }
    if header {
        warnings.push(format!("{file} is empty"));
    }
    if longer_rows > 0 {
        warnings.push(format!(
            "{longer_rows} rows of {file} have more fields than its header (the first on line {first_longer}): \
             the extra fields were ignored; an unquoted delimiter may have shifted them, check with --delimiter"
        ));
    }
    Ok(())
}

/// Ends the text with a line break if it has none, so that every record ends the same way (and its line is
/// known).
struct Terminated<R> {
    inner: R,
    last: Option<u8>,
    ending: &'static [u8],
}

impl<R: Read> Read for Terminated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
            return Ok(n);
        }
        match self.last.take() {
            Some(last) if last != b'\n' => {
                let n = self.ending.len().min(buf.len());
                buf[..n].copy_from_slice(&self.ending[..n]);
                Ok(n)
            }
            _ => Ok(0),
        }
    }
}

/// Whether a header field is a value rather than a name.
fn looks_like_data(field: &[u8]) -> bool {
    std::str::from_utf8(field.trim_ascii()).is_ok_and(looks_like_value)
}

/// What a column holds, from the value in the first row of a file without a header.
fn guess_from_value(field: &[u8]) -> Role {
    let field = String::from_utf8_lossy(field.trim_ascii()).into_owned();
    if is_email(&field) {
        Role::Keep(DataCategory::Email)
    } else if field.parse::<IpAddr>().is_ok() {
        Role::Keep(DataCategory::Ip)
    } else {
        Role::Ignore
    }
}
