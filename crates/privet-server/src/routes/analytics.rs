//! The analytics API: insights, funnels, retention and flows (`POST`, JSON in and out), saved cohorts, and
//! person and organisation profiles. Analyst or admin keys; a key sees only its project.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use privet_analytics::cohorts::Cohort;
use privet_analytics::{Analysis, AnalyticsError, Scope, parse_request};
use privet_auth::Permission;
use privet_model::ProjectId;

use super::AppState;
use super::api::{ApiError, ProjectQuery, authorize, project_of};
use crate::app::App;

impl From<AnalyticsError> for ApiError {
    fn from(error: AnalyticsError) -> Self {
        let field = error.field().map(str::to_string).filter(|f| !f.is_empty());
        ApiError::owned(error.status(), error.to_string(), field)
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or_default()
}

/// A query scope over the caller's project.
fn scope<'a>(app: &'a App, project: ProjectId) -> Result<Scope<'a>, ApiError> {
    let ctx = app
        .query
        .session(app.store.version(), project.0)
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
    Ok(app.analytics.scope(ctx, project.0, now_us()))
}

/// An analyst's (or admin's) project, named by the `project` query parameter when the key covers several.
fn caller(app: &App, headers: &HeaderMap, query: &ProjectQuery) -> Result<ProjectId, ApiError> {
    let key = authorize(app, headers, Permission::Query)?;
    project_of(app, &key, query.project.as_deref())
}

/// `POST /api/insights`, `/api/funnels`, `/api/retention`, `/api/flows`.
pub async fn analysis<R: Analysis>(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = authorize(&app, &headers, Permission::Query)?;
    let request: R = parse_request(&body)?;
    let project = project_of(&app, &key, request.project().or(query.project.as_deref()))?;
    let scope = scope(&app, project)?;
    let started = Instant::now();
    let result = request.run(&scope).await;
    app.http
        .query_seconds
        .observe(started.elapsed().as_secs_f64());
    Ok(Json(result?).into_response())
}

/// `GET /api/cohorts`.
pub async fn list_cohorts(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let project = caller(&app, &headers, &query)?;
    let cohorts = app.analytics.cohorts().list(project.0)?;
    Ok(Json(serde_json::json!({ "cohorts": cohorts })).into_response())
}

/// `POST /api/cohorts` with a definition: saves (or replaces) it and answers with its current size.
pub async fn save_cohort(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = authorize(&app, &headers, Permission::Query)?;
    let cohort: Cohort = parse_request(&body)?;
    let project = project_of(&app, &key, query.project.as_deref())?;
    let scope = scope(&app, project)?;
    cohort.validate()?;
    let members = privet_analytics::cohorts::members(&scope, &cohort).await?;
    app.analytics
        .cohorts()
        .save(project.0, &cohort, scope.now_us)?;
    Ok(Json(serde_json::json!({ "cohort": cohort, "size": members.len() })).into_response())
}

/// `DELETE /api/cohorts/{name}`.
pub async fn delete_cohort(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let project = caller(&app, &headers, &query)?;
    if !app.analytics.cohorts().delete(project.0, &name)? {
        return Err(ApiError::owned(
            404,
            format!("no saved cohort named `{name}`"),
            Some("name".into()),
        ));
    }
    Ok(Json(serde_json::json!({ "deleted": name })).into_response())
}

/// `GET /api/people/{person_id}`.
pub async fn person(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    Path(person_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let project = caller(&app, &headers, &query)?;
    let id = parse_id(&person_id, "person_id")?;
    let scope = scope(&app, project)?;
    match privet_analytics::profiles::person(&scope, id).await? {
        Some(profile) => Ok(Json(profile).into_response()),
        None => Err(ApiError::owned(
            404,
            "no profile or events for this person_id".into(),
            Some("person_id".into()),
        )),
    }
}

/// `GET /api/groups/{group_key}/{group_id}`.
pub async fn group(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    Path((group_key, group_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let project = caller(&app, &headers, &query)?;
    let id = parse_id(&group_id, "group_id")?;
    let scope = scope(&app, project)?;
    match privet_analytics::profiles::group(&scope, &group_key, id).await? {
        Some(profile) => Ok(Json(profile).into_response()),
        None => Err(ApiError::owned(
            404,
            "no profile or events for this organisation".into(),
            Some("group_id".into()),
        )),
    }
}

fn parse_id(text: &str, field: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::owned(
            400,
            format!("`{field}` is a pseudonym: a whole number as shown in query results"),
            Some(field.into()),
        )
    })
}
