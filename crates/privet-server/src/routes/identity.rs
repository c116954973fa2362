//! Revealing who a pseudonym is: `POST /api/people/{person_id}/reveal` and
//! `POST /api/groups/{group_key}/{group_id}/reveal`, with `{"reason": "…"}`.
//!
//! Only privacy officers and admins may reveal, and only with a reason, which the audit log keeps with the
//! pseudonym (never the identity revealed). Analysts are refused, and the refusal is audited too.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use privet_audit::{Outcome, Record};
use privet_auth::Permission;
use serde::Deserialize;

use super::AppState;
use super::api::{ApiError, ProjectQuery, authorize, project_of};
use crate::app::App;

/// The shortest reason accepted: enough for a ticket number and a word.
const MIN_REASON: usize = 8;

#[derive(Deserialize)]
struct RevealBody {
    reason: Option<String>,
}

/// `POST /api/people/{person_id}/reveal`.
pub async fn person(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    Path(person_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    reveal(&app, &query, &headers, &body, &person_id, None).await
}

/// `POST /api/groups/{group_key}/{group_id}/reveal`.
pub async fn group(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    Path((group_key, group_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    reveal(&app, &query, &headers, &body, &group_id, Some(&group_key)).await
}

async fn reveal(
    app: &App,
    query: &ProjectQuery,
    headers: &HeaderMap,
    body: &[u8],
    id: &str,
    group_key: Option<&str>,
) -> Result<Response, ApiError> {
    let caller = authorize(app, headers, Permission::Reveal)?;
    let project = project_of(app, &caller, query.project.as_deref())?;
    let field = if group_key.is_some() {
        "group_id"
    } else {
        "person_id"
    };
    let pseudonym: i64 = id.parse().map_err(|_| {
        ApiError::owned(
            400,
            format!("`{field}` is a pseudonym: a whole number as shown in query results"),
            Some(field.into()),
        )
    })?;
    let request: RevealBody = serde_json::from_slice(body).map_err(|_| {
        ApiError::owned(
            400,
            "the body must be JSON: {\"reason\": \"why you need to know who this is\"}".into(),
            Some("reason".into()),
        )
    })?;
    let reason = request.reason.unwrap_or_default();
    if reason.trim().chars().count() < MIN_REASON {
        return Err(ApiError::owned(
            400,
            format!(
                "give a reason of at least {MIN_REASON} characters (a ticket or request number); it is kept in the audit log"
            ),
            Some("reason".into()),
        ));
    }
    let target = match group_key {
        Some(key) => format!("group:{key}:{pseudonym}"),
        None => format!("person:{pseudonym}"),
    };
    let result = app.reveal(project, pseudonym, group_key.is_none());
    let outcome = match &result {
        Ok(Some(_)) => Outcome::Ok,
        _ => Outcome::Failed,
    };
    app.audit
        .append(
            Record::new(caller.label(), "identity.reveal")
                .outcome(outcome)
                .target(target)
                .project(project.0)
                .reason(reason.trim()),
        )
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
    match result.map_err(|e| ApiError::owned(503, e.to_string(), None))? {
        Some(identity) => Ok(Json(identity).into_response()),
        None => Err(ApiError::owned(
            404,
            "the vault holds nothing for this pseudonym (never identified, or erased)".into(),
            Some(field.into()),
        )),
    }
}
