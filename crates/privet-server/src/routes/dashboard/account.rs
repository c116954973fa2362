//! The signed-in user's own account: the account page, enrolling (or re-enrolling) an authenticator app with a
//! QR code and getting recovery codes, turning MFA off (when it is not mandatory), and changing the password.
//! A session that must enrol (mandatory MFA) can reach only the enrolment pages.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use privet_audit::{Outcome, Record};
use privet_auth::{Session, Stage};
use serde::Deserialize;
use serde_json::json;

use super::{csrf_ok, expired_form, html, internal, redirect, session_at, templates, viewer};
use crate::app::App;
use crate::routes::AppState;
use crate::session::session_cookie;

fn audit(app: &App, session: &Session, action: &str, outcome: Outcome) {
    let _ = app.audit.append(
        Record::new(format!("user:{}", session.user.id), action)
            .outcome(outcome)
            .target(format!("user:{}", session.user.id)),
    );
}

fn account_page(
    app: &App,
    session: &Session,
    status: StatusCode,
    error: Option<String>,
    notice: Option<&str>,
) -> Response {
    let user = &session.user;
    let codes_left = app.control.recovery_codes_left(user.id).unwrap_or(0);
    let mandatory = app.control.require_mfa().unwrap_or(false);
    let body = templates().render(
        "account.html",
        Some(&viewer(user)),
        &session.csrf,
        json!({
            "title": "Your account",
            "page": "account",
            "mfa": user.mfa_enrolled,
            "codes_left": codes_left,
            "mandatory": mandatory,
            "must_change": user.must_change_password,
            "error": error,
            "notice": notice,
        }),
    );
    html(status, body)
}

/// `GET /account`.
pub async fn page(State(app): AppState, headers: HeaderMap) -> Response {
    match session_at(&app, &headers, &[Stage::Full]) {
        Some((_, s)) => account_page(&app, &s, StatusCode::OK, None, None),
        None => super::pages::to_login("/account"),
    }
}

fn enrol_page(
    session: &Session,
    enrolment: &privet_auth::Enrolment,
    error: Option<&str>,
) -> Response {
    let mandatory = session.stage == Stage::Enrol;
    let viewer = (session.stage == Stage::Full).then(|| viewer(&session.user));
    let body = templates().render(
        "enrol.html",
        viewer.as_ref(),
        &session.csrf,
        json!({
            "title": "Two-step verification",
            "qr": privet_dashboard::qr_svg(&enrolment.url),
            "secret": enrolment.secret,
            "mandatory": mandatory,
            "error": error,
        }),
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(status, body)
}

/// `GET /account/mfa`: starts a new enrolment (the current factor, if any, stays until the new one is confirmed).
pub async fn enrol_form(State(app): AppState, headers: HeaderMap) -> Response {
    let Some((_, session)) = session_at(&app, &headers, &[Stage::Full, Stage::Enrol]) else {
        return super::pages::to_login("/account/mfa");
    };
    match app.control.begin_totp(&session.user, &app.totp_key) {
        Ok(enrolment) => enrol_page(&session, &enrolment, None),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

/// `POST /account/mfa`: confirms the enrolment with a code and shows the recovery codes once.
pub async fn enrol_submit(
    State(app): AppState,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Response {
    let Some((token, session)) = session_at(&app, &headers, &[Stage::Full, Stage::Enrol]) else {
        return redirect("/login", None);
    };
    if !csrf_ok(&session, &f.csrf) {
        return expired_form();
    }
    let confirmed = app
        .control
        .confirm_totp(&session.user, &f.code, &app.totp_key, Utc::now());
    let codes = match confirmed {
        Ok(Some(codes)) => codes,
        Ok(None) => {
            audit(&app, &session, "mfa.enrol", Outcome::Denied);
            return match app.control.pending_totp(&session.user, &app.totp_key) {
                Ok(Some(enrolment)) => enrol_page(
                    &session,
                    &enrolment,
                    Some(
                        "That code is not right: check the app shows Privet and type the current code.",
                    ),
                ),
                Ok(None) => redirect("/account/mfa", None),
                Err(e) => internal(e),
            };
        }
        Err(e) => return internal(e),
    };
    audit(&app, &session, "mfa.enrol", Outcome::Ok);
    let mut cookie = None;
    if session.stage == Stage::Enrol {
        // Enrolling was the last step of sign-in.
        match app.control.advance_session(&token, Stage::Full, Utc::now()) {
            Ok(Some(new_token)) => {
                let _ = app.control.record_sign_in(session.user.id);
                let _ = app.audit.append(
                    Record::new(format!("user:{}", session.user.id), "sign_in")
                        .detail(json!({"factors": ["password", "totp"], "enrolled": true})),
                );
                cookie = Some(session_cookie(&app, &headers, Some(&new_token)));
            }
            _ => return redirect("/login", None),
        }
    }
    let user = app
        .control
        .user(session.user.id)
        .ok()
        .flatten()
        .unwrap_or(session.user.clone());
    let next = if user.must_change_password {
        "/account"
    } else {
        "/insights"
    };
    let body = templates().render(
        "recovery_codes.html",
        Some(&viewer(&user)),
        "",
        json!({"title": "Recovery codes", "codes": codes, "next": next}),
    );
    let mut response = html(StatusCode::OK, body);
    if let Some(cookie) = cookie {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    password: String,
}

/// `POST /account/mfa/remove` (only when MFA is not mandatory; needs the password).
pub async fn remove_mfa(
    State(app): AppState,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    let Some((_, session)) = session_at(&app, &headers, &[Stage::Full]) else {
        return redirect("/login", None);
    };
    if !csrf_ok(&session, &f.csrf) {
        return expired_form();
    }
    if app.control.require_mfa().unwrap_or(true) {
        return account_page(
            &app,
            &session,
            StatusCode::FORBIDDEN,
            Some("Two-step verification is mandatory here.".into()),
            None,
        );
    }
    if !password_ok(&app, &session, &f.password).await {
        audit(&app, &session, "mfa.remove", Outcome::Denied);
        return account_page(
            &app,
            &session,
            StatusCode::UNAUTHORIZED,
            Some("The password is wrong.".into()),
            None,
        );
    }
    if let Err(e) = app.control.remove_totp(session.user.id) {
        return internal(e);
    }
    audit(&app, &session, "mfa.remove", Outcome::Ok);
    let mut session = session;
    session.user.mfa_enrolled = false;
    account_page(
        &app,
        &session,
        StatusCode::OK,
        None,
        Some("Two-step verification is off."),
    )
}

async fn password_ok(app: &App, session: &Session, password: &str) -> bool {
    let control = app.control.clone();
    let (email, password) = (session.user.email.clone(), password.to_string());
    matches!(
        tokio::task::spawn_blocking(move || control.check_password(&email, &password, Utc::now()))
            .await,
        Ok(Ok(Ok(_)))
    )
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

/// `POST /account/password`: ends every other session, keeps this browser signed in under a new token.
pub async fn change_password(
    State(app): AppState,
    headers: HeaderMap,
    Form(f): Form<ChangePasswordForm>,
) -> Response {
    let Some((_, session)) = session_at(&app, &headers, &[Stage::Full]) else {
        return redirect("/login", None);
    };
    if !csrf_ok(&session, &f.csrf) {
        return expired_form();
    }
    if f.new != f.confirm {
        return account_page(
            &app,
            &session,
            StatusCode::BAD_REQUEST,
            Some("The two new passwords differ.".into()),
            None,
        );
    }
    if !password_ok(&app, &session, &f.current).await {
        audit(&app, &session, "password.change", Outcome::Denied);
        return account_page(
            &app,
            &session,
            StatusCode::UNAUTHORIZED,
            Some("The current password is wrong.".into()),
            None,
        );
    }
    let control = app.control.clone();
    let (id, new) = (session.user.id, f.new.clone());
    match tokio::task::spawn_blocking(move || control.set_password(id, &new, false)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return account_page(
                &app,
                &session,
                StatusCode::BAD_REQUEST,
                Some(e.to_string()),
                None,
            );
        }
        Err(e) => return internal(e),
    }
    audit(&app, &session, "password.change", Outcome::Ok);
    let Ok(token) = app.control.start_session(id, Stage::Full, Utc::now()) else {
        return redirect("/login", None);
    };
    let Ok(Some(fresh)) = app.control.session(&token, Utc::now()) else {
        return redirect("/login", None);
    };
    let mut response = account_page(
        &app,
        &fresh,
        StatusCode::OK,
        None,
        Some("Your password was changed; other sessions were signed out."),
    );
    response.headers_mut().append(
        axum::http::header::SET_COOKIE,
        session_cookie(&app, &headers, Some(&token)),
    );
    response
}
