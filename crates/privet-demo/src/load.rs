//! Loading the dataset into a data directory through the real ingestion path.
//!
//! The events take the route an `/import` request takes after its body is decoded: a JSON document
//! ([`Document`]), `events::decode` in import mode (batch limits, validation, time, `$insert_id`), then
//! [`IngestService::events`]
//! (project, privacy pipeline, vault, write-ahead log with group commit); people and organisation profiles go
//! the `/engage` and `/groups` way. So identity merges, minimisation, the vault and durability happen exactly as
//! for events sent over HTTP. The loader acts as an in-process `ingest` key of the chosen project; no key is
//! created for it.
//!
//! Organisations are generated on blocking threads a few at a time, taken in order by a [`Budget`], and cut into
//! batches of 2,000 records that are ingested concurrently on the runtime's workers, so every core is busy.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use privet_auth::{ApiKey, Role};
use privet_ingest::mixpanel::{self, events, profiles};
use privet_ingest::service::Endpoint;
use privet_ingest::{Auth, Document, IngestError, IngestResult, IngestService};
use privet_model::ProjectId;
use privet_pipeline::EventContext;
use privet_server::App;
use serde_json::Value;
use tokio::task::{JoinHandle, JoinSet};

use crate::generate::{Budget, OrgChunk, org_chunk};
use crate::{DemoOptions, Span, progress};

/// Records per ingested batch (the `/import` limit).
const BATCH: usize = 2_000;
/// Organisations per generator job.
const ORGS_PER_JOB: u64 = 8;

/// Why the dataset could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the demo data could not be stored: {0}")]
    Ingest(#[from] IngestError),
    #[error("generating the demo data failed: {0}")]
    Generator(String),
    #[error("publishing the places and clients k people share failed: {0}")]
    Publish(#[from] privet_store::StoreError),
}

/// What a load did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub people: u64,
    pub organisations: u64,
    /// Events sent.
    pub events: u64,
    /// Events stored (the others were duplicates of events already stored, or rejected).
    pub stored: u64,
    pub duplicates: u64,
    /// Records (events or profile updates) the pipeline refused, and the first reason.
    pub rejected: u64,
    pub first_rejection: Option<String>,
    pub profiles: u64,
    /// The first and last event's time (ms).
    pub first_event_ms: Option<i64>,
    pub last_event_ms: Option<i64>,
    pub span: Span,
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        };
        let seconds = self.elapsed.as_secs_f64().max(1e-3);
        write!(
            f,
            "{} events of {} people in {} organisations, from {} to {}, in {:.1} s ({} events/s)",
            thousands(self.events),
            thousands(self.people),
            thousands(self.organisations),
            day(self.first_event_ms.unwrap_or(self.span.start_ms)),
            day(self.last_event_ms.unwrap_or(self.span.end_ms)),
            seconds,
            thousands((self.events as f64 / seconds) as u64),
        )?;
        if self.duplicates > 0 {
            write!(
                f,
                "; {} were already stored (the same seed loaded twice)",
                thousands(self.duplicates)
            )?;
        }
        if self.rejected > 0 {
            write!(
                f,
                "; {} records were rejected ({})",
                thousands(self.rejected),
                self.first_rejection.as_deref().unwrap_or("no reason given")
            )?;
        }
        Ok(())
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How many events the data directory holds (every project; stored and still buffered).
pub fn stored_events(app: &App) -> u64 {
    let version = app.store.version();
    let segments: u64 = version.segments.iter().map(|s| s.rows).sum();
    let buffered: usize = version
        .flushing
        .iter()
        .chain(std::iter::once(&version.active))
        .map(|m| m.rows())
        .sum();
    segments + buffered as u64
}

/// A batch of records, as one request would carry them.
enum Batch {
    Events(Vec<Value>),
    People(Vec<Value>),
    Groups(Vec<Value>),
}

/// What a batch did.
struct Sent {
    events: u64,
    result: IngestResult,
}

/// Generates the dataset `options` describe and stores it in `project` of `app`, showing a progress bar on
/// standard error if `show_progress` (and it is a terminal). Events are durable, and the places and client
/// combinations `k` people share are published, when this returns.
pub async fn load(
    app: &App,
    project: ProjectId,
    options: &DemoOptions,
    show_progress: bool,
) -> Result<Summary, LoadError> {
    let started = Instant::now();
    let span = options.span();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let batch_size = BATCH.min(app.config.ingest.max_batch).max(1);
    let bar = progress::bar(options.events, show_progress);
    let mut sender = Sender {
        ingest: app.ingest.clone(),
        auth: Arc::new(in_process_key(project)),
        in_flight: JoinSet::new(),
        max_in_flight: workers * 2,
        bar: bar.clone(),
        summary: Summary {
            people: 0,
            organisations: 0,
            events: 0,
            stored: 0,
            duplicates: 0,
            rejected: 0,
            first_rejection: None,
            profiles: 0,
            first_event_ms: None,
            last_event_ms: None,
            span,
            elapsed: Duration::ZERO,
        },
    };
    let mut generators: VecDeque<JoinHandle<Vec<OrgChunk>>> = VecDeque::new();
    let mut next_org = 0;
    let mut budget = Budget::new(options.events);
    let (mut events, mut people, mut groups) = (Vec::new(), Vec::new(), Vec::new());
    while !budget.done() {
        while generators.len() < workers * 2 {
            let (seed, first) = (options.seed, next_org);
            generators.push_back(tokio::task::spawn_blocking(move || {
                (first..first + ORGS_PER_JOB)
                    .map(|index| org_chunk(seed, span, index))
                    .collect()
            }));
            next_org += ORGS_PER_JOB;
        }
        let chunks = generators
            .pop_front()
            .expect("a generator was just started")
            .await
            .map_err(|e| LoadError::Generator(e.to_string()))?;
        for chunk in chunks {
            let Some(chunk) = budget.take(chunk) else {
                break;
            };
            sender.note(&chunk);
            people.extend(chunk.people_updates());
            groups.push(chunk.group_update());
            for event in chunk.events.into_iter().flatten() {
                events.push(event);
                if events.len() == batch_size {
                    sender
                        .send(Batch::Events(std::mem::take(&mut events)))
                        .await?;
                }
            }
            if people.len() >= batch_size {
                let rest = people.split_off(batch_size);
                sender
                    .send(Batch::People(std::mem::replace(&mut people, rest)))
                    .await?;
            }
            if groups.len() >= batch_size {
                sender
                    .send(Batch::Groups(std::mem::take(&mut groups)))
                    .await?;
            }
        }
    }
    drop(generators); // jobs still running finish on their own; their organisations are beyond the target
    for (batch, records) in [
        (Batch::Events as fn(Vec<Value>) -> Batch, events),
        (Batch::People, people),
        (Batch::Groups, groups),
    ] {
        if !records.is_empty() {
            sender.send(batch(records)).await?;
        }
    }
    while let Some(done) = sender.in_flight.join_next().await {
        sender.account(done)?;
    }
    // Places and client combinations that k people share are shown now rather than at the next background pass.
    app.store.publish().await?;
    bar.finish_and_clear();
    let mut summary = sender.summary;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The in-process key the loader writes with: an `ingest` key limited to the project, never stored.
fn in_process_key(project: ProjectId) -> Auth {
    Auth::Key {
        key: ApiKey {
            id: "demo-loader".to_string(),
            role: Role::Ingest,
            project: Some(project),
            label: Some("privet demo (in-process)".to_string()),
            created_at: String::new(),
            revoked_at: None,
        },
        project: Some(project),
    }
}

/// Sends batches concurrently (at most `max_in_flight` at once) and adds up what happened.
struct Sender {
    ingest: Arc<IngestService>,
    auth: Arc<Auth>,
    in_flight: JoinSet<Result<Sent, IngestError>>,
    max_in_flight: usize,
    bar: indicatif::ProgressBar,
    summary: Summary,
}

impl Sender {
    /// Counts an organisation's people and the time range of its events.
    fn note(&mut self, chunk: &OrgChunk) {
        let s = &mut self.summary;
        s.organisations += 1;
        s.people += chunk.people.len() as u64;
        for events in &chunk.events {
            let times = [events.first(), events.last()]
                .into_iter()
                .flatten()
                .filter_map(|e| e["properties"]["time"].as_i64());
            for t in times {
                s.first_event_ms = Some(s.first_event_ms.map_or(t, |f| f.min(t)));
                s.last_event_ms = Some(s.last_event_ms.map_or(t, |l| l.max(t)));
            }
        }
    }

    async fn send(&mut self, batch: Batch) -> Result<(), LoadError> {
        while self.in_flight.len() >= self.max_in_flight {
            let done = self.in_flight.join_next().await.expect("not empty");
            self.account(done)?;
        }
        let (ingest, auth) = (self.ingest.clone(), self.auth.clone());
        self.in_flight
            .spawn(async move { ingest_batch(&ingest, &auth, batch).await });
        Ok(())
    }

    fn account(
        &mut self,
        done: Result<Result<Sent, IngestError>, tokio::task::JoinError>,
    ) -> Result<(), LoadError> {
        let sent = done.map_err(|e| LoadError::Generator(e.to_string()))??;
        let s = &mut self.summary;
        s.events += sent.events;
        s.stored += sent.result.stored as u64;
        s.duplicates += sent.result.duplicates as u64;
        s.profiles += sent.result.profiles as u64;
        s.rejected += sent.result.errors.len() as u64;
        if s.first_rejection.is_none()
            && let Some(e) = sent.result.errors.first()
        {
            s.first_rejection = Some(format!("{}: {}", e.field, e.message));
        }
        self.bar.inc(sent.events);
        Ok(())
    }
}

/// One batch, the way the HTTP routes handle a decoded request body.
async fn ingest_batch(
    ingest: &IngestService,
    auth: &Auth,
    batch: Batch,
) -> Result<Sent, IngestError> {
    let now = privet_model::time::now_us();
    let limits = ingest.limits();
    let max_batch = ingest.config().max_batch;
    match batch {
        Batch::Events(records) => {
            let events = records.len() as u64;
            let document = Document::from_value(&Value::Array(records));
            let (good, bad) = events::decode(&document, events::Mode::Import, &limits, now)?;
            let result = ingest
                .events(Endpoint::Import, auth, &EventContext::default(), good, bad)
                .await?;
            Ok(Sent { events, result })
        }
        Batch::People(records) | Batch::Groups(records) if records.is_empty() => Ok(Sent {
            events: 0,
            result: IngestResult::default(),
        }),
        Batch::People(records) => {
            let items = mixpanel::records(Value::Array(records), max_batch)?;
            let (good, bad) = profiles::decode(items, profiles::Kind::People, false, &limits, now);
            let result = ingest.profiles(Endpoint::Engage, auth, good, bad).await?;
            Ok(Sent { events: 0, result })
        }
        Batch::Groups(records) => {
            let items = mixpanel::records(Value::Array(records), max_batch)?;
            let (good, bad) = profiles::decode(items, profiles::Kind::Groups, false, &limits, now);
            let result = ingest.profiles(Endpoint::Groups, auth, good, bad).await?;
            Ok(Sent { events: 0, result })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
