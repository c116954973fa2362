//! Privet's HTTP server.
//!
//! * `routes::mixpanel` — `/track`, `/engage`, `/groups`, `/import`, and harmless answers to the other routes
//!   Mixpanel SDKs call (`/decide`, `/flags`, `/settings`, `/record`);
//! * `routes::native` — `POST /v1/events`;
//! * `routes::api` — `POST /api/sql` and data-subject requests;
//! * `routes::analytics`, `routes::overview`, `routes::identity`, `routes::incidents`, `routes::admin` — the JSON
//!   APIs the dashboard (and API keys) use: analyses, schema, identity reveals, incidents, users, keys, audit;
//! * `routes::dashboard` — the web dashboard: sign-in with MFA, the account page, the pages and their assets;
//! * `routes::ops` — `/healthz`, `/readyz`, `/metrics`.
//!
//! `session` decides who a caller is (API key or dashboard session) and guards sessions against CSRF.
//!
//! [`App`] assembles the crates (control database, store, pipeline, ingestion, query engine) from a
//! configuration; [`serve`] runs the router until shutdown. Handlers are thin: decoding, validation and storage
//! live in `privet-ingest` and `privet-store`.

mod activity;
mod app;
mod auth;
mod metrics;
pub mod privacy;
mod respond;
mod routes;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;

pub use app::{App, AppError, Bootstrap, KeyNotice, TOTP_KEY_PURPOSE};

/// Serves `app` on `listener` until `shutdown` resolves, then flushes the store.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = routes::router(app.clone());
    let sampler = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                app.activity
                    .sample(app.pipeline.stats(), chrono::Utc::now().timestamp());
                let _ = app.activity.save();
            }
        })
    };
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    sampler.abort();
    app.activity
        .sample(app.pipeline.stats(), chrono::Utc::now().timestamp());
    let _ = app.activity.save();
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || store.shutdown())
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}
