//! Signing in: email and password (`/login`), then the second factor (`/login/code`); signing out (`/logout`);
//! and the one-time set-up link that creates the first admin (`/setup?token=…`).
//!
//! Forms are protected by a double-submit token before there is a session and by the session's CSRF token
//! after. Attempts are throttled per client address (in memory) and failures lock the account (in the control
//! database). Every outcome is audited, with the account's id when there is one, never the address typed.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use privet_audit::{Outcome, Record};
use privet_auth::{Refusal, Role, SecondFactor, Stage, User};
use serde::Deserialize;
use serde_json::json;

use super::{
    csrf_ok, expired_form, html, internal, message, redirect, safe_next, session_at, templates,
};
use crate::app::App;
use crate::routes::AppState;
use crate::session::{FORM_COOKIE, cookie, form_cookie, session_cookie};

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
    token: Option<String>,
}

fn audit(app: &App, actor: String, action: &str, outcome: Outcome, detail: serde_json::Value) {
    let _ = app
        .audit
        .append(Record::new(actor, action).outcome(outcome).detail(detail));
}

fn login_page(
    app: &App,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
    email: &str,
    next: &str,
) -> Response {
    let token = privet_auth::users::password::generate();
    let notice = match app.control.user_count() {
        Ok(0) => Some(
            "No account exists yet: open the set-up link that `privet serve` printed, or create one with `privet user create EMAIL --role admin`.",
        ),
        _ => None,
    };
    let body = templates().render(
        "login.html",
        None,
        "",
        json!({"title": "Sign in", "error": error, "notice": notice, "email": email, "next": next, "form_token": token, "narrow": true}),
    );
    let mut response = html(status, body);
    response.headers_mut().append(
        axum::http::header::SET_COOKIE,
        form_cookie(app, headers, &token),
    );
    response
}

/// `GET /login`.
pub async fn form(
    State(app): AppState,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if session_at(&app, &headers, &[Stage::Full]).is_some() {
        return redirect(&next, None);
    }
    login_page(&app, &headers, StatusCode::OK, None, "", &next)
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    next: Option<String>,
}

/// Where a user goes once the password is accepted, and the stage their session starts at.
fn after_password(app: &App, user: &User) -> Result<Stage, privet_auth::AuthError> {
    if user.mfa_enrolled {
        Ok(Stage::SecondFactor)
    } else if app.control.require_mfa()? {
        Ok(Stage::Enrol)
    } else {
        Ok(Stage::Full)
    }
}

/// `POST /login`.
pub async fn submit(
    State(app): AppState,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    if !cookie(&headers, FORM_COOKIE).is_some_and(|c| privet_auth::secrets_equal(c, &f.csrf)) {
        return expired_form();
    }
    let ip = crate::routes::client_ip(&app, peer, &headers);
    if !app.login_throttle.allow(ip) {
        return message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "Too many sign-in attempts from your address; wait a minute and try again.",
            Some(("/login", "Back to sign-in")),
        );
    }
    let control = app.control.clone();
    let (email, password) = (f.email.clone(), f.password.clone());
    let checked =
        tokio::task::spawn_blocking(move || control.check_password(&email, &password, Utc::now()))
            .await;
    let result = match checked {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    let user = match result {
        Ok(user) => user,
        Err(refusal) => {
            let actor = match app.control.user_by_email(&f.email) {
                Ok(Some(u)) => format!("user:{}", u.id),
                _ => "unknown".to_string(),
            };
            audit(
                &app,
                actor,
                "sign_in",
                Outcome::Denied,
                json!({"reason": refusal_name(&refusal)}),
            );
            return login_page(
                &app,
                &headers,
                StatusCode::UNAUTHORIZED,
                Some(refusal.message()),
                &f.email,
                &next,
            );
        }
    };
    let stage = match after_password(&app, &user) {
        Ok(stage) => stage,
        Err(e) => return internal(e),
    };
    let token = match app.control.start_session(user.id, stage, Utc::now()) {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let cookie = Some(session_cookie(&app, &headers, Some(&token)));
    let actor = format!("user:{}", user.id);
    match stage {
        Stage::Full => {
            let _ = app.control.record_sign_in(user.id);
            audit(
                &app,
                actor,
                "sign_in",
                Outcome::Ok,
                json!({"factors": ["password"]}),
            );
            let to = if user.must_change_password {
                "/account".to_string()
            } else {
                next
            };
            redirect(&to, cookie)
        }
        Stage::SecondFactor => {
            audit(&app, actor, "sign_in.password", Outcome::Ok, json!(null));
            redirect(&format!("/login/code?next={}", urlencode(&next)), cookie)
        }
        Stage::Enrol => {
            audit(
                &app,
                actor,
                "sign_in.password",
                Outcome::Ok,
                json!({"must_enrol": true}),
            );
            redirect("/account/mfa", cookie)
        }
    }
}

fn refusal_name(r: &Refusal) -> &'static str {
    match r {
        Refusal::BadCredentials => "bad_credentials",
        Refusal::BadCode => "bad_code",
        Refusal::Locked(_) => "locked",
        Refusal::Disabled => "disabled",
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn code_page(status: StatusCode, csrf: &str, error: Option<String>, next: &str) -> Response {
    let body = templates().render(
        "second_factor.html",
        None,
        csrf,
        json!({"title": "Two-step verification", "error": error, "next": next, "narrow": true}),
    );
    html(status, body)
}

/// `GET /login/code`.
pub async fn code_form(
    State(app): AppState,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    match session_at(&app, &headers, &[Stage::SecondFactor]) {
        Some((_, s)) => code_page(StatusCode::OK, &s.csrf, None, &next),
        None => redirect("/login", None),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
    next: Option<String>,
}

/// `POST /login/code`.
pub async fn code_submit(
    State(app): AppState,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let Some((token, session)) = session_at(&app, &headers, &[Stage::SecondFactor]) else {
        return redirect("/login", None);
    };
    if !csrf_ok(&session, &f.csrf) {
        return expired_form();
    }
    if !app
        .login_throttle
        .allow(crate::routes::client_ip(&app, peer, &headers))
    {
        return code_page(
            StatusCode::TOO_MANY_REQUESTS,
            &session.csrf,
            Some("Too many attempts; wait a minute.".into()),
            &next,
        );
    }
    let actor = format!("user:{}", session.user.id);
    let checked =
        app.control
            .check_second_factor(&session.user, &f.code, &app.totp_key, Utc::now());
    match checked {
        Err(e) => internal(e),
        Ok(Err(refusal)) => {
            audit(
                &app,
                actor,
                "sign_in.second_factor",
                Outcome::Denied,
                json!({"reason": refusal_name(&refusal)}),
            );
            if matches!(refusal, Refusal::Locked(_)) {
                let _ = app.control.end_session(&token);
            }
            code_page(
                StatusCode::UNAUTHORIZED,
                &session.csrf,
                Some(refusal.message()),
                &next,
            )
        }
        Ok(Ok(factor)) => {
            let Ok(Some(new_token)) = app.control.advance_session(&token, Stage::Full, Utc::now())
            else {
                return redirect("/login", None);
            };
            let _ = app.control.record_sign_in(session.user.id);
            let detail = match factor {
                SecondFactor::Totp => json!({"factors": ["password", "totp"]}),
                SecondFactor::RecoveryCode { left } => {
                    json!({"factors": ["password", "recovery_code"], "recovery_codes_left": left})
                }
            };
            audit(&app, actor, "sign_in", Outcome::Ok, detail);
            let to = if session.user.must_change_password {
                "/account".to_string()
            } else {
                next
            };
            redirect(&to, Some(session_cookie(&app, &headers, Some(&new_token))))
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(State(app): AppState, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    if let Some((token, session)) = session_at(&app, &headers, &[]) {
        if !csrf_ok(&session, &f.csrf) {
            return expired_form();
        }
        let _ = app.control.end_session(&token);
        audit(
            &app,
            format!("user:{}", session.user.id),
            "sign_out",
            Outcome::Ok,
            json!(null),
        );
    }
    redirect("/login", Some(session_cookie(&app, &headers, None)))
}

fn setup_page(status: StatusCode, token: &str, email: &str, error: Option<String>) -> Response {
    let body = templates().render(
        "setup.html",
        None,
        "",
        json!({"title": "Set up Privet", "token": token, "email": email, "error": error, "narrow": true}),
    );
    html(status, body)
}

/// `GET /setup?token=…`.
pub async fn setup_form(State(app): AppState, Query(q): Query<NextQuery>) -> Response {
    let token = q.token.unwrap_or_default();
    match app.control.check_setup_token(&token) {
        Ok(true) => setup_page(StatusCode::OK, &token, "", None),
        Ok(false) => message(
            StatusCode::NOT_FOUND,
            "This set-up link does not work",
            "It was already used, or it is not the latest one (each start of the server while no account exists prints a new link). Ask an admin, or create an account with `privet user create EMAIL --role admin`.",
            Some(("/login", "Go to sign-in")),
        ),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct SetupForm {
    token: String,
    email: String,
    password: String,
    confirm: String,
}

/// `POST /setup`: creates the first admin and signs them in.
pub async fn setup_submit(
    State(app): AppState,
    headers: HeaderMap,
    Form(f): Form<SetupForm>,
) -> Response {
    match app.control.check_setup_token(&f.token) {
        Ok(true) => {}
        Ok(false) => return redirect("/setup", None),
        Err(e) => return internal(e),
    }
    if f.password != f.confirm {
        return setup_page(
            StatusCode::BAD_REQUEST,
            &f.token,
            &f.email,
            Some("The two passwords differ.".into()),
        );
    }
    let control = app.control.clone();
    let (email, password) = (f.email.clone(), f.password.clone());
    let created = tokio::task::spawn_blocking(move || {
        control.create_user(&email, Role::Admin, &password, false)
    })
    .await;
    let user = match created {
        Ok(Ok(user)) => user,
        Ok(Err(e)) => {
            return setup_page(
                StatusCode::BAD_REQUEST,
                &f.token,
                &f.email,
                Some(e.to_string()),
            );
        }
        Err(e) => return internal(e),
    };
    let _ = app.control.clear_setup_token();
    audit(
        &app,
        "setup".into(),
        "user.create",
        Outcome::Ok,
        json!({"user": user.id, "role": "admin", "first": true}),
    );
    let stage = match after_password(&app, &user) {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    match app.control.start_session(user.id, stage, Utc::now()) {
        Ok(token) => {
            if stage == Stage::Full {
                let _ = app.control.record_sign_in(user.id);
            }
            redirect(
                "/account",
                Some(session_cookie(&app, &headers, Some(&token))),
            )
        }
        Err(e) => internal(e),
    }
}
