//! The web dashboard's HTTP side: sign-in (`sign_in.rs`), the account page with MFA enrolment (`account.rs`),
//! and the pages and assets (`pages.rs`). Templates and scripts live in `privet-dashboard`.
//!
//! Every HTML answer carries a strict Content-Security-Policy (scripts and styles from this server only, no
//! framing), `no-store` caching and no referrer.

mod account;
mod pages;
mod sign_in;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use privet_auth::{Session, Stage, User};
use privet_dashboard::{Pages, Viewer};

use crate::app::App;

/// The dashboard's routes.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(sign_in::form).post(sign_in::submit))
        .route(
            "/login/code",
            get(sign_in::code_form).post(sign_in::code_submit),
        )
        .route("/logout", post(sign_in::logout))
        .route(
            "/setup",
            get(sign_in::setup_form).post(sign_in::setup_submit),
        )
        .route("/account", get(account::page))
        .route(
            "/account/mfa",
            get(account::enrol_form).post(account::enrol_submit),
        )
        .route("/account/mfa/remove", post(account::remove_mfa))
        .route("/account/password", post(account::change_password))
        .route("/assets/{name}", get(pages::asset))
        .route("/people/{person_id}", get(pages::person))
        .route(
            "/organisations/{group_key}/{group_id}",
            get(pages::organisation),
        )
        .route("/incidents/{id}", get(pages::incident))
        .route("/{page}", get(pages::app_page))
}

pub(crate) fn templates() -> &'static Pages {
    static PAGES: OnceLock<Pages> = OnceLock::new();
    PAGES.get_or_init(Pages::new)
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// An HTML answer with the dashboard's security headers.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A `303 See Other` to `to`, optionally setting a cookie.
pub(crate) fn redirect(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let location = HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/"));
    response.headers_mut().insert(header::LOCATION, location);
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A simple page with a title and a sentence.
pub(crate) fn message(
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> Response {
    let body = templates().render(
        "message.html",
        None,
        "",
        serde_json::json!({
            "title": title,
            "text": text,
            "error": status.is_client_error() || status.is_server_error(),
            "link": link.map(|l| l.0),
            "link_text": link.map(|l| l.1),
            "narrow": true,
        }),
    );
    html(status, body)
}

pub(crate) fn viewer(user: &User) -> Viewer {
    use privet_auth::Permission;
    Viewer {
        id: user.id,
        email: user.email.clone(),
        role: user.role.as_str().to_string(),
        privacy: user.role.allows(Permission::Breach),
        admin: user.role.allows(Permission::Manage),
    }
}

/// Only same-site paths are followed after sign-in (`/insights?q=…`), never `//evil.example` or a URL.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/insights".to_string(),
    }
}

/// The session of the request if it reached `stage` (any of them when `stages` is empty).
pub(crate) fn session_at(
    app: &App,
    headers: &HeaderMap,
    stages: &[Stage],
) -> Option<(String, Session)> {
    let (token, session) = crate::session::session(app, headers).ok().flatten()?;
    (stages.is_empty() || stages.contains(&session.stage)).then_some((token, session))
}

/// Whether the form's `csrf` field is the session's token.
pub(crate) fn csrf_ok(session: &Session, sent: &str) -> bool {
    privet_auth::secrets_equal(sent, &session.csrf)
}

pub(crate) fn expired_form() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "Reload the page and try again. (The form's security token did not match; this protects you from other sites submitting forms for you.)",
        Some(("/login", "Go to sign-in")),
    )
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Something went wrong",
        &format!("Privet could not complete this: {e}"),
        None,
    )
}
