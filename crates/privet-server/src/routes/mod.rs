//! The router: every route (ingestion, the JSON APIs, the dashboard), the CORS policy of the ingestion routes,
//! the CSRF guard of session-authenticated API calls, and request logging without payloads.

mod admin;
mod analytics;
pub(crate) mod api;
mod breach;
mod dashboard;
mod identity;
mod incidents;
mod mixpanel;
mod native;
mod ops;
mod overview;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use privet_ingest::body::Params;
use privet_ingest::service::Endpoint;
use privet_ingest::{IngestError, IngestResult, WireRequest};
use privet_pipeline::EventContext;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::app::App;
use crate::metrics::RequestLabels;

pub type AppState = State<Arc<App>>;

pub(crate) use ops::not_found;

/// Builds the router.
pub fn router(app: Arc<App>) -> Router {
    let ingestion = Router::new()
        .route("/track", get(mixpanel::track).post(mixpanel::track))
        .route("/track/", get(mixpanel::track).post(mixpanel::track))
        .route("/engage", get(mixpanel::engage).post(mixpanel::engage))
        .route("/engage/", get(mixpanel::engage).post(mixpanel::engage))
        .route("/groups", get(mixpanel::groups).post(mixpanel::groups))
        .route("/groups/", get(mixpanel::groups).post(mixpanel::groups))
        .route("/import", post(mixpanel::import))
        .route("/import/", post(mixpanel::import))
        .route("/decide", get(mixpanel::decide).post(mixpanel::decide))
        .route("/decide/", get(mixpanel::decide).post(mixpanel::decide))
        .route("/flags", get(mixpanel::flags).post(mixpanel::flags))
        .route("/flags/", get(mixpanel::flags).post(mixpanel::flags))
        .route(
            "/settings",
            get(mixpanel::settings).post(mixpanel::settings),
        )
        .route(
            "/settings/",
            get(mixpanel::settings).post(mixpanel::settings),
        )
        .route("/record", get(mixpanel::record).post(mixpanel::record))
        .route("/record/", get(mixpanel::record).post(mixpanel::record))
        .route("/v1/events", post(native::events))
        .layer(cors(&app.config.ingest.cors_allowed_origins));
    let router = Router::new()
        .merge(ingestion)
        .route("/api/sql", post(api::sql))
        .route(
            "/api/insights",
            post(analytics::analysis::<privet_analytics::insights::InsightsRequest>),
        )
        .route(
            "/api/funnels",
            post(analytics::analysis::<privet_analytics::funnels::FunnelRequest>),
        )
        .route(
            "/api/retention",
            post(analytics::analysis::<privet_analytics::retention::RetentionRequest>),
        )
        .route(
            "/api/flows",
            post(analytics::analysis::<privet_analytics::flows::FlowRequest>),
        )
        .route(
            "/api/cohorts",
            get(analytics::list_cohorts).post(analytics::save_cohort),
        )
        .route(
            "/api/cohorts/{name}",
            axum::routing::delete(analytics::delete_cohort),
        )
        .route("/api/people/{person_id}", get(analytics::person))
        .route("/api/people/{person_id}/reveal", post(identity::person))
        .route("/api/groups/{group_key}/{group_id}", get(analytics::group))
        .route(
            "/api/groups/{group_key}/{group_id}/reveal",
            post(identity::group),
        )
        .route("/api/me", get(overview::me))
        .route("/api/schema", get(overview::schema))
        .route("/api/privacy/overview", get(overview::privacy))
        .route("/api/incidents", get(incidents::list))
        .route("/api/incidents/{id}", get(incidents::detail))
        .route(
            "/api/incidents/{id}/report.html",
            get(incidents::report_html),
        )
        .route(
            "/api/admin/users",
            get(admin::users).post(admin::create_user),
        )
        .route("/api/admin/users/{id}", post(admin::change_user))
        .route("/api/admin/keys", get(admin::keys).post(admin::create_key))
        .route("/api/admin/keys/{id}/revoke", post(admin::revoke_key))
        .route(
            "/api/admin/projects",
            get(admin::projects).post(admin::create_project),
        )
        .route(
            "/api/admin/projects/{name}/rotate-token",
            post(admin::rotate_token),
        )
        .route(
            "/api/admin/settings",
            get(admin::settings).post(admin::change_settings),
        )
        .route("/api/audit", get(admin::audit_log))
        .route("/api/audit/verify", get(admin::audit_verify))
        .route("/api/privacy/erase", post(api::erase))
        .route("/api/privacy/anonymize", post(api::anonymize))
        .route("/api/privacy/export", post(api::export))
        .route("/api/events/delete", post(api::delete_events))
        .route("/api/canary/hit", post(breach::canary_hit))
        .route("/api/breach/range/{prefix}", get(breach::range))
        .route("/breach/check", get(breach::check_page))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));
    let router = if app.config.dashboard.enabled {
        router.merge(dashboard::router())
    } else {
        router
    };
    router
        .fallback(ops::not_found)
        .layer(middleware::from_fn_with_state(
            app.clone(),
            crate::session::csrf_guard,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .with_state(app)
}

/// Browser SDKs send credentials, so the allowed origin is echoed (never `*`) with
/// `Access-Control-Allow-Credentials: true`.
fn cors(allowed: &[String]) -> CorsLayer {
    let origin = if allowed.iter().any(|o| o == "*") {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(allowed.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(origin)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(86_400))
}

/// Logs and counts every request by its route pattern. The URL (whose query string may carry event data) and
/// the body are never logged.
async fn observe(State(app): AppState, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    app.http
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            status,
        })
        .inc();
    tracing::debug!(%method, route, status, elapsed_ms = started.elapsed().as_secs_f64() * 1e3, "request");
    response
}

/// Reads a body up to `limit` bytes.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, IngestError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        IngestError::too_large(
            "too_large",
            None,
            format!("the request body is larger than {limit} bytes; send smaller batches"),
        )
    })
}

/// The decoding view of a request.
pub fn wire<'a>(query: Option<&'a str>, headers: &'a HeaderMap, body: &'a [u8]) -> WireRequest<'a> {
    let header =
        |name: axum::http::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    WireRequest {
        query,
        content_type: header(axum::http::header::CONTENT_TYPE),
        content_encoding: header(axum::http::header::CONTENT_ENCODING),
        body,
    }
}

/// The caller's address: the peer, or the first `X-Forwarded-For` entry when the peer is a trusted proxy.
pub fn client_ip(app: &App, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let peer_ip = peer.ip();
    let trusted = app
        .config
        .ingest
        .trusted_proxies
        .iter()
        .any(|p| p.parse::<IpAddr>().is_ok_and(|ip| ip == peer_ip));
    if trusted
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return forwarded;
    }
    peer_ip
}

/// What the pipeline needs to know about the request: the caller's address (only with `ip=1`, through
/// trusted proxies) and its user agent.
pub(crate) fn event_context(
    app: &App,
    params: &Params,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> EventContext {
    EventContext {
        project: None,
        client_ip: params.ip.then(|| client_ip(app, peer, headers)),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

/// Whole-request failures are counted here; per-record ones by the ingestion service.
pub(crate) fn count_request_error(
    app: &App,
    endpoint: Endpoint,
    result: &Result<IngestResult, IngestError>,
) {
    if let Err(e) = result {
        app.ingest.metrics().reject(endpoint.name(), e.reason, 1);
    }
}
