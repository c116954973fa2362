//! The transport layer of Mixpanel's ingestion API, shared by `/track`, `/engage`, `/groups` and `/import`.
//!
//! SDKs send the payload in many ways, and all of them must work:
//! * a form body `data=…` (`application/x-www-form-urlencoded`; the Python and Node SDKs, `mixpanel-browser`);
//! * the same form body as `text/plain` (the browser's `sendBeacon`);
//! * a raw JSON body (`application/json`: the Swift SDK, `/import` callers), a single object or an array, or NDJSON;
//! * `data` as a query parameter (`GET /track?data=…`);
//! * `data` as JSON or as base64-encoded JSON, where base64 may lack padding, use the URL-safe alphabet, or have
//!   had its `+` turned into a space by a careless encoder;
//! * any of these gzip-compressed (`Content-Encoding: gzip`).
//!
//! Flags come from the query string or the form: `verbose`, `ip`, `strict`, `img`, `callback`.
//!
//! The payload comes out as a [`Document`]: its JSON text, not yet parsed. Event endpoints parse it once into
//! records whose properties stay spans of that text (`mixpanel::events`); profile endpoints parse it into a
//! `serde_json::Value` ([`Document::value`]). A document that is not valid JSON gets the same answer either way.

use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use privet_model::JsonText;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::IngestError;

/// An HTTP request reduced to what decoding needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct WireRequest<'a> {
    /// The raw query string (without `?`).
    pub query: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub content_encoding: Option<&'a str>,
    pub body: &'a [u8],
}

/// The flags Mixpanel's API understands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// `verbose=1`: answer `{"status":1,"error":null}` instead of `1`.
    pub verbose: bool,
    /// `ip=1`: use the caller's address for location.
    pub ip: bool,
    /// `strict=1`: validate every record and report failures.
    pub strict: bool,
    /// `img=1`: answer with a 1×1 GIF (old `<img>` transport).
    pub img: bool,
    /// `callback=fn`: answer as JSONP.
    pub callback: Option<String>,
    /// `project_id=…`: the project a service-account style `/import` call names.
    pub project_id: Option<String>,
}

/// A request's JSON payload, not yet parsed: one JSON document, or NDJSON lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    text: JsonText,
    /// Where the JSON came from, for error messages: `body` or `data`.
    origin: &'static str,
    /// NDJSON: each line's number (from 1) and span; `None` for one document.
    lines: Option<Vec<(usize, Range<usize>)>>,
}

impl Document {
    /// One JSON document (not checked yet).
    pub fn new(text: impl Into<JsonText>, origin: &'static str) -> Document {
        Document {
            text: text.into(),
            origin,
            lines: None,
        }
    }

    /// A document holding `value` (tests, and in-process senders such as the demo loader).
    pub fn from_value(value: &Value) -> Document {
        Document::new(value.to_string(), "data")
    }

    /// The whole text.
    pub fn text(&self) -> &JsonText {
        &self.text
    }

    /// The JSON texts to parse, each with what to call it in an error: the document, or each NDJSON line.
    pub fn parts(&self) -> Vec<(&str, JsonError)> {
        match &self.lines {
            None => vec![(&self.text[..], JsonError::Whole(self.origin))],
            Some(lines) => lines
                .iter()
                .map(|(n, span)| (&self.text[span.clone()], JsonError::Line(*n)))
                .collect(),
        }
    }

    /// Parses the payload into a value (an array for NDJSON).
    pub fn value(&self) -> Result<Value, IngestError> {
        let mut items = Vec::new();
        for (text, part) in self.parts() {
            let value: Value = serde_json::from_str(text).map_err(|e| part.error(&e))?;
            if self.lines.is_none() {
                return Ok(value);
            }
            items.push(value);
        }
        Ok(Value::Array(items))
    }
}

/// What a JSON syntax error is reported against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// The whole body, or the `data` field.
    Whole(&'static str),
    /// One NDJSON line.
    Line(usize),
}

impl JsonError {
    /// The error answer for a JSON syntax error (by position only: serde_json's messages can quote input).
    pub fn error(self, e: &serde_json::Error) -> IngestError {
        self.answer(&describe_json_error(e))
    }

    /// The error answer for text that is not UTF-8 from byte `at` on.
    fn not_utf8(self, at: usize) -> IngestError {
        self.answer(&format!("it is not UTF-8 from byte {at} on"))
    }

    fn answer(self, why: &str) -> IngestError {
        let (field, what) = match self {
            JsonError::Whole("body") => ("body".to_string(), "the body".to_string()),
            JsonError::Whole(field) => (field.to_string(), format!("`{field}`")),
            JsonError::Line(n) => (format!("line {n}"), format!("line {n}")),
        };
        IngestError::bad_request(
            "bad_json",
            Some(field),
            format!("{what} is not valid JSON: {why}"),
        )
    }
}

/// A decoded request: the JSON payload and the flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub data: Document,
    pub params: Params,
    /// True when the payload came in a `data` field (form or query) rather than as a JSON body: `/import`
    /// answers the two differently, as Mixpanel does.
    pub form: bool,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decodes a request's payload. `max_bytes` limits the body after decompression.
pub fn decode(request: &WireRequest<'_>, max_bytes: usize) -> Result<Payload, IngestError> {
    let mut params = Params::default();
    let mut data: Option<String> = None;
    if let Some(query) = request.query {
        read_pairs(query.as_bytes(), &mut params, &mut data);
    }
    let body = decompress(request, max_bytes)?;
    let trimmed = trim_ascii(&body);
    if !trimmed.is_empty() {
        if looks_like_json(trimmed, request.content_type) {
            let text = utf8(trimmed, JsonError::Whole("body"))?;
            return Ok(Payload {
                data: json_body(text, &mut params)?,
                params,
                form: false,
            });
        }
        read_pairs(trimmed, &mut params, &mut data);
        if data.is_none() {
            return Err(IngestError::bad_request(
                "no_data",
                Some("data".to_string()),
                "the body has no `data` field; send `data=<JSON or base64 JSON>` as a form field, or a JSON body",
            ));
        }
    }
    let Some(text) = data else {
        return Err(IngestError::bad_request(
            "no_data",
            Some("data".to_string()),
            "no `data` was sent; send it as a form field, a query parameter or a JSON body",
        ));
    };
    Ok(Payload {
        data: decode_data(&text)?,
        params,
        form: true,
    })
}

/// The flags of a query string alone (to shape an error answer when the body could not be read).
pub fn query_params(query: Option<&str>) -> Params {
    let mut params = Params::default();
    let mut data = None;
    if let Some(query) = query {
        read_pairs(query.as_bytes(), &mut params, &mut data);
    }
    params
}

/// Decodes the `data` parameter: JSON, or base64-encoded JSON.
pub fn decode_data(text: &str) -> Result<Document, IngestError> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(Document::new(trimmed, "data"));
    }
    let bytes = lenient_base64(trimmed).ok_or_else(|| {
        IngestError::bad_request(
            "bad_base64",
            Some("data".to_string()),
            "`data` is neither JSON nor base64-encoded JSON",
        )
    })?;
    Ok(Document::new(
        utf8(&bytes, JsonError::Whole("data"))?,
        "data",
    ))
}

/// JSON text must be UTF-8.
fn utf8(bytes: &[u8], part: JsonError) -> Result<&str, IngestError> {
    std::str::from_utf8(bytes).map_err(|e| part.not_utf8(e.valid_up_to()))
}

/// Base64 as SDKs really send it: padding optional, URL-safe alphabet allowed, `+` possibly turned into a space.
fn lenient_base64(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, '\n' | '\r' | '\t'))
        .map(|c| match c {
            ' ' => '+',
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    LENIENT.decode(cleaned.trim_end_matches('=')).ok()
}

fn decompress(request: &WireRequest<'_>, max_bytes: usize) -> Result<Vec<u8>, IngestError> {
    let declared_gzip = request
        .content_encoding
        .is_some_and(|e| e.split(',').any(|p| p.trim().eq_ignore_ascii_case("gzip")));
    let sniffed_gzip = request.body.starts_with(&GZIP_MAGIC);
    if !(declared_gzip || sniffed_gzip) {
        if request.body.len() > max_bytes {
            return Err(too_large(max_bytes));
        }
        return Ok(request.body.to_vec());
    }
    let mut out = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(request.body);
    match decoder.take(max_bytes as u64 + 1).read_to_end(&mut out) {
        Ok(_) if out.len() > max_bytes => Err(too_large(max_bytes)),
        Ok(_) => Ok(out),
        Err(_) if declared_gzip => Err(IngestError::bad_request(
            "bad_gzip",
            None,
            "the body is declared as gzip (Content-Encoding: gzip) but is not valid gzip",
        )),
        // Looked like gzip but is not: treat as plain.
        Err(_) => Ok(request.body.to_vec()),
    }
}

fn too_large(max_bytes: usize) -> IngestError {
    IngestError::too_large(
        "too_large",
        None,
        format!(
            "the request body is larger than {max_bytes} bytes (after decompression); send smaller batches"
        ),
    )
}

fn looks_like_json(body: &[u8], content_type: Option<&str>) -> bool {
    let json_type = content_type.is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t.contains("json")
    });
    json_type || body.starts_with(b"{") || body.starts_with(b"[")
}

/// A JSON body: one document, NDJSON (one document per line), or `{"data": …}` with flags beside it.
fn json_body(text: &str, params: &mut Params) -> Result<Document, IngestError> {
    if !text.starts_with('{') {
        return Ok(Document::new(text, "body"));
    }
    match serde_json::from_str::<Wrapper<'_>>(text) {
        Ok(wrapper) => {
            let Some(data) = wrapper
                .data
                .filter(|_| !(wrapper.event || wrapper.properties))
            else {
                return Ok(Document::new(text, "body"));
            };
            for (value, flag) in [
                (&wrapper.verbose, &mut params.verbose),
                (&wrapper.ip, &mut params.ip),
                (&wrapper.strict, &mut params.strict),
            ] {
                if let Some(v) = value {
                    *flag = matches!(v, Value::Bool(true))
                        || v.as_i64() == Some(1)
                        || v.as_str() == Some("1");
                }
            }
            // `data` as a JSON string holds base64 or JSON text; otherwise it is the records themselves (parsed
            // once, later, by the record parser).
            if data.get().starts_with('"') {
                let inner: String = serde_json::from_str(data.get())
                    .map_err(|e| JsonError::Whole("data").error(&e))?;
                decode_data(&inner)
            } else {
                Ok(Document::new(data.get(), "data"))
            }
        }
        // NDJSON: several objects separated by newlines.
        Err(_) if text.contains('\n') => {
            let mut lines = Vec::new();
            let mut start = 0;
            for (index, line) in text.split('\n').enumerate() {
                let end = start + line.len();
                let trimmed = line.trim_ascii();
                if !trimmed.is_empty() {
                    let offset = start + (trimmed.as_ptr() as usize - line.as_ptr() as usize);
                    lines.push((index + 1, offset..offset + trimmed.len()));
                }
                start = end + 1;
            }
            Ok(Document {
                text: Arc::from(text),
                origin: "body",
                lines: Some(lines),
            })
        }
        Err(_) => Ok(Document::new(text, "body")),
    }
}

/// The top level of an object body, to tell `{"data": …}` from an event (values left unparsed).
#[derive(Deserialize)]
struct Wrapper<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "present")]
    event: bool,
    #[serde(default, deserialize_with = "present")]
    properties: bool,
    #[serde(default)]
    verbose: Option<Value>,
    #[serde(default)]
    ip: Option<Value>,
    #[serde(default)]
    strict: Option<Value>,
}

/// True for a field that is present, whatever its value.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// Describes a JSON error by position only (serde_json's messages can quote input).
fn describe_json_error(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Eof => "it ends too early",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    };
    if e.to_string().contains("recursion limit") {
        return "it is nested too deeply".to_string();
    }
    format!("{kind} at line {} column {}", e.line(), e.column())
}

fn read_pairs(bytes: &[u8], params: &mut Params, data: &mut Option<String>) {
    for (key, value) in form_urlencoded::parse(bytes) {
        let on = || value == "1" || value.eq_ignore_ascii_case("true");
        match key.as_ref() {
            "data" => *data = Some(value.into_owned()),
            "verbose" => params.verbose = on(),
            "ip" => params.ip = on(),
            "strict" => params.strict = on(),
            "img" => params.img = on(),
            "callback" => {
                // Only plain JavaScript identifiers may be echoed back into a JSONP response.
                let valid = !value.is_empty()
                    && value.len() <= 64
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$');
                params.callback = valid.then(|| value.into_owned());
            }
            "project_id" => params.project_id = Some(value.into_owned()),
            _ => {}
        }
    }
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use base64::engine::general_purpose::STANDARD;
    use serde_json::json;

    use super::*;

    const EVENT: &str = r#"{"event":"Signed up","properties":{"token":"t","distinct_id":"u1"}}"#;

    fn decode_body(
        content_type: &str,
        body: &[u8],
        query: Option<&str>,
    ) -> Result<Payload, IngestError> {
        decode(
            &WireRequest {
                query,
                content_type: Some(content_type),
                content_encoding: None,
                body,
            },
            1 << 20,
        )
    }

    fn form(data: &str) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("data", data)
            .finish()
            .into_bytes()
    }

    #[test]
    fn form_with_json_and_base64() {
        let expected: Value = serde_json::from_str(EVENT).unwrap();
        let plain = decode_body("application/x-www-form-urlencoded", &form(EVENT), None).unwrap();
        assert_eq!(plain.data.value().unwrap(), expected);
        let b64 = STANDARD.encode(EVENT);
        let encoded = decode_body(
            "application/x-www-form-urlencoded",
            &form(&b64),
            Some("verbose=1&ip=1&_=123"),
        )
        .unwrap();
        assert_eq!(encoded.data.value().unwrap(), expected);
        assert!(encoded.params.verbose && encoded.params.ip && !encoded.params.strict);
    }

    #[test]
    fn lenient_base64_variants() {
        let expected: Value = serde_json::from_str(EVENT).unwrap();
        let b64 = STANDARD.encode(format!("{EVENT}  ")); // padding needed
        let unpadded = b64.trim_end_matches('=');
        assert_eq!(decode_data(unpadded).unwrap().value().unwrap(), expected);
        let spaced = b64.replace('+', " ");
        assert_eq!(decode_data(&spaced).unwrap().value().unwrap(), expected);
        let url_safe = b64.replace('+', "-").replace('/', "_");
        assert_eq!(decode_data(&url_safe).unwrap().value().unwrap(), expected);
    }

    #[test]
    fn raw_json_text_plain_query_and_wrapped() {
        let expected: Value = serde_json::from_str(EVENT).unwrap();
        assert_eq!(
            decode_body("application/json", EVENT.as_bytes(), None)
                .unwrap()
                .data
                .value()
                .unwrap(),
            expected
        );
        // sendBeacon: a form body labelled text/plain.
        let beacon = decode_body("text/plain;charset=UTF-8", &form(EVENT), None).unwrap();
        assert_eq!(beacon.data.value().unwrap(), expected);
        // GET with data in the query string.
        let query = String::from_utf8(form(&STANDARD.encode(EVENT))).unwrap();
        assert_eq!(
            decode_body("", b"", Some(&query))
                .unwrap()
                .data
                .value()
                .unwrap(),
            expected
        );
        // {"data": …, "verbose": 1}
        let wrapped = json!({"data": STANDARD.encode(EVENT), "verbose": 1}).to_string();
        let payload = decode_body("application/json", wrapped.as_bytes(), None).unwrap();
        assert_eq!(payload.data.value().unwrap(), expected);
        assert!(payload.params.verbose);
    }

    #[test]
    fn ndjson_and_gzip() {
        let body = format!("{EVENT}\n{EVENT}\n");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body.as_bytes()).unwrap();
        let compressed = gz.finish().unwrap();
        let payload = decode(
            &WireRequest {
                query: None,
                content_type: Some("application/x-ndjson"),
                content_encoding: Some("gzip"),
                body: &compressed,
            },
            1 << 20,
        )
        .unwrap();
        assert_eq!(payload.data.value().unwrap().as_array().unwrap().len(), 2);
        let broken = decode_body(
            "application/x-ndjson",
            format!("{EVENT}\n{{oops\n").as_bytes(),
            None,
        )
        .unwrap()
        .data
        .value()
        .unwrap_err();
        assert_eq!(broken.field.as_deref(), Some("line 2"));
    }

    #[test]
    fn bad_inputs_name_the_problem() {
        let err = decode_body(
            "application/x-www-form-urlencoded",
            &form("%%%not-base64!!"),
            None,
        )
        .unwrap_err();
        assert_eq!(
            (err.status, err.reason, err.field.as_deref()),
            (400, "bad_base64", Some("data"))
        );
        // Syntax errors are found when the document is parsed, and answered the same way.
        let parsed = |content_type: &str, body: &[u8]| {
            decode_body(content_type, body, None).and_then(|p| p.data.value())
        };
        let err = parsed("application/json", b"{\"event\": ").unwrap_err();
        assert_eq!((err.status, err.reason), (400, "bad_json"));
        let err = decode_body("application/x-www-form-urlencoded", b"foo=bar", None).unwrap_err();
        assert_eq!(err.reason, "no_data");
        let err = decode_body("", b"", None).unwrap_err();
        assert_eq!(err.reason, "no_data");
        let secret = STANDARD.encode("{\"email\": \"alice@example.com\""); // broken JSON inside base64
        let err = parsed("application/x-www-form-urlencoded", &form(&secret)).unwrap_err();
        assert!(!err.message.contains("alice"), "{}", err.message);
        // Text that is not UTF-8, even inside a string a parser could skip, is refused (never a panic).
        for body in [&b"[\"\xff\"]"[..], &b"{\"event\": \"x\xc3\"}"[..]] {
            let err = parsed("application/json", body).unwrap_err();
            assert_eq!(
                (err.reason, err.field.as_deref()),
                ("bad_json", Some("body"))
            );
            assert!(err.message.contains("not UTF-8"), "{}", err.message);
        }
        let err = parsed(
            "application/x-www-form-urlencoded",
            &form(&STANDARD.encode(b"[\"\xff\"]")),
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("data"));
        let deep = "[".repeat(10_000);
        let err = parsed("application/json", deep.as_bytes()).unwrap_err();
        assert_eq!(err.reason, "bad_json");
        let err = decode(
            &WireRequest {
                content_encoding: Some("gzip"),
                body: b"definitely not gzip",
                ..Default::default()
            },
            1024,
        )
        .unwrap_err();
        assert_eq!(err.reason, "bad_gzip");
    }

    #[test]
    fn size_limit_applies_after_decompression() {
        let big = vec![b' '; 100_000];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&big).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 1000);
        let err = decode(
            &WireRequest {
                content_encoding: Some("gzip"),
                body: &bomb,
                ..Default::default()
            },
            10_000,
        )
        .unwrap_err();
        assert_eq!(err.status, 413);
    }

    #[test]
    fn jsonp_callbacks_are_sanitised() {
        let p = decode_body("", b"", Some("data=e30&callback=mp.cb_1")).unwrap();
        assert_eq!(p.params.callback.as_deref(), Some("mp.cb_1"));
        let p = decode_body("", b"", Some("data=e30&callback=alert(1)")).unwrap();
        assert_eq!(p.params.callback, None);
    }
}
