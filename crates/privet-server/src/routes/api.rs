//! The analyst API: `POST /api/sql`.

use std::time::Instant;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use privet_audit::Record;
use privet_auth::Permission;
use privet_model::ProjectId;
use privet_query::QueryError;
use serde::Deserialize;

use super::AppState;
use crate::app::App;
use crate::respond;
use crate::session::Principal;

#[derive(Deserialize)]
pub struct SqlBody {
    sql: Option<String>,
    project: Option<String>,
}

#[derive(Deserialize)]
pub struct ProjectQuery {
    pub project: Option<String>,
}

/// A failed API call: the HTTP status, the message and the field at fault.
pub struct ApiError(u16, String, Option<std::borrow::Cow<'static, str>>);

impl ApiError {
    /// An error whose field name is built at run time (`steps[1].event`).
    pub fn owned(status: u16, message: String, field: Option<String>) -> ApiError {
        ApiError(status, message, field.map(std::borrow::Cow::Owned))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        respond::error(self.0, &self.1, self.2.as_deref())
    }
}

pub use crate::session::authorize;

/// The project a call is about: the key's project, or the one it names (admin keys without a project), or the
/// only project.
pub fn project_of(app: &App, key: &Principal, named: Option<&str>) -> Result<ProjectId, ApiError> {
    let projects = app
        .control
        .projects()
        .map_err(|e| ApiError(503, e.to_string(), None))?;
    if let Some(name) = named {
        let project = projects
            .iter()
            .find(|p| p.name == name || p.id.0.to_string() == name)
            .ok_or_else(|| {
                ApiError(
                    400,
                    "no such project; `privet project list` shows them".into(),
                    Some("project".into()),
                )
            })?;
        if !key.covers(project.id) {
            return Err(ApiError(
                403,
                "this key belongs to another project".into(),
                Some("project".into()),
            ));
        }
        return Ok(project.id);
    }
    if let Some(project) = key.project {
        return Ok(project);
    }
    match projects.as_slice() {
        [only] => Ok(only.id),
        _ => Err(ApiError(
            400,
            "this key covers several projects; name one with `project`".into(),
            Some("project".into()),
        )),
    }
}

/// `POST /api/sql` with `{"sql": "SELECT …"}`.
pub async fn sql(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = authorize(&app, &headers, Permission::Query)?;
    let request: SqlBody = serde_json::from_slice(&body).map_err(|_| {
        ApiError(
            400,
            "the body must be JSON: {\"sql\": \"SELECT …\"}".into(),
            Some("sql".into()),
        )
    })?;
    let sql = request
        .sql
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError(400, "`sql` is missing or empty".into(), Some("sql".into())))?;
    let project = project_of(
        &app,
        &key,
        request.project.as_deref().or(query.project.as_deref()),
    )?;
    let started = Instant::now();
    let result = app
        .query
        .sql_result(app.store.version(), project.0, &sql)
        .await;
    app.http
        .query_seconds
        .observe(started.elapsed().as_secs_f64());
    match result {
        Ok(result) => Ok(Json(result).into_response()),
        Err(error @ QueryError::ResourcesExhausted(_)) => {
            Err(ApiError(400, error.to_string(), Some("sql".into())))
        }
        Err(error) => Err(ApiError(400, error.to_string(), Some("sql".into()))),
    }
}

#[derive(Deserialize)]
pub struct PersonBody {
    /// A distinct id, user id, device id, email address or phone number.
    id: Option<String>,
    /// Why (recorded with the erasure; never an identifier).
    reason: Option<String>,
    project: Option<String>,
}

/// A checked data-subject request: who asks, about which project and identifier, and why.
struct PersonRequest {
    caller: Principal,
    project: ProjectId,
    id: String,
    reason: String,
}

/// Reads and checks a data-subject request body.
fn person_request(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<PersonRequest, ApiError> {
    let key = authorize(app, headers, Permission::DataSubject)?;
    let request: PersonBody = serde_json::from_slice(body).map_err(|_| {
        ApiError(
            400,
            "the body must be JSON: {\"id\": \"…\", \"reason\": \"…\"}".into(),
            Some("id".into()),
        )
    })?;
    let id = request
        .id
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError(400, "`id` is missing or empty".into(), Some("id".into())))?;
    let project = project_of(app, &key, request.project.as_deref())?;
    let reason = request.reason.filter(|r| !r.trim().is_empty());
    // Privacy officers (keys and people) say why, every time; the audit log keeps it.
    if reason.is_none()
        && (key.role == privet_auth::Role::PrivacyOfficer
            || matches!(key.actor, crate::session::Actor::User(_)))
    {
        return Err(ApiError(
            400,
            "give a `reason` (a request or ticket number): it is kept in the audit log".into(),
            Some("reason".into()),
        ));
    }
    let reason = reason.unwrap_or_else(|| "data subject request".into());
    Ok(PersonRequest {
        caller: key,
        project,
        id,
        reason,
    })
}

fn privacy_error(error: crate::privacy::PrivacyError) -> ApiError {
    match error {
        crate::privacy::PrivacyError::NotFound => {
            ApiError(404, error.to_string(), Some("id".into()))
        }
        other => ApiError(503, other.to_string(), None),
    }
}

/// `POST /api/privacy/erase` with `{"id": …, "reason": …}` (admin key): crypto-shreds a person.
pub async fn erase(
    State(app): AppState,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    shred(&app, &headers, &body, false).await
}

/// `POST /api/privacy/anonymize`: like erase, but the pseudonymous profile stays.
pub async fn anonymize(
    State(app): AppState,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    shred(&app, &headers, &body, true).await
}

async fn shred(
    app: &App,
    headers: &HeaderMap,
    body: &[u8],
    keep_profile: bool,
) -> Result<Response, ApiError> {
    let r = person_request(app, headers, body)?;
    let action = if keep_profile {
        "person.anonymize"
    } else {
        "person.erase"
    };
    let result = app
        .erase_person(r.project, &r.id, &r.reason, keep_profile)
        .await;
    let people: Vec<i64> = result
        .as_ref()
        .map(|reports| reports.iter().map(|x| x.person_id).collect())
        .unwrap_or_default();
    audit_person(app, &r, action, &result, &people);
    let reports = result.map_err(privacy_error)?;
    let label = if keep_profile { "anonymized" } else { "erased" };
    Ok(Json(serde_json::json!({ label: reports })).into_response())
}

/// `POST /api/privacy/export` with `{"id": …}` (admin key): everything held about a person.
pub async fn export(
    State(app): AppState,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let r = person_request(&app, &headers, &body)?;
    let result = app.export_person(r.project, &r.id).await;
    let people: Vec<i64> = result
        .as_ref()
        .ok()
        .and_then(|v| v["people"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p["person_id"].as_i64())
        .collect();
    audit_person(&app, &r, "person.export", &result, &people);
    let export = result.map_err(privacy_error)?;
    Ok(Json(export).into_response())
}

/// Records a data-subject request: the pseudonyms of the people it concerned, never the identifier asked for.
fn audit_person<T>(
    app: &App,
    r: &PersonRequest,
    action: &str,
    result: &Result<T, crate::privacy::PrivacyError>,
    people: &[i64],
) {
    let outcome = match result {
        Ok(_) => privet_audit::Outcome::Ok,
        Err(_) => privet_audit::Outcome::Failed,
    };
    let target = match people {
        [] => "person:unknown".to_string(),
        [one] => format!("person:{one}"),
        many => format!("people:{}", many.len()),
    };
    let _ = app.audit.append(
        Record::new(r.caller.label(), action)
            .outcome(outcome)
            .target(target)
            .project(r.project.0)
            .reason(&r.reason)
            .detail(serde_json::json!({ "person_ids": people })),
    );
}

#[derive(Deserialize)]
pub struct DeleteBody {
    insert_ids: Option<Vec<String>>,
    from: Option<serde_json::Value>,
    to: Option<serde_json::Value>,
    project: Option<String>,
}

/// `POST /api/events/delete` (admin key) with `{"insert_ids": […]}` or `{"from": …, "to": …}` (RFC 3339,
/// seconds or milliseconds): deletes stored events.
pub async fn delete_events(
    State(app): AppState,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = authorize(&app, &headers, Permission::DataSubject)?;
    let request: DeleteBody = serde_json::from_slice(&body).map_err(|_| {
        ApiError(
            400,
            "the body must be JSON: {\"insert_ids\": [\"…\"]} or {\"from\": \"…\", \"to\": \"…\"}"
                .into(),
            Some("insert_ids".into()),
        )
    })?;
    let project = project_of(&app, &key, request.project.as_deref())?;
    let time = |value: &serde_json::Value, field: &'static str| {
        privet_model::time::time_from_json(value)
            .map_err(|e| ApiError(400, format!("`{field}` {e}"), Some(field.into())))
    };
    let deletion = match (request.insert_ids, &request.from, &request.to) {
        (Some(ids), None, None) if !ids.is_empty() => privet_store::Deletion::InsertIds(ids),
        (None, Some(from), Some(to)) => {
            let (from_us, to_us) = (time(from, "from")?, time(to, "to")?);
            if from_us >= to_us {
                return Err(ApiError(
                    400,
                    "`from` must be before `to`".into(),
                    Some("from".into()),
                ));
            }
            privet_store::Deletion::TimeRange { from_us, to_us }
        }
        _ => {
            return Err(ApiError(
                400,
                "give either a non-empty `insert_ids` list, or both `from` and `to`".into(),
                Some("insert_ids".into()),
            ));
        }
    };
    let what = match &deletion {
        privet_store::Deletion::InsertIds(ids) => serde_json::json!({"insert_ids": ids.len()}),
        privet_store::Deletion::TimeRange { from_us, to_us } => {
            serde_json::json!({"from_us": from_us, "to_us": to_us})
        }
    };
    let result = app.delete_events(project, deletion).await;
    let _ = app.audit.append(
        Record::new(key.label(), "events.delete")
            .outcome(if result.is_ok() {
                privet_audit::Outcome::Ok
            } else {
                privet_audit::Outcome::Failed
            })
            .project(project.0)
            .detail(what),
    );
    let deleted = result.map_err(privacy_error)?;
    Ok(Json(serde_json::json!({"deleted": deleted})).into_response())
}
