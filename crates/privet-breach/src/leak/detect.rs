//! Which format a leaked file is in, and how its text is laid out: CSV delimiter, JSON lines or one document.
//!
//! The extension decides between CSV (`.csv`, `.tsv`, `.tab`) and JSON (`.json`, `.ndjson`, `.jsonl`); a
//! `.gz` is looked through. Within JSON, and for any other extension, the content decides: a first non-space
//! byte `[` or `{` is JSON, anything else CSV; objects with a `properties` or `$properties` object are a
//! Mixpanel export; lines that each hold a whole object are NDJSON (a `.json` file often is: Mixpanel's raw
//! export is).

use std::path::Path;

use super::Format;

/// How the JSON values of a file are laid out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Layout {
    /// One value per line: a bad line is skipped, the others are read.
    Lines,
    /// One document (an array, an object holding an array, or an object), or several one after the other.
    Document,
}

/// The format of the file at `path`, whose first bytes (decompressed and decoded to UTF-8; a few KiB suffice)
/// are `first_bytes`. See the module documentation for the rules.
pub fn detect_format(path: &Path, first_bytes: &[u8]) -> Format {
    let extension = extension(path);
    let json = match extension.as_str() {
        "csv" | "tsv" | "tab" => return Format::Csv,
        "ndjson" | "jsonl" => {
            return if is_mixpanel(first_bytes) {
                Format::Mixpanel
            } else {
                Format::Ndjson
            };
        }
        "json" => true,
        _ => matches!(first_non_space(first_bytes), Some(b'[' | b'{')),
    };
    if !json {
        Format::Csv
    } else if is_mixpanel(first_bytes) {
        Format::Mixpanel
    } else if layout(path, first_bytes) == Layout::Lines {
        Format::Ndjson
    } else {
        Format::Json
    }
}

/// The extension of `path` in lower case, looking through `.gz`.
pub(super) fn extension(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.rsplit_once('.')
        .map(|(_, e)| e.to_owned())
        .unwrap_or_default()
}

/// Whether a JSON file is read line by line: `.ndjson`/`.jsonl`, or a first line that is a whole object
/// followed by another line.
pub(super) fn layout(path: &Path, head: &[u8]) -> Layout {
    if matches!(extension(path).as_str(), "ndjson" | "jsonl") {
        return Layout::Lines;
    }
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if head.first() != Some(&b'{') {
        return Layout::Document;
    }
    let Some(end) = head.iter().position(|&b| b == b'\n') else {
        return Layout::Document;
    };
    let whole = serde_json::from_slice::<serde::de::IgnoredAny>(&head[..end]).is_ok();
    let more = head[end..].iter().any(|b| !b.is_ascii_whitespace());
    if whole && more {
        Layout::Lines
    } else {
        Layout::Document
    }
}

fn first_non_space(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Whether the first objects have a `"properties"` or `"$properties"` object (Mixpanel's event and people
/// exports).
fn is_mixpanel(head: &[u8]) -> bool {
    if !matches!(first_non_space(head), Some(b'[' | b'{')) {
        return false;
    }
    let key = b"properties\"";
    let mut from = 0;
    while let Some(i) = find(&head[from..], key) {
        let at = from + i;
        from = at + key.len();
        let quoted = at > 0
            && (head[at - 1] == b'"' || (head[at - 1] == b'$' && at > 1 && head[at - 2] == b'"'));
        let mut rest = head[from..]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace());
        if quoted && rest.next() == Some(b':') && rest.next() == Some(b'{') {
            return true;
        }
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Excel's `sep=;` first line: the delimiter and the length of the line (with its line break).
pub(super) fn excel_separator(head: &[u8]) -> Option<(u8, usize)> {
    let line_end = head
        .iter()
        .position(|&b| b == b'\n')
        .map_or(head.len(), |i| i + 1);
    let line = head[..line_end].trim_ascii();
    match line {
        [b's' | b'S', b'e' | b'E', b'p' | b'P', b'=', d] => Some((*d, line_end)),
        _ => None,
    }
}

/// The delimiter of a CSV file: whichever of `,` `;` tab `|` occurs most often, outside quotes, in its first
/// non-blank line (the header); `,` when none does, tab first on a tie in a `.tsv`.
pub(super) fn sniff_delimiter(head: &[u8], tsv: bool) -> u8 {
    let mut lines = head.split(|&b| b == b'\n');
    let header = lines
        .find(|l| !l.trim_ascii().is_empty())
        .unwrap_or_default();
    let candidates: &[u8] = if tsv { b"\t,;|" } else { b",\t;|" };
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = candidates.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let mut best = 0;
    for i in 1..candidates.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}
