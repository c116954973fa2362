//! Incidents for the dashboard (privacy officers and admins): `GET /api/incidents` (each with its 72-hour
//! clock) and `GET /api/incidents/{id}` (the timeline, the assessment's summary, notification progress from
//! the outbox, and the Art. 33 report drafted on the spot, with what it still lacks). Opening incidents,
//! assessing leaks and sending notices stay on the command line (`privet incident|breach`), which the page
//! shows the commands for.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use privet_auth::Permission;
use privet_breach::assessment::RiskLevel;
use privet_breach::{IncidentStore, authority};
use serde_json::json;

use super::AppState;
use super::api::{ApiError, authorize};
use crate::app::App;

fn store(app: &App) -> Result<IncidentStore, ApiError> {
    IncidentStore::open(&app.data_dir).map_err(|e| ApiError::owned(503, e.to_string(), None))
}

fn failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::owned(503, e.to_string(), None)
}

fn clock(incident: &privet_breach::Incident, now: chrono::DateTime<Utc>) -> serde_json::Value {
    json!({
        "deadline": incident.deadline(),
        "seconds_left": incident.time_left(now).num_seconds(),
        "late": incident.late(now),
        "text": incident.clock(now),
    })
}

/// `GET /api/incidents`.
pub async fn list(State(app): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Breach)?;
    let store = store(&app)?;
    let now = Utc::now();
    let incidents: Vec<_> = store
        .list()
        .map_err(failed)?
        .into_iter()
        .map(|i| json!({"incident": &i, "clock": clock(&i, now)}))
        .collect();
    Ok(Json(json!({"incidents": incidents})).into_response())
}

/// An incident with everything known about it, and its Art. 33 report drafted at `now`.
struct Drafted {
    store: IncidentStore,
    incident: privet_breach::Incident,
    updates: Vec<privet_breach::IncidentUpdate>,
    assessment: Option<privet_breach::Assessment>,
    report: authority::Report,
}

fn drafted(app: &App, id: i64, now: chrono::DateTime<Utc>) -> Result<Drafted, ApiError> {
    let store = store(app)?;
    let incident = store
        .get(id)
        .map_err(|e| ApiError::owned(404, e.to_string(), None))?;
    let updates = store.updates(id).map_err(failed)?;
    let assessment = store.assessment(id).map_err(failed)?;
    let report = authority::draft(&authority::ReportInput {
        incident: &incident,
        updates: &updates,
        assessment: assessment.as_ref(),
        config: &app.config.breach,
        now,
    });
    Ok(Drafted {
        store,
        incident,
        updates,
        assessment,
        report,
    })
}

/// `GET /api/incidents/{id}`.
pub async fn detail(
    State(app): AppState,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Breach)?;
    let now = Utc::now();
    let Drafted {
        store,
        incident,
        updates,
        assessment,
        report,
    } = drafted(&app, id, now)?;
    let outbox = privet_notify::send::outbox_status(&store.database_path(), id).map_err(failed)?;
    let summary = assessment.as_ref().map(|a| {
        let risk = |level: RiskLevel| a.people.iter().filter(|p| p.risk.level == level).count();
        json!({
            "assessed_at": a.assessed_at,
            "records": a.records,
            "matched_records": a.matched_records,
            "unmatched_records": a.unmatched_records,
            "canary_records": a.canary_records,
            "people": a.people.len(),
            "organisations": a.organisations.len(),
            "risk": {"high": risk(RiskLevel::High), "medium": risk(RiskLevel::Medium), "low": risk(RiskLevel::Low)},
            "people_by_category": a.people_by_category,
            "records_by_category": a.records_by_category,
            "people_by_country": a.people_by_country,
            "canaries": a.canaries,
            "sources": a.sources,
        })
    });
    let member_states: Vec<_> = report
        .member_states
        .iter()
        .map(|s| json!({"code": s.code, "country": s.country, "authority": s.authority, "people": s.people}))
        .collect();
    Ok(Json(json!({
        "incident": incident,
        "clock": clock(&incident, now),
        "updates": updates,
        "assessment": summary,
        "notices": {
            "pending": outbox.pending,
            "sending": outbox.sending,
            "sent": outbox.sent,
            "failed": outbox.failed,
            "total": outbox.total(),
        },
        "report": {
            "missing": report.missing,
            "member_states": member_states,
            "outside_eea": report.outside_eea,
            "unknown_country": report.unknown_country,
            "markdown": report.markdown,
        },
    }))
    .into_response())
}

/// `GET /api/incidents/{id}/report.html`: the print-ready Art. 33 draft (open it and print to PDF).
pub async fn report_html(
    State(app): AppState,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, Permission::Breach)?;
    let report = drafted(&app, id, Utc::now())?.report;
    Ok(axum::response::Html(report.html).into_response())
}
