//! Assembling Privet from its configuration: the data directory, the control database, the store, the privacy
//! pipeline, the ingestion service and the query engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use privet_analytics::Analytics;
use privet_auth::{Control, Role};
use privet_config::Config;
use privet_ingest::IngestService;
use privet_pipeline::{Pipeline, VaultPublisher};
use privet_query::QueryEngine;
use privet_store::Store;
use prometheus_client::registry::Registry;

use crate::activity::Activity;
use crate::metrics::HttpMetrics;
use crate::session::LoginThrottle;

/// What the first start created, to be shown once.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub project: String,
    pub token: String,
    pub admin_key: String,
}

/// Where the vault's master key came from, for the start-up message.
#[derive(Debug, Clone)]
pub struct KeyNotice {
    pub source: privet_vault::KeySource,
    pub created: bool,
}

/// Why Privet could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Auth(#[from] privet_auth::AuthError),
    #[error(transparent)]
    Store(#[from] privet_store::StoreError),
    #[error(transparent)]
    Vault(#[from] privet_vault::VaultError),
    #[error(transparent)]
    Analytics(#[from] privet_analytics::AnalyticsError),
    #[error("the privacy configuration is not usable: {0}")]
    Privacy(String),
    #[error(transparent)]
    Audit(#[from] privet_audit::AuditError),
}

/// A running Privet: every component, shared by the HTTP handlers.
pub struct App {
    pub config: Config,
    pub data_dir: PathBuf,
    pub control: Arc<Control>,
    pub store: Arc<Store>,
    pub vault: privet_vault::Vault,
    pub pipeline: Arc<Pipeline>,
    pub ingest: Arc<IngestService>,
    pub query: Arc<QueryEngine>,
    pub analytics: Arc<Analytics>,
    pub registry: Registry,
    pub http: HttpMetrics,
    /// Who did what: sign-ins, reveals, erasures, key and user changes (see `privet-audit`).
    pub audit: privet_audit::AuditLog,
    /// Seals dashboard users' TOTP secrets (derived from the vault's master key).
    pub totp_key: privet_vault::crypto::Key,
    pub login_throttle: LoginThrottle,
    /// What the privacy pipeline did, hour by hour (the dashboard's "last 24 hours").
    pub activity: Activity,
}

/// The purpose name of the key that seals TOTP secrets.
pub const TOTP_KEY_PURPOSE: &str = "dashboard totp secrets";

/// Creates the data directory if needed and returns its absolute path.
pub fn prepare_data_dir(path: &Path) -> Result<PathBuf, AppError> {
    let error = |source| AppError::DataDir {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(path).map_err(error)?;
    path.canonicalize().map_err(error)
}

/// Creates the `default` project and an admin key when the control database has no project yet.
pub fn bootstrap(control: &Control) -> Result<Option<Bootstrap>, AppError> {
    if !control.projects()?.is_empty() {
        return Ok(None);
    }
    let (project, token) = control.create_project("default")?;
    let (_, admin_key) = control.create_key(Role::Admin, None, Some("created on first start"))?;
    Ok(Some(Bootstrap {
        project: project.name,
        token,
        admin_key,
    }))
}

impl App {
    /// Opens everything under `config.data_dir`. Returns what the first start created, if this was it.
    pub fn open(config: Config) -> Result<(App, Option<Bootstrap>), AppError> {
        let (app, bootstrap, _) = Self::open_with_notice(config)?;
        Ok((app, bootstrap))
    }

    /// [`App::open`], also saying where the vault's master key came from.
    pub fn open_with_notice(
        config: Config,
    ) -> Result<(App, Option<Bootstrap>, KeyNotice), AppError> {
        let data_dir = prepare_data_dir(&config.data_dir)?;
        let control = Arc::new(Control::open(&data_dir)?);
        let opened =
            privet_vault::open_in(&data_dir, config.privacy.master_key_file.as_deref(), true)?;
        let notice = KeyNotice {
            source: opened.key_source,
            created: opened.created_key,
        };
        let vault = opened.vault;
        let bootstrap = bootstrap(&control)?;
        let store = Arc::new(Store::open(&data_dir, config.storage.clone())?);
        let names = {
            let control = control.clone();
            Box::new(move |id| control.project_by_id(id).ok().flatten().map(|p| p.name))
        };
        let pipeline = Arc::new(
            Pipeline::new(config.privacy.clone(), names)
                .map_err(|e| AppError::Privacy(e.to_string()))?,
        );
        let publication = Arc::new(VaultPublisher::new(pipeline.clone(), vault.clone()));
        store.set_publisher(publication)?;
        let ingest = Arc::new(IngestService::new(
            control.clone(),
            pipeline.clone(),
            vault.clone(),
            store.clone(),
            config.ingest.clone(),
        ));
        let query = Arc::new(QueryEngine::new(config.query.clone()));
        let analytics = Arc::new(Analytics::open(&data_dir)?);
        let mut registry = Registry::default();
        store.metrics().register(&mut registry);
        ingest.metrics().register(&mut registry);
        pipeline.stats().register(&mut registry);
        let http = HttpMetrics::default();
        http.register(&mut registry);
        let audit =
            privet_audit::AuditLog::open(&data_dir, vault.derived_key(privet_audit::KEY_PURPOSE))?;
        let totp_key = vault.derived_key(TOTP_KEY_PURPOSE);
        control.set_session_policy(privet_auth::SessionPolicy {
            idle: chrono::Duration::minutes(config.dashboard.session_idle_minutes.max(1).into()),
            absolute: chrono::Duration::hours(config.dashboard.session_max_hours.max(1).into()),
            ..Default::default()
        });
        let login_throttle = LoginThrottle::new(config.dashboard.login_attempts_per_minute);
        let activity = Activity::open(&data_dir);
        Ok((
            App {
                config,
                data_dir,
                control,
                store,
                vault,
                pipeline,
                ingest,
                query,
                analytics,
                registry,
                http,
                audit,
                totp_key,
                login_throttle,
                activity,
            },
            bootstrap,
            notice,
        ))
    }
}
