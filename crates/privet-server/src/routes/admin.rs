//! Administration over the API (the dashboard's admin pages use it; so can scripts with an admin key):
//! users, API keys, the mandatory-MFA setting, and reading and verifying the audit log.
//!
//! * `GET /api/admin/users`, `POST /api/admin/users` `{"email", "role"}` → the user and a one-time password;
//!   `POST /api/admin/users/{id}` `{"role"?, "disabled"?, "unlock"?, "reset_mfa"?}`;
//! * `GET /api/admin/keys`, `POST /api/admin/keys` `{"role", "project"?, "label"?}` → the key and its secret
//!   (shown once); `POST /api/admin/keys/{id}/revoke`;
//! * `GET /api/admin/projects`, `POST /api/admin/projects` `{"name"}` → the project and its ingestion token (shown
//!   once); `POST /api/admin/projects/{name}/rotate-token`;
//! * `GET /api/admin/settings`, `POST /api/admin/settings` `{"require_mfa": true}`;
//! * `GET /api/audit?action=&actor=&outcome=&before=&limit=` (admin or privacy officer) and `GET /api/audit/verify`.
//!
//! Every change is audited with the acting user or key.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use privet_audit::{Filter, Outcome, Record};
use privet_auth::{AuthError, Permission, Role};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::api::{ApiError, authorize};
use crate::app::App;
use crate::session::Principal;

fn auth_error(e: AuthError) -> ApiError {
    let (status, field) = match &e {
        AuthError::UserExists => (409, Some("email")),
        AuthError::BadEmail => (400, Some("email")),
        AuthError::BadUserRole(_) => (400, Some("role")),
        AuthError::WeakPassword(_) => (400, Some("password")),
        AuthError::NoSuchUser | AuthError::NoSuchKey(_) => (404, None),
        AuthError::NoSuchProject(_) => (404, Some("project")),
        AuthError::ProjectExists(_) => (409, Some("name")),
        AuthError::BadProjectName(_) => (400, Some("name")),
        _ => (503, None),
    };
    ApiError::owned(status, e.to_string(), field.map(str::to_string))
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8], example: &str) -> Result<T, ApiError> {
    privet_analytics::parse_request(bytes).map_err(|e| {
        let field = e.field().map(str::to_string);
        ApiError::owned(400, format!("{e}; for example {example}"), field)
    })
}

fn audit(app: &App, caller: &Principal, action: &str, target: String, detail: serde_json::Value) {
    let _ = app.audit.append(
        Record::new(caller.label(), action)
            .target(target)
            .detail(detail),
    );
}

/// `GET /api/admin/users`.
pub async fn users(State(app): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Manage)?;
    let users = app.control.users().map_err(auth_error)?;
    let require_mfa = app.control.require_mfa().map_err(auth_error)?;
    Ok(Json(json!({"users": users, "require_mfa": require_mfa})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    role: Role,
}

/// `POST /api/admin/users`: creates a user with a generated password, which they change at first sign-in.
pub async fn create_user(
    State(app): AppState,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Manage)?;
    let new: NewUser = body(&bytes, r#"{"email": "ana@example.com", "role": "analyst"}"#)?;
    let password = privet_auth::users::password::generate();
    let control = app.control.clone();
    let (email, role, pw) = (new.email.clone(), new.role, password.clone());
    let user = tokio::task::spawn_blocking(move || control.create_user(&email, role, &pw, true))
        .await
        .map_err(|e| ApiError::owned(500, e.to_string(), None))?
        .map_err(auth_error)?;
    audit(
        &app,
        &caller,
        "user.create",
        format!("user:{}", user.id),
        json!({"role": user.role.as_str()}),
    );
    Ok(Json(json!({"user": user, "password": password})).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UserChange {
    role: Option<Role>,
    disabled: Option<bool>,
    unlock: Option<bool>,
    reset_mfa: Option<bool>,
}

/// `POST /api/admin/users/{id}`.
pub async fn change_user(
    State(app): AppState,
    headers: HeaderMap,
    Path(id): Path<i64>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Manage)?;
    let change: UserChange = body(
        &bytes,
        r#"{"role": "privacy-officer"} or {"disabled": true}"#,
    )?;
    let c = &app.control;
    let mut user = c.find_user(&id.to_string()).map_err(auth_error)?;
    let target = format!("user:{id}");
    let is_self = caller.actor == crate::session::Actor::User(id);
    if is_self && (change.disabled == Some(true) || change.role.is_some_and(|r| r != Role::Admin)) {
        return Err(ApiError::owned(
            400,
            "you cannot disable yourself or give up your own admin role; ask another admin".into(),
            Some("role".into()),
        ));
    }
    if let Some(role) = change.role {
        user = c.set_user_role(id, role).map_err(auth_error)?;
        audit(
            &app,
            &caller,
            "user.role",
            target.clone(),
            json!({"role": role.as_str()}),
        );
    }
    if let Some(disabled) = change.disabled {
        user = c.set_user_disabled(id, disabled).map_err(auth_error)?;
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        audit(&app, &caller, action, target.clone(), json!(null));
    }
    if change.unlock == Some(true) {
        user = c.unlock_user(id).map_err(auth_error)?;
        audit(&app, &caller, "user.unlock", target.clone(), json!(null));
    }
    if change.reset_mfa == Some(true) {
        c.remove_totp(id).map_err(auth_error)?;
        c.end_sessions_of(id).map_err(auth_error)?;
        user = c.find_user(&id.to_string()).map_err(auth_error)?;
        audit(&app, &caller, "mfa.reset", target, json!(null));
    }
    Ok(Json(json!({"user": user})).into_response())
}

/// `GET /api/admin/keys`.
pub async fn keys(State(app): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Manage)?;
    let keys = app.control.keys().map_err(auth_error)?;
    let projects = app.control.projects().map_err(auth_error)?;
    Ok(Json(json!({"keys": keys, "projects": projects})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    role: Role,
    project: Option<String>,
    label: Option<String>,
}

/// `POST /api/admin/keys`: the secret is in this answer only.
pub async fn create_key(
    State(app): AppState,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Manage)?;
    let new: NewKey = body(
        &bytes,
        r#"{"role": "analyst", "project": "default", "label": "notebook"}"#,
    )?;
    let project = match &new.project {
        Some(name) => Some(app.control.project_by_name(name).map_err(auth_error)?.id),
        None if new.role != Role::Admin => {
            return Err(ApiError::owned(
                400,
                "name the `project` the key is for (only admin keys may cover every project)"
                    .into(),
                Some("project".into()),
            ));
        }
        None => None,
    };
    let (key, secret) = app
        .control
        .create_key(new.role, project, new.label.as_deref())
        .map_err(auth_error)?;
    audit(
        &app,
        &caller,
        "key.create",
        format!("key:{}", key.id),
        json!({"role": key.role.as_str(), "project": project.map(|p| p.0)}),
    );
    Ok(Json(json!({"key": key, "secret": secret})).into_response())
}

/// `POST /api/admin/keys/{id}/revoke`.
pub async fn revoke_key(
    State(app): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Manage)?;
    app.control.revoke_key(&id).map_err(auth_error)?;
    audit(
        &app,
        &caller,
        "key.revoke",
        format!("key:{id}"),
        json!(null),
    );
    Ok(Json(json!({"revoked": id})).into_response())
}

/// `GET /api/admin/projects`.
pub async fn projects(State(app): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Manage)?;
    let projects = app.control.projects().map_err(auth_error)?;
    Ok(Json(json!({"projects": projects})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProject {
    name: String,
}

/// `POST /api/admin/projects` `{"name"}`: the ingestion token is in this answer only.
pub async fn create_project(
    State(app): AppState,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Manage)?;
    let new: NewProject = body(&bytes, r#"{"name": "shop"}"#)?;
    let (project, token) = app.control.create_project(&new.name).map_err(auth_error)?;
    audit(
        &app,
        &caller,
        "project.create",
        format!("project:{}", project.id.0),
        json!(null),
    );
    Ok(Json(json!({"project": project, "token": token})).into_response())
}

/// `POST /api/admin/projects/{name}/rotate-token`: the old token stops working; the new one is shown once.
pub async fn rotate_token(
    State(app): AppState,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Manage)?;
    let token = app.control.rotate_token(&name).map_err(auth_error)?;
    audit(
        &app,
        &caller,
        "project.rotate_token",
        format!("project:{name}"),
        json!(null),
    );
    Ok(Json(json!({"project": name, "token": token})).into_response())
}

/// `GET /api/admin/settings`.
pub async fn settings(State(app): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Manage)?;
    let require_mfa = app.control.require_mfa().map_err(auth_error)?;
    Ok(Json(json!({"require_mfa": require_mfa})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    require_mfa: bool,
}

/// `POST /api/admin/settings`.
pub async fn change_settings(
    State(app): AppState,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Manage)?;
    let s: Settings = body(&bytes, r#"{"require_mfa": true}"#)?;
    app.control
        .set_require_mfa(s.require_mfa)
        .map_err(auth_error)?;
    audit(
        &app,
        &caller,
        "settings.require_mfa",
        "settings".into(),
        json!({"require_mfa": s.require_mfa}),
    );
    Ok(Json(json!({"require_mfa": s.require_mfa})).into_response())
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    outcome: Option<String>,
    before: Option<i64>,
    limit: Option<usize>,
}

/// `GET /api/audit`: newest first, 100 at a time (page with `before`).
pub async fn audit_log(
    State(app): AppState,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Audit)?;
    let outcome = match q.outcome.as_deref() {
        None | Some("") => None,
        Some("ok") => Some(Outcome::Ok),
        Some("denied") => Some(Outcome::Denied),
        Some("failed") => Some(Outcome::Failed),
        Some(_) => {
            return Err(ApiError::owned(
                400,
                "`outcome` is ok, denied or failed".into(),
                Some("outcome".into()),
            ));
        }
    };
    let filter = Filter {
        action: q.action.filter(|a| !a.is_empty()),
        actor: q.actor.filter(|a| !a.is_empty()),
        outcome,
        before: q.before,
        since: None,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    };
    let entries = app
        .audit
        .entries(&filter)
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
    Ok(Json(json!({"entries": entries})).into_response())
}

/// `GET /api/audit/verify`: walks the whole chain.
pub async fn audit_verify(State(app): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Audit)?;
    let verification = app
        .audit
        .verify(None)
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
    let problems: Vec<String> = verification
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect();
    Ok(Json(json!({
        "ok": verification.ok(),
        "entries": verification.entries,
        "head": verification.head,
        "problems": problems,
    }))
    .into_response())
}
