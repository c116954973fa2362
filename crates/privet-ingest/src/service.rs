//! The ingestion service: finds each record's project, runs the privacy pipeline, writes durably.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use privet_auth::{ApiKey, Control, Permission};
use privet_config::IngestConfig;
use privet_model::ProjectId;
use privet_pipeline::{EventContext, Pipeline, VaultSession};
use privet_store::{Store, StoreError, WriteBatch};
use privet_vault::Vault;
use serde::Serialize;

use crate::error::{IngestError, RecordError};
use crate::limits::Limits;
use crate::metrics::{Endpoint as EndpointLabel, IngestMetrics};
use crate::mixpanel::events::TokenedEvent;
use crate::mixpanel::profiles::TokenedUpdate;

/// A request whose records took this long from the pipeline to durable storage is logged with where the time went.
const SLOW_REQUEST: Duration = Duration::from_millis(100);

/// How a request proved it may write.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Each record carries its project's public token (`/track`, `/engage`, `/groups`).
    Token,
    /// A secret key (`/import`, `/v1/events`); `project` is the project the request named, if any.
    Key {
        key: ApiKey,
        project: Option<ProjectId>,
    },
}

/// Which endpoint records came through (a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Track,
    Import,
    Engage,
    Groups,
    Native,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Track => "track",
            Endpoint::Import => "import",
            Endpoint::Engage => "engage",
            Endpoint::Groups => "groups",
            Endpoint::Native => "native",
        }
    }

    fn token_field(self) -> &'static str {
        match self {
            Endpoint::Engage | Endpoint::Groups => "$token",
            _ => "properties.token",
        }
    }
}

/// What happened to a request's records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestResult {
    /// Records accepted: stored, recognised as duplicates, applied as identity operations or ignored on request.
    pub accepted: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub ignored: usize,
    pub profiles: usize,
    /// The rejected records, by position.
    pub errors: Vec<RecordError>,
}

impl IngestResult {
    /// True when no record at all was accepted and every rejection was about the token.
    pub fn only_token_errors(&self) -> bool {
        self.accepted == 0
            && !self.errors.is_empty()
            && self
                .errors
                .iter()
                .all(|e| matches!(e.reason, "unknown_token" | "missing_token"))
    }
}

fn batch_for(batches: &mut BTreeMap<ProjectId, WriteBatch>, project: ProjectId) -> &mut WriteBatch {
    batches.entry(project).or_insert_with(|| WriteBatch {
        project,
        events: Vec::new(),
        profiles: Vec::new(),
    })
}

/// Decoded records, of one kind.
enum Records {
    Events(Vec<TokenedEvent>),
    Profiles(Vec<TokenedUpdate>),
}

/// The ingestion service.
pub struct IngestService {
    control: Arc<Control>,
    pipeline: Arc<Pipeline>,
    vault: Vault,
    store: Arc<Store>,
    config: IngestConfig,
    metrics: IngestMetrics,
}

impl IngestService {
    pub fn new(
        control: Arc<Control>,
        pipeline: Arc<Pipeline>,
        vault: Vault,
        store: Arc<Store>,
        config: IngestConfig,
    ) -> Self {
        IngestService {
            control,
            pipeline,
            vault,
            store,
            config,
            metrics: IngestMetrics::default(),
        }
    }

    pub fn config(&self) -> &IngestConfig {
        &self.config
    }

    pub fn limits(&self) -> Limits {
        Limits::from(&self.config)
    }

    pub fn metrics(&self) -> &IngestMetrics {
        &self.metrics
    }

    /// Checks a secret key for writing.
    pub fn authenticate(&self, secret: &str) -> Result<ApiKey, IngestError> {
        let key = self
            .control
            .authenticate(secret)
            .map_err(|e| IngestError::unavailable(e.to_string()))?
            .ok_or_else(|| {
                IngestError::unauthorized(
                    "bad_key",
                    "the key is unknown or revoked; create one with `privet key create --role ingest`",
                )
            })?;
        if !key.role.allows(Permission::Ingest) {
            return Err(IngestError::forbidden(
                "wrong_role",
                format!(
                    "a key with role `{}` cannot send events; use an `ingest` or `admin` key",
                    key.role
                ),
            ));
        }
        Ok(key)
    }

    /// Resolves a project named by the request (`project_id=` or `?project=`): by name or numeric id.
    pub fn named_project(&self, name: &str) -> Result<ProjectId, IngestError> {
        let projects = self
            .control
            .projects()
            .map_err(|e| IngestError::unavailable(e.to_string()))?;
        projects
            .iter()
            .find(|p| p.name == name || p.id.0.to_string() == name)
            .map(|p| p.id)
            .ok_or_else(|| {
                IngestError::bad_request(
                    "unknown_project",
                    Some("project_id".to_string()),
                    "no such project; `privet project list` shows the projects",
                )
            })
    }

    /// Stores events.
    pub async fn events(
        &self,
        endpoint: Endpoint,
        auth: &Auth,
        ctx: &EventContext,
        events: Vec<TokenedEvent>,
        errors: Vec<RecordError>,
    ) -> Result<IngestResult, IngestError> {
        self.ingest(endpoint, auth, ctx, Records::Events(events), errors)
            .await
    }

    /// Stores profile updates.
    pub async fn profiles(
        &self,
        endpoint: Endpoint,
        auth: &Auth,
        updates: Vec<TokenedUpdate>,
        errors: Vec<RecordError>,
    ) -> Result<IngestResult, IngestError> {
        self.ingest(
            endpoint,
            auth,
            &EventContext::default(),
            Records::Profiles(updates),
            errors,
        )
        .await
    }

    async fn ingest(
        &self,
        endpoint: Endpoint,
        auth: &Auth,
        ctx: &EventContext,
        records: Records,
        mut errors: Vec<RecordError>,
    ) -> Result<IngestResult, IngestError> {
        let began = Instant::now();
        let mut result = IngestResult::default();
        let mut batches: BTreeMap<ProjectId, WriteBatch> = BTreeMap::new();
        let session = VaultSession::new(&self.vault);
        let mut batch = self.pipeline.batch();
        match records {
            Records::Events(events) => {
                for record in events {
                    let Some(project) = self.project_or_error(
                        endpoint,
                        auth,
                        (record.token.as_deref(), record.index),
                        record.event.insert_id.as_deref(),
                        &mut errors,
                    ) else {
                        continue;
                    };
                    match batch.event(project, ctx, record.event, &session) {
                        Some(event) => batch_for(&mut batches, project).events.push(event),
                        None => {
                            result.ignored += 1;
                            self.metrics.ignored.inc();
                        }
                    }
                }
            }
            Records::Profiles(updates) => {
                for record in updates {
                    let Some(project) = self.project_or_error(
                        endpoint,
                        auth,
                        (record.token.as_deref(), record.index),
                        None,
                        &mut errors,
                    ) else {
                        continue;
                    };
                    match batch.profile(project, record.update, &session) {
                        Ok(update) => batch_for(&mut batches, project).profiles.push(update),
                        Err(e) => errors.push(RecordError::new(
                            record.index,
                            "$distinct_id",
                            "missing_distinct_id",
                            format!("the record {e}"),
                        )),
                    }
                }
            }
        }
        drop(batch);
        // New pseudonyms and vaulted fields must be durable before anything that refers to them is acknowledged.
        let minimised = began.elapsed();
        let ticket = session.finish().map_err(vault_unavailable)?;
        self.vault.sync(ticket).await.map_err(vault_unavailable)?;
        let vaulted = began.elapsed();
        for (_, batch) in batches {
            let outcome = self.store.write(batch).await.map_err(|e| match e {
                StoreError::ShuttingDown => {
                    IngestError::unavailable("Privet is shutting down; retry shortly")
                }
                other => IngestError::unavailable(format!(
                    "the events could not be stored durably: {other}"
                )),
            })?;
            result.stored += outcome.stored;
            result.duplicates += outcome.duplicates;
            result.profiles += outcome.profiles;
            result.accepted +=
                outcome.stored + outcome.duplicates + outcome.identity_only + outcome.profiles;
        }
        result.accepted += result.ignored;
        let stored = began.elapsed();
        if stored >= SLOW_REQUEST {
            // Counts and durations only: never a value of the request.
            tracing::warn!(
                total_ms = stored.as_millis() as u64,
                pipeline_ms = minimised.as_millis() as u64,
                vault_ms = vaulted.saturating_sub(minimised).as_millis() as u64,
                store_ms = stored.saturating_sub(vaulted).as_millis() as u64,
                records = result.accepted + errors.len(),
                "slow ingestion request"
            );
        }
        errors.sort_by_key(|e| e.index);
        for e in &errors {
            self.metrics.reject(endpoint.name(), e.reason, 1);
        }
        self.metrics
            .accepted
            .get_or_create(&EndpointLabel {
                endpoint: endpoint.name(),
            })
            .inc_by(result.accepted as u64);
        result.errors = errors;
        Ok(result)
    }

    /// The record's project, or `None` with the reason added to `errors`.
    fn project_or_error(
        &self,
        endpoint: Endpoint,
        auth: &Auth,
        (token, index): (Option<&str>, usize),
        insert_id: Option<&str>,
        errors: &mut Vec<RecordError>,
    ) -> Option<ProjectId> {
        self.project_for(endpoint, auth, token, index)
            .map_err(|e| errors.push(e.with_insert_id(insert_id)))
            .ok()
    }

    fn project_for(
        &self,
        endpoint: Endpoint,
        auth: &Auth,
        token: Option<&str>,
        index: usize,
    ) -> Result<ProjectId, RecordError> {
        let field = endpoint.token_field();
        let by_token = |token: &str| -> Result<ProjectId, RecordError> {
            match self.control.project_by_token(token) {
                Ok(Some(project)) => Ok(project.id),
                Ok(None) => Err(RecordError::new(
                    index,
                    field,
                    "unknown_token",
                    "the project token is unknown; check the token your SDK is initialised with",
                )),
                Err(e) => Err(RecordError::new(
                    index,
                    field,
                    "control_error",
                    e.to_string(),
                )),
            }
        };
        match auth {
            Auth::Token => match token {
                Some(token) => by_token(token),
                None => Err(RecordError::new(
                    index,
                    field,
                    "missing_token",
                    "the project token is missing; initialise the SDK with your project's token",
                )),
            },
            Auth::Key { key, project } => {
                let scoped = key.project.or(*project);
                match (scoped, token) {
                    (Some(project), Some(token)) => {
                        let named = by_token(token)?;
                        if named == project {
                            Ok(project)
                        } else {
                            Err(RecordError::new(
                                index,
                                field,
                                "token_mismatch",
                                "the token belongs to another project than the key",
                            ))
                        }
                    }
                    (Some(project), None) => Ok(project),
                    (None, Some(token)) => by_token(token),
                    (None, None) => Err(RecordError::new(
                        index,
                        field,
                        "missing_token",
                        "name the project: a `token` property, `?project_id=`, or a key created with --project",
                    )),
                }
            }
        }
    }
}

fn vault_unavailable(e: privet_vault::VaultError) -> IngestError {
    IngestError::unavailable(format!(
        "the identity vault could not store identities durably: {e}"
    ))
}
