//! `POST /v1/events`: Privet's native NDJSON ingestion for high-volume senders.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use privet_ingest::body;
use privet_ingest::native;
use privet_ingest::service::{Auth, Endpoint};
use privet_ingest::{IngestError, IngestResult};
use serde::Deserialize;
use serde_json::json;

use super::{AppState, count_request_error, event_context, read_body, wire};
use crate::respond;

#[derive(Deserialize)]
pub struct NativeQuery {
    project: Option<String>,
}

/// `POST /v1/events?project=NAME` with `Authorization: Bearer KEY`.
pub async fn events(
    State(app): AppState,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(named): Query<NativeQuery>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result: Result<IngestResult, IngestError> = async {
        let secret = crate::auth::secrets(&headers)
            .into_iter()
            .next()
            .ok_or_else(|| {
                IngestError::unauthorized(
                    "no_key",
                    "send an `ingest` key as `Authorization: Bearer KEY`",
                )
            })?;
        let key = app.ingest.authenticate(&secret)?;
        let project = named
            .project
            .as_deref()
            .map(|p| app.ingest.named_project(p))
            .transpose()?;
        let bytes = read_body(body, app.config.ingest.max_body_bytes).await?;
        let payload = body::decode(
            &wire(query.as_deref(), &headers, &bytes),
            app.config.ingest.max_body_bytes,
        )?;
        let (good, bad) = native::decode(
            &payload.data,
            &app.ingest.limits(),
            privet_model::time::now_us(),
        )?;
        let ctx = event_context(&app, &payload.params, peer, &headers);
        app.ingest
            .events(
                Endpoint::Native,
                &Auth::Key { key, project },
                &ctx,
                good,
                bad,
            )
            .await
    }
    .await;
    count_request_error(&app, Endpoint::Native, &result);
    match result {
        Err(e) => respond::error(e.status, &e.message, e.field.as_deref()),
        Ok(r) => {
            let status = if r.accepted == 0 && !r.errors.is_empty() {
                if r.only_token_errors() {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::BAD_REQUEST
                }
            } else {
                StatusCode::OK
            };
            let total = r.accepted + r.errors.len();
            let mut body = json!({
                "accepted": r.accepted,
                "stored": r.stored,
                "duplicates": r.duplicates,
                "ignored": r.ignored,
                "rejected": r.errors,
            });
            if status != StatusCode::OK {
                body["error"] = json!(respond::summary(&r.errors, total));
            }
            (status, Json(body)).into_response()
        }
    }
}
