//! Privet's HTTP server.
//!
//! * `routes::mixpanel` — `/track`, `/engage`, `/groups`, `/import`, and harmless answers to the other routes
//!   Mixpanel SDKs call (`/decide`, `/flags`, `/settings`, `/record`);
//! * `routes::native` — `POST /v1/events`;
//! * `routes::api` — `POST /api/sql`;
//! * `routes::ops` — `/healthz`, `/readyz`, `/metrics`.
//!
//! [`App`] assembles the crates (control database, store, pipeline, ingestion, query engine) from a
//! configuration; [`serve`] runs the router until shutdown. Handlers are thin: decoding, validation and storage
//! live in `privet-ingest` and `privet-store`.

mod app;
mod auth;
mod metrics;
pub mod privacy;
mod respond;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

pub use app::{App, AppError, Bootstrap, KeyNotice};

/// Serves `app` on `listener` until `shutdown` resolves, then flushes the store.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = routes::router(app.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || store.shutdown())
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}
