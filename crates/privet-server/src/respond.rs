//! Shaping answers the way each caller expects them.
//!
//! Mixpanel SDKs read `1`/`0` or, with `verbose=1`, `{"status":1,"error":null}`; JSONP and `<img>` callers get
//! a script or a GIF; `/import` callers get `{"code":200,"num_records_imported":N,"status":"OK"}` for JSON bodies.
//! Every error is a JSON object with the message and the field at fault.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use privet_ingest::{IngestError, IngestResult, Params, RecordError};
use serde_json::{Value, json};

/// A 1×1 transparent GIF, for `img=1`.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// A JSON error answer: `{"error": …, "field": …}`.
pub fn error(status: u16, message: &str, field: Option<&str>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut body = json!({"error": message});
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    (status, Json(body)).into_response()
}

/// A summary of rejected records for the `error` text.
pub fn summary(errors: &[RecordError], total: usize) -> String {
    match errors.first() {
        None => String::new(),
        Some(first) => format!(
            "{} of {} records rejected; record {}: {}",
            errors.len(),
            total,
            first.index,
            first.message
        ),
    }
}

/// The answer to `/track`, `/engage` and `/groups`.
pub fn classic(params: &Params, result: Result<IngestResult, IngestError>) -> Response {
    let (status, body) = match result {
        Err(e) => (
            e.status,
            json!({"status": 0, "error": e.message, "field": e.field}),
        ),
        Ok(r) => {
            let total = r.accepted + r.errors.len();
            let failed = !r.errors.is_empty() && (r.accepted == 0 || params.strict);
            if failed {
                let status = if r.only_token_errors() { 401 } else { 400 };
                (
                    status,
                    json!({
                        "status": 0,
                        "error": summary(&r.errors, total),
                        "failed_records": r.errors,
                        "num_records_imported": r.accepted,
                    }),
                )
            } else if r.errors.is_empty() {
                (200, json!({"status": 1, "error": null}))
            } else {
                (
                    200,
                    json!({"status": 1, "error": null, "failed_records": r.errors, "num_records_imported": r.accepted}),
                )
            }
        }
    };
    let ok = status == 200;
    let status_code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    if params.img {
        return (status_code, [(header::CONTENT_TYPE, "image/gif")], PIXEL).into_response();
    }
    let text = if params.verbose {
        body.to_string()
    } else if ok {
        "1".to_string()
    } else {
        // Non-verbose callers only compare with "1"; still give people and logs the reason.
        body.to_string()
    };
    if let Some(callback) = &params.callback {
        let script = format!("{callback}({text});");
        return (
            status_code,
            [(header::CONTENT_TYPE, "application/javascript")],
            script,
        )
            .into_response();
    }
    let content_type = if text == "1" {
        "text/plain"
    } else {
        "application/json"
    };
    let mut response = (status_code, text).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The answer to `/import`: JSON bodies get Mixpanel's import shape, form bodies the classic shape.
pub fn import(form: bool, params: &Params, result: Result<IngestResult, IngestError>) -> Response {
    if form {
        let mut params = params.clone();
        params.verbose = true;
        return classic(&params, result);
    }
    match result {
        Err(e) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                Json(json!({"code": e.status, "error": e.message, "field": e.field, "status": reason_phrase(status)})),
            )
                .into_response()
        }
        Ok(r) => {
            let total = r.accepted + r.errors.len();
            let failed = !r.errors.is_empty() && (r.accepted == 0 || params.strict);
            let status = if !failed {
                StatusCode::OK
            } else if r.only_token_errors() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            let mut body = json!({
                "code": status.as_u16(),
                "num_records_imported": r.accepted,
                "status": reason_phrase(status),
            });
            if !r.errors.is_empty() {
                body["failed_records"] = json!(r.errors);
                if failed {
                    body["error"] = Value::String(summary(&r.errors, total));
                }
            }
            (status, Json(body)).into_response()
        }
    }
}

fn reason_phrase(status: StatusCode) -> &'static str {
    match status {
        StatusCode::OK => "OK",
        other => other.canonical_reason().unwrap_or("Error"),
    }
}
