//! Operations: liveness, readiness and Prometheus metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::respond;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// `GET /readyz`: the store accepts writes.
pub async fn readyz(State(app): AppState) -> Response {
    match app.store.failure() {
        None => Json(json!({"status": "ready"})).into_response(),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": reason})),
        )
            .into_response(),
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(app): AppState) -> Response {
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &app.registry).is_err() {
        return respond::error(500, "cannot encode metrics", None);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Anything else.
pub async fn not_found() -> Response {
    respond::error(404, "no such route; see the README for Privet's API", None)
}
