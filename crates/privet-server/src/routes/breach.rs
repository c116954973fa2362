//! Breach response on the server: `POST /api/canary/hit` (a mail server reports mail at a canary address),
//! `GET /api/breach/range/{prefix}` (the k-anonymous "am I affected?" lookup) and `GET /breach/check`, the
//! public page that hashes an address in the browser and asks the range API.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use privet_auth::Permission;
use privet_breach::IncidentStore;
use privet_breach::canary::Ledger;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::api::{ApiError, authorize};
use crate::app::App;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitBody {
    /// The canary address the mail was sent to.
    address: Option<String>,
    /// When it arrived [default: now].
    received_at: Option<DateTime<Utc>>,
    /// The sender the mail claimed.
    from: Option<String>,
    subject: Option<String>,
}

fn incidents(app: &App) -> Result<IncidentStore, ApiError> {
    IncidentStore::open(&app.data_dir).map_err(|e| ApiError::owned(503, e.to_string(), None))
}

fn failed(e: privet_breach::BreachError) -> ApiError {
    ApiError::owned(503, e.to_string(), None)
}

/// `POST /api/canary/hit` (admin or privacy-officer key): records the hit and says which destination leaked.
pub async fn canary_hit(
    State(app): AppState,
    headers: HeaderMap,
    body: Result<Json<HitBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Breach)?;
    let Json(body) = body.map_err(|e| {
        ApiError::owned(
            400,
            format!(
                "the body must be JSON like {{\"address\": \"…\", \"from\": \"…\"}}: {}",
                e.body_text()
            ),
            None,
        )
    })?;
    let Some(address) = body.address.filter(|a| !a.trim().is_empty()) else {
        return Err(ApiError::owned(
            400,
            "name the canary address the mail was sent to".into(),
            Some("address".into()),
        ));
    };
    let store = incidents(&app)?;
    let ledger = Ledger::new(store.connection()).map_err(failed)?;
    let hit = ledger
        .record_hit(
            &address,
            body.received_at.unwrap_or_else(Utc::now),
            body.from.as_deref(),
            body.subject.as_deref(),
        )
        .map_err(failed)?;
    match hit {
        Some(hit) => {
            tracing::warn!(
                canary = hit.canary,
                planted_for = %hit.planted_for,
                "mail reached a canary address: a leaked list is being used"
            );
            Ok(Json(json!({
                "canary": hit.canary,
                "planted_for": hit.planted_for,
                "planted_at": hit.planted_at,
                "received_at": hit.received_at,
            }))
            .into_response())
        }
        None => Err(ApiError::owned(
            404,
            "that address is not a canary (`privet canary list` shows them)".into(),
            Some("address".into()),
        )),
    }
}

/// `GET /api/breach/range/{prefix}` (public): suffixes of leaked address hashes under a 5-hex prefix, padded.
pub async fn range(State(app): AppState, Path(prefix): Path<String>) -> Result<Response, ApiError> {
    let store = incidents(&app)?;
    let suffixes =
        privet_breach::range::lookup(store.connection(), &prefix).map_err(|e| match e {
            privet_breach::BreachError::Invalid(m) => {
                ApiError::owned(400, m, Some("prefix".into()))
            }
            other => failed(other),
        })?;
    let mut response =
        Json(json!({"prefix": prefix.to_ascii_lowercase(), "suffixes": suffixes})).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /breach/check`: the public "am I affected?" page. The address never leaves the browser.
pub async fn check_page() -> Response {
    let mut response = Html(CHECK_PAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

const CHECK_PAGE: &str = include_str!("breach_check.html");
