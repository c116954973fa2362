//! Mixpanel's ingestion routes.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use privet_ingest::body::{self, Params, query_params};
use privet_ingest::mixpanel::{self, events, profiles};
use privet_ingest::service::{Auth, Endpoint};
use privet_ingest::{IngestError, IngestResult};
use serde_json::json;

use super::{AppState, count_request_error, event_context, read_body, wire};
use crate::app::App;
use crate::respond;

/// `GET|POST /track`.
pub async fn track(
    State(app): AppState,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (params, result) = events_request(
        &app,
        Endpoint::Track,
        peer,
        query.as_deref(),
        &headers,
        body,
    )
    .await;
    respond::classic(&params, result)
}

/// `GET|POST /engage`.
pub async fn engage(
    State(app): AppState,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (params, result) = profiles_request(
        &app,
        profiles::Kind::People,
        query.as_deref(),
        &headers,
        body,
    )
    .await;
    respond::classic(&params, result)
}

/// `GET|POST /groups`.
pub async fn groups(
    State(app): AppState,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (params, result) = profiles_request(
        &app,
        profiles::Kind::Groups,
        query.as_deref(),
        &headers,
        body,
    )
    .await;
    respond::classic(&params, result)
}

/// `POST /import`: events with a secret key.
pub async fn import(
    State(app): AppState,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let params = query_params(query.as_deref());
    let secrets = crate::auth::secrets(&headers);
    if secrets.is_empty() {
        let mut response = respond::import(
            false,
            &params,
            Err(IngestError::unauthorized(
                "no_key",
                "send an `ingest` or `admin` key as the HTTP Basic user name (the SDKs' api_secret) or as a Bearer token",
            )),
        );
        response.headers_mut().insert(
            "www-authenticate",
            "Basic realm=\"privet\"".parse().expect("valid header"),
        );
        return response;
    }
    let key = secrets
        .iter()
        .map(|s| app.ingest.authenticate(s))
        .find(Result::is_ok)
        .unwrap_or_else(|| app.ingest.authenticate(&secrets[0]));
    let key = match key {
        Ok(key) => key,
        Err(e) => return respond::import(false, &params, Err(e)),
    };
    let bytes = match read_body(body, app.config.ingest.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return respond::import(false, &params, Err(e)),
    };
    let payload = match body::decode(
        &wire(query.as_deref(), &headers, &bytes),
        app.config.ingest.max_body_bytes,
    ) {
        Ok(p) => p,
        Err(e) => return respond::import(false, &params, Err(e)),
    };
    let project = match payload
        .params
        .project_id
        .as_deref()
        .map(|p| app.ingest.named_project(p))
    {
        Some(Err(e)) => return respond::import(payload.form, &payload.params, Err(e)),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    let result = async {
        let mode = if payload.params.strict {
            events::Mode::ImportStrict
        } else {
            events::Mode::Import
        };
        let (good, bad) = events::decode(
            &payload.data,
            mode,
            &app.ingest.limits(),
            privet_model::time::now_us(),
        )?;
        let ctx = event_context(&app, &payload.params, peer, &headers);
        app.ingest
            .events(
                Endpoint::Import,
                &Auth::Key { key, project },
                &ctx,
                good,
                bad,
            )
            .await
    }
    .await;
    count_request_error(&app, Endpoint::Import, &result);
    respond::import(payload.form, &payload.params, result)
}

async fn events_request(
    app: &App,
    endpoint: Endpoint,
    peer: SocketAddr,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> (Params, Result<IngestResult, IngestError>) {
    let mut params = query_params(query);
    let result = async {
        let bytes = read_body(body, app.config.ingest.max_body_bytes).await?;
        let payload = body::decode(
            &wire(query, headers, &bytes),
            app.config.ingest.max_body_bytes,
        )?;
        params = payload.params;
        let mode = if params.strict {
            events::Mode::TrackStrict
        } else {
            events::Mode::Track
        };
        let (good, bad) = events::decode(
            &payload.data,
            mode,
            &app.ingest.limits(),
            privet_model::time::now_us(),
        )?;
        let ctx = event_context(app, &params, peer, headers);
        app.ingest
            .events(endpoint, &Auth::Token, &ctx, good, bad)
            .await
    }
    .await;
    count_request_error(app, endpoint, &result);
    (params, result)
}

async fn profiles_request(
    app: &App,
    kind: profiles::Kind,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> (Params, Result<IngestResult, IngestError>) {
    let endpoint = match kind {
        profiles::Kind::People => Endpoint::Engage,
        profiles::Kind::Groups => Endpoint::Groups,
    };
    let mut params = query_params(query);
    let result = async {
        let bytes = read_body(body, app.config.ingest.max_body_bytes).await?;
        let payload = body::decode(
            &wire(query, headers, &bytes),
            app.config.ingest.max_body_bytes,
        )?;
        params = payload.params;
        let items = mixpanel::records(payload.data.value()?, app.config.ingest.max_batch)?;
        let (good, bad) = profiles::decode(
            items,
            kind,
            params.strict,
            &app.ingest.limits(),
            privet_model::time::now_us(),
        );
        app.ingest.profiles(endpoint, &Auth::Token, good, bad).await
    }
    .await;
    count_request_error(app, endpoint, &result);
    (params, result)
}

/// `/decide`: the legacy remote-settings call; nothing is enabled remotely.
pub async fn decide() -> Response {
    Json(json!({
        "config": {"enable_collect_everything": false},
        "notifications": [],
        "feature_flags": [],
        "surveys": [],
        "toolbar_js": null,
        "integrations": []
    }))
    .into_response()
}

/// `/flags`: feature flags; Privet serves none.
pub async fn flags() -> Response {
    Json(json!({"flags": {}})).into_response()
}

/// `/settings`: remote SDK settings; none.
pub async fn settings() -> Response {
    Json(json!({})).into_response()
}

/// `/record`: session recordings. Privet does not store them (they are full of personal data); the SDK is told
/// all is well so that it does not retry forever.
pub async fn record(body: Body) -> Response {
    // Drain the body so keep-alive connections stay usable, but keep nothing.
    let _ = axum::body::to_bytes(body, 64 * 1024 * 1024).await;
    Json(json!({"status": 1, "error": null})).into_response()
}
