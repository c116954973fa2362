//! Writing a composed notice out: the subject line, the plain-text body (wrapped at 72 columns), the HTML
//! email document and the multilingual public page, each with its own bidi policy (see the module
//! documentation of `notice`) and, for HTML, with every value escaped.

use std::fmt::Write as _;

use super::catalog::{Dir, Rich, Seg};
use super::compose::{Block, Doc};

/// Plain-text line width.
const WIDTH: usize = 72;

const LRM: char = '\u{200E}';
const LRI: char = '\u{2066}';
const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';

/// Whether `c` is a letter of a right-to-left script (Hebrew, Arabic, Syriac, Thaana, N'Ko and their
/// presentation forms, and the right-to-left planes).
fn is_rtl_char(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{08FF}'
            | '\u{FB1D}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}'
            | '\u{10800}'..='\u{10FFF}'
            | '\u{1E800}'..='\u{1EFFF}')
}

/// Whether `s` has a letter of a left-to-right script.
fn has_ltr(s: &str) -> bool {
    s.chars().any(|c| c.is_alphabetic() && !is_rtl_char(c))
}

/// Whether `s` has a letter of a right-to-left script.
fn has_rtl(s: &str) -> bool {
    s.chars().any(|c| c.is_alphabetic() && is_rtl_char(c))
}

/// The subject: one line; no invisible characters in left-to-right locales; in right-to-left ones,
/// left-to-right values framed by LRM.
pub(super) fn subject(doc: &Doc) -> String {
    let mut out = String::new();
    for seg in &doc.subject.0 {
        match seg {
            Seg::Text(t) => out.push_str(t),
            Seg::Value(v, dir) if doc.rtl && (*dir == Dir::Ltr || has_ltr(v)) => {
                out.push(LRM);
                out.push_str(v);
                out.push(LRM);
            }
            Seg::Value(v, _) => out.push_str(v),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value in plain text: as is in left-to-right locales; in right-to-left ones, addresses in LRI…PDI and
/// names with left-to-right letters in LRI…PDI (FSI…PDI when they mix scripts).
fn text_value(v: &str, dir: Dir, rtl: bool) -> String {
    if !rtl {
        return v.to_string();
    }
    match dir {
        Dir::Ltr => format!("{LRI}{v}{PDI}"),
        Dir::Auto if has_ltr(v) && has_rtl(v) => format!("{FSI}{v}{PDI}"),
        Dir::Auto if has_ltr(v) => format!("{LRI}{v}{PDI}"),
        Dir::Auto => v.to_string(),
    }
}

/// The plain-text body.
pub(super) fn text(doc: &Doc) -> String {
    let mut out = String::new();
    for (i, block) in doc.blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match block {
            Block::Heading(r) => {
                let line = words(r, doc.rtl).concat().join(" ");
                let underline = visible_width(&line).clamp(3, WIDTH);
                out.push_str(&line);
                out.push('\n');
                out.push_str(&"-".repeat(underline));
                out.push('\n');
            }
            Block::Para { text, .. } | Block::Warning { text, .. } => {
                wrap(&words(text, doc.rtl), "", "", &mut out);
            }
            Block::List { items, .. } => {
                for item in items {
                    wrap(&words(&item.text, doc.rtl), "  - ", "    ", &mut out);
                }
            }
            Block::Domains(domains) => {
                for domain in domains {
                    out.push_str("  - ");
                    out.push_str(domain);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The words of each line of `r`: text splits at spaces (not at no-break spaces), a value never splits.
fn words(r: &Rich, rtl: bool) -> Vec<Vec<String>> {
    let mut lines = vec![Vec::new()];
    let mut word = String::new();
    let flush = |word: &mut String, lines: &mut Vec<Vec<String>>| {
        if !word.is_empty() {
            lines
                .last_mut()
                .expect("one line at least")
                .push(std::mem::take(word));
        }
    };
    for seg in &r.0 {
        match seg {
            Seg::Text(t) => {
                for c in t.chars() {
                    if c == '\n' {
                        flush(&mut word, &mut lines);
                        lines.push(Vec::new());
                    } else if c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\u{2007}')
                    {
                        flush(&mut word, &mut lines);
                    } else {
                        word.push(c);
                    }
                }
            }
            Seg::Value(v, dir) => word.push_str(&text_value(v, *dir, rtl)),
        }
    }
    flush(&mut word, &mut lines);
    lines
}

/// Columns a line takes: characters, not counting invisible directional marks.
fn visible_width(s: &str) -> usize {
    s.chars()
        .filter(|c| !matches!(*c, LRM | LRI | FSI | PDI))
        .count()
}

/// Greedy wrapping at [`WIDTH`]: `first` before the first line, `rest` before the others.
fn wrap(lines: &[Vec<String>], first: &str, rest: &str, out: &mut String) {
    let mut prefix = first;
    for words in lines {
        let mut line = String::from(prefix);
        let mut width = visible_width(prefix);
        let mut empty = true;
        for word in words {
            let w = visible_width(word);
            if !empty && width + 1 + w > WIDTH {
                out.push_str(line.trim_end());
                out.push('\n');
                prefix = rest;
                line = String::from(prefix);
                width = visible_width(prefix);
                empty = true;
            }
            if !empty {
                line.push(' ');
                width += 1;
            }
            line.push_str(word);
            width += w;
            empty = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
        prefix = rest;
    }
}

/// `s` with `& < > " '` escaped for HTML text and attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Rich text as HTML: text escaped (line breaks become `<br>`), each value escaped in a `<bdi>`.
fn rich_html(r: &Rich) -> String {
    let mut out = String::new();
    for seg in &r.0 {
        match seg {
            Seg::Text(t) => out.push_str(&escape(t).replace('\n', "<br>\n")),
            Seg::Value(v, Dir::Auto) => {
                let _ = write!(out, "<bdi>{}</bdi>", escape(v));
            }
            Seg::Value(v, Dir::Ltr) => {
                let _ = write!(out, "<bdi dir=\"ltr\">{}</bdi>", escape(v));
            }
        }
    }
    out
}

const FONT: &str =
    "-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans Arabic',Tahoma,Arial,sans-serif";
const TEXT_COLOR: &str = "#1f2937";
const HEADING_COLOR: &str = "#111827";

fn dir(doc: &Doc) -> &'static str {
    if doc.rtl { "rtl" } else { "ltr" }
}

/// The side text starts on.
fn start(doc: &Doc) -> &'static str {
    if doc.rtl { "right" } else { "left" }
}

/// The blocks of a notice as HTML.
fn blocks_html(doc: &Doc) -> String {
    let start = start(doc);
    let mut out = String::new();
    for block in &doc.blocks {
        let _ = match block {
            Block::Heading(r) => writeln!(
                out,
                "<h2 style=\"margin:28px 0 8px;font-size:18px;line-height:1.35;color:{HEADING_COLOR};\">{}</h2>",
                rich_html(r)
            ),
            Block::Para { text, .. } => {
                writeln!(out, "<p style=\"margin:0 0 14px;\">{}</p>", rich_html(text))
            }
            Block::Warning { text, .. } => writeln!(
                out,
                "<p style=\"margin:0 0 14px;padding:10px 14px;background-color:#fff7ed;\
                 border-{start}:4px solid #c2410c;color:{TEXT_COLOR};font-weight:bold;\">{}</p>",
                rich_html(text)
            ),
            Block::List { items, .. } => {
                let _ = writeln!(out, "<ul style=\"margin:0 0 14px;padding-{start}:24px;\">");
                for item in items {
                    let _ = writeln!(
                        out,
                        "<li style=\"margin:0 0 6px;\">{}</li>",
                        rich_html(&item.text)
                    );
                }
                writeln!(out, "</ul>")
            }
            Block::Domains(domains) => {
                let _ = writeln!(out, "<ul style=\"margin:0 0 14px;padding-{start}:24px;\">");
                for domain in domains {
                    let _ = writeln!(
                        out,
                        "<li style=\"margin:0 0 6px;font-weight:bold;\"><bdi dir=\"ltr\">{}</bdi></li>",
                        escape(domain)
                    );
                }
                writeln!(out, "</ul>")
            }
        };
    }
    out
}

/// The HTML email: a complete document with inline CSS only, no external resources, images or links.
pub(super) fn html(doc: &Doc) -> String {
    let lang = escape(&doc.locale);
    let dir = dir(doc);
    let start = start(doc);
    let title = rich_html(&doc.subject);
    let plain_title = escape(&subject(doc).replace(LRM, ""));
    let blocks = blocks_html(doc);
    let meta = "<meta name=\"color-scheme\" content=\"light\">
<meta name=\"format-detection\" content=\"telephone=no, date=no, address=no, email=no, url=no\">
";
    let body = format!(
        "<body style=\"margin:0;padding:0;background-color:#f3f4f6;\">
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"background-color:#f3f4f6;\">
<tr><td align=\"center\" style=\"padding:24px 12px;\">
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"max-width:640px;background-color:#ffffff;border:1px solid #d1d5db;border-radius:6px;\">
<tr><td dir=\"{dir}\" lang=\"{lang}\" style=\"padding:28px 32px;font-family:{FONT};font-size:16px;line-height:1.55;color:{TEXT_COLOR};text-align:{start};\">
<h1 style=\"margin:0 0 20px;font-size:22px;line-height:1.3;color:{HEADING_COLOR};\">{title}</h1>
{blocks}</td></tr>
</table>
</td></tr>
</table>
</body>
"
    );
    document(&lang, dir, meta, &plain_title, &body)
}

/// The public page: one section per locale (language name and notice title as the summary that opens it),
/// each with its own `lang` and `dir`.
pub(super) fn page(sections: &[(String, Doc)]) -> String {
    let (page_lang, page_dir, page_title) = match sections.first() {
        Some((_, doc)) => (
            escape(&doc.locale),
            dir(doc),
            escape(&subject(doc).replace(LRM, "")),
        ),
        None => ("en".to_string(), "ltr", String::new()),
    };
    let mut body = String::new();
    for (name, doc) in sections {
        let lang = escape(&doc.locale);
        let _ = write!(
            body,
            "<details id=\"notice-{lang}\" lang=\"{lang}\" dir=\"{dir}\" style=\"margin:0 0 12px;padding:0 20px;\
             background-color:#ffffff;border:1px solid #d1d5db;border-radius:6px;text-align:{start};\">
<summary style=\"cursor:pointer;padding:14px 0;font-size:17px;line-height:1.4;color:{HEADING_COLOR};\">\
<strong>{name}</strong> · {title}</summary>
<div style=\"padding:0 0 16px;\">
{blocks}</div>
</details>
",
            dir = dir(doc),
            start = start(doc),
            name = escape(name),
            title = rich_html(&doc.subject),
            blocks = blocks_html(doc),
        );
    }
    let body = format!(
        "<body style=\"margin:0;padding:0;background-color:#f3f4f6;color:{TEXT_COLOR};font-family:{FONT};font-size:16px;line-height:1.55;\">
<main style=\"max-width:720px;margin:0 auto;padding:24px 16px;\">
<h1 style=\"margin:0 0 20px;font-size:24px;line-height:1.3;color:{HEADING_COLOR};\">{page_title}</h1>
{body}</main>
</body>
"
    );
    document(&page_lang, page_dir, "", &page_title, &body)
}

/// A complete HTML document: `meta` is more of the head (before the title), `body` the `<body>` element.
fn document(lang: &str, dir: &str, meta: &str, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>
<html lang=\"{lang}\" dir=\"{dir}\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
{meta}<title>{title}</title>
</head>
{body}</html>
"
    )
}
