//! The dashboard's pages (shells that `app.js` fills from the JSON APIs) and its embedded assets.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use privet_auth::{Session, Stage};
use privet_dashboard::Refused;
use serde::Deserialize;
use serde_json::json;

use super::{html, message, redirect, session_at, templates, viewer};
use crate::routes::AppState;

/// Sends someone without a complete session to sign in, coming back to `here` afterwards.
pub(crate) fn to_login(here: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    redirect(&format!("/login?next={next}"), None)
}

fn here(path: &str, query: Option<&str>) -> String {
    match query {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    }
}

fn render(session: &Session, page: &str, args: serde_json::Value) -> Response {
    match templates().app_page(page, &viewer(&session.user), &session.csrf, args) {
        Ok(body) => html(StatusCode::OK, body),
        Err(Refused::Forbidden) => message(
            StatusCode::FORBIDDEN,
            "Not for your role",
            &format!(
                "The role `{}` cannot open this page; ask an admin if you need it.",
                session.user.role
            ),
            Some(("/insights", "Go to Insights")),
        ),
        Err(Refused::NotFound) => message(
            StatusCode::NOT_FOUND,
            "No such page",
            "There is no page at this address.",
            Some(("/insights", "Go to Insights")),
        ),
    }
}

/// A page for a complete session; others go to sign-in (or to their account, to choose a password).
fn guarded(
    app: &crate::App,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    page: &str,
    args: serde_json::Value,
) -> Response {
    let Some((_, session)) = session_at(app, headers, &[Stage::Full]) else {
        if session_at(app, headers, &[Stage::Enrol]).is_some() {
            return redirect("/account/mfa", None);
        }
        return to_login(&here(uri.path(), uri.query()));
    };
    if session.user.must_change_password {
        return redirect("/account", None);
    }
    render(&session, page, args)
}

/// `GET /`.
pub async fn home(State(app): AppState, headers: HeaderMap) -> Response {
    match session_at(&app, &headers, &[Stage::Full]) {
        Some(_) => redirect("/insights", None),
        None => redirect("/login", None),
    }
}

/// `GET /{page}`: insights, funnels, retention, flows, events, people, privacy, incidents, audit, users, keys.
pub async fn app_page(
    State(app): AppState,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(page): Path<String>,
) -> Response {
    // Unknown paths get the API's JSON 404; pages that need an argument are reached by their own routes.
    if !privet_dashboard::is_page(&page) || matches!(page.as_str(), "person" | "group" | "incident")
    {
        return crate::routes::not_found().await;
    }
    guarded(&app, &headers, &uri, &page, json!({}))
}

/// `GET /people/{person_id}`.
pub async fn person(
    State(app): AppState,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(id): Path<String>,
) -> Response {
    guarded(&app, &headers, &uri, "person", json!({"person_id": id}))
}

/// `GET /organisations/{group_key}/{group_id}`.
pub async fn organisation(
    State(app): AppState,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path((key, id)): Path<(String, String)>,
) -> Response {
    guarded(
        &app,
        &headers,
        &uri,
        "group",
        json!({"group_key": key, "group_id": id}),
    )
}

/// `GET /incidents/{id}`.
pub async fn incident(
    State(app): AppState,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(id): Path<String>,
) -> Response {
    guarded(&app, &headers, &uri, "incident", json!({"incident": id}))
}

#[derive(Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// `GET /assets/{name}`: cached for a year when the URL carries the content's hash, revalidated otherwise.
pub async fn asset(
    Path(name): Path<String>,
    Query(q): Query<Version>,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = privet_dashboard::asset(&name) else {
        return crate::respond::error(404, "no such asset", None);
    };
    let etag = format!("\"{}\"", asset.hash);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let cache = if q.v.as_deref() == Some(asset.hash.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = asset.bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
