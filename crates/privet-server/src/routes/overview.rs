//! What the dashboard needs beyond the analytics API: who the caller is (`GET /api/me`), what a project holds
//! (`GET /api/schema`: event names with counts, property names, columns), and the data & privacy overview
//! (`GET /api/privacy/overview`: the active policy per project, what the pipeline did in the last 24 hours,
//! the keys and their roles).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use privet_auth::Permission;
use serde_json::{Value, json};

use super::AppState;
use super::api::{ApiError, ProjectQuery, authorize, project_of};
use crate::session::{Actor, authenticate};

const PERMISSIONS: [(Permission, &str); 7] = [
    (Permission::Query, "query"),
    (Permission::Reveal, "reveal"),
    (Permission::DataSubject, "data_subject"),
    (Permission::Breach, "breach"),
    (Permission::Audit, "audit"),
    (Permission::Manage, "manage"),
    (Permission::Ingest, "ingest"),
];

/// `GET /api/me`.
pub async fn me(State(app): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    let caller = authenticate(&app, &headers)?;
    let email = match &caller.actor {
        Actor::User(id) => app.control.user(*id).ok().flatten().map(|u| u.email),
        Actor::Key(_) => None,
    };
    let projects: Vec<_> = app
        .control
        .projects()
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?
        .into_iter()
        .filter(|p| caller.covers(p.id))
        .collect();
    let permissions: Vec<&str> = PERMISSIONS
        .iter()
        .filter(|(p, _)| caller.role.allows(*p))
        .map(|(_, name)| *name)
        .collect();
    Ok(Json(json!({
        "actor": caller.label(),
        "role": caller.role,
        "email": email,
        "permissions": permissions,
        "projects": projects,
    }))
    .into_response())
}

/// `GET /api/schema?project=`: the event names (most frequent first, with counts over everything stored), the
/// custom property names seen in a recent sample, and the filterable columns.
pub async fn schema(
    State(app): AppState,
    Query(query): Query<ProjectQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Query)?;
    let project = project_of(&app, &caller, query.project.as_deref())?;
    let sql = |sql: &'static str| {
        let app = app.clone();
        async move {
            app.query
                .sql_result(app.store.version(), project.0, sql)
                .await
                .map_err(|e| ApiError::owned(503, e.to_string(), None))
        }
    };
    let events = sql(
        "SELECT event, COUNT(*) AS n FROM events GROUP BY event ORDER BY n DESC, event LIMIT 500",
    )
    .await?;
    let sample = sql("SELECT properties FROM events ORDER BY time DESC LIMIT 2000").await?;
    let mut properties: std::collections::BTreeMap<String, u64> = Default::default();
    for row in &sample.rows {
        if let Some(Value::Object(map)) = row
            .first()
            .and_then(Value::as_str)
            .and_then(|text| serde_json::from_str(text).ok())
        {
            for key in map.keys() {
                *properties.entry(key.clone()).or_default() += 1;
            }
        }
    }
    let mut properties: Vec<(String, u64)> = properties.into_iter().collect();
    properties.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let events: Vec<Value> = events
        .rows
        .into_iter()
        .map(|row| json!({"event": row[0], "count": row[1]}))
        .collect();
    let mut columns = vec!["event", "person_id"];
    columns.extend(privet_store::schema::DIMENSION_COLUMNS);
    Ok(Json(json!({
        "events": events,
        "properties": properties.into_iter().map(|(k, _)| k).collect::<Vec<_>>(),
        "columns": columns,
    }))
    .into_response())
}

/// `GET /api/privacy/overview` (privacy officers and admins).
pub async fn privacy(State(app): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    let caller = authorize(&app, &headers, Permission::Audit)?;
    let now = chrono::Utc::now().timestamp();
    app.activity.sample(app.pipeline.stats(), now);
    let (hours, total) = app.activity.last_day(now);
    let projects = app
        .control
        .projects()
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
    let policies: Vec<Value> = projects
        .iter()
        .filter(|p| caller.covers(p.id))
        .map(|p| json!({"project": p.name, "policy": app.pipeline.policy(p.id)}))
        .collect();
    let keys = app
        .control
        .keys()
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
    let (vault_subjects, vault_ids, vault_fields) = app
        .vault
        .counts()
        .map_err(|e| ApiError::owned(503, e.to_string(), None))?;
    Ok(Json(json!({
        "policies": policies,
        "activity": {"hours": hours, "total": total},
        "keys": keys,
        "vault": {"subjects": vault_subjects, "identifiers": vault_ids, "fields": vault_fields},
        "geoip": app.config.privacy.geoip.is_some(),
    }))
    .into_response())
}
