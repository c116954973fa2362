//! The analyst API: `POST /api/sql`.

use std::time::Instant;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use privet_auth::{ApiKey, Permission};
use privet_model::ProjectId;
use privet_query::QueryError;
use serde::Deserialize;

use super::AppState;
use crate::app::App;
use crate::respond;

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

/// Authenticates an API caller that needs `permission`.
pub fn authorize(
    app: &App,
    headers: &HeaderMap,
    permission: Permission,
) -> Result<ApiKey, ApiError> {
    let secrets = crate::auth::secrets(headers);
    if secrets.is_empty() {
        return Err(ApiError(
            401,
            "send an API key as `Authorization: Bearer KEY` (create one with `privet key create --role analyst`)".into(),
            None,
        ));
    }
    for secret in &secrets {
        let key = app
            .control
            .authenticate(secret)
            .map_err(|e| ApiError(503, e.to_string(), None))?;
        if let Some(key) = key {
            if !key.role.allows(permission) {
                return Err(ApiError(
                    403,
                    format!(
                        "a key with role `{}` cannot do this; use an analyst or admin key",
                        key.role
                    ),
                    None,
                ));
            }
            return Ok(key);
        }
    }
    Err(ApiError(401, "the key is unknown or revoked".into(), None))
}

/// The project a call is about: the key's project, or the one it names (admin keys without a project), or the
/// only project.
pub fn project_of(app: &App, key: &ApiKey, named: Option<&str>) -> Result<ProjectId, ApiError> {
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

/// Reads and checks a data-subject request body; returns the project, the identifier and the reason.
fn person_request(
    app: &App,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(ProjectId, String, String), ApiError> {
    let key = authorize(app, headers, Permission::Manage)?;
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
    let reason = request
        .reason
        .unwrap_or_else(|| "data subject request".into());
    Ok((project, id, reason))
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
    let (project, id, reason) = person_request(app, headers, body)?;
    let reports = app
        .erase_person(project, &id, &reason, keep_profile)
        .await
        .map_err(privacy_error)?;
    let label = if keep_profile { "anonymized" } else { "erased" };
    Ok(Json(serde_json::json!({ label: reports })).into_response())
}

/// `POST /api/privacy/export` with `{"id": …}` (admin key): everything held about a person.
pub async fn export(
    State(app): AppState,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (project, id, _) = person_request(&app, &headers, &body)?;
    let export = app
        .export_person(project, &id)
        .await
        .map_err(privacy_error)?;
    Ok(Json(export).into_response())
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
    let key = authorize(&app, &headers, Permission::Manage)?;
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
    let deleted = app
        .delete_events(project, deletion)
        .await
        .map_err(privacy_error)?;
    Ok(Json(serde_json::json!({"deleted": deleted})).into_response())
}
