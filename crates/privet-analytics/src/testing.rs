//! Test fixtures: a real store in a temporary directory filled with small, hand-written datasets.

use chrono::DateTime;
use privet_config::{QueryConfig, StorageConfig};
use privet_model::{
    Dimensions, EventIdentity, MinimalEvent, ProfileOp, ProfileOpKind, ProfileTarget,
    ProfileUpdate, ProjectId, Pseudonym,
};
use privet_query::QueryEngine;
use privet_store::{Store, WriteBatch};
use serde_json::{Value, json};

use crate::{Analysis, Analytics, Scope};

/// One event of a fixture.
#[derive(Clone, Debug)]
pub struct Ev {
    pub person: i64,
    pub name: &'static str,
    pub time: &'static str,
    pub country: Option<&'static str>,
    pub browser: Option<&'static str>,
    pub properties: Value,
}

/// An event of `person` named `name` at `time` (RFC 3339).
pub fn ev(person: i64, name: &'static str, time: &'static str) -> Ev {
    Ev {
        person,
        name,
        time,
        country: None,
        browser: None,
        properties: json!({}),
    }
}

impl Ev {
    pub fn country(mut self, country: &'static str) -> Ev {
        self.country = Some(country);
        self
    }

    pub fn browser(mut self, browser: &'static str) -> Ev {
        self.browser = Some(browser);
        self
    }

    pub fn props(mut self, properties: Value) -> Ev {
        self.properties = properties;
        self
    }
}

pub fn us(time: &str) -> i64 {
    DateTime::parse_from_rfc3339(time)
        .unwrap_or_else(|e| panic!("{time}: {e}"))
        .timestamp_micros()
}

/// A store with the events written (half flushed to a segment, half in memory), and the analytics service.
pub struct Fixture {
    _dir: tempfile::TempDir,
    pub store: Store,
    pub engine: QueryEngine,
    pub analytics: Analytics,
}

impl Fixture {
    pub async fn new(events: &[Ev]) -> Fixture {
        Fixture::with_people(events, &[]).await
    }

    /// Also sets people properties (`$set`) for the given persons.
    pub async fn with_people(events: &[Ev], people: &[(i64, Value)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StorageConfig::default()).unwrap();
        let rows: Vec<MinimalEvent> = events.iter().enumerate().map(minimal).collect();
        let half = rows.len() / 2;
        let profiles: Vec<ProfileUpdate> = people
            .iter()
            .map(|(person, props)| ProfileUpdate {
                target: ProfileTarget::Person(EventIdentity {
                    distinct: Some(Pseudonym(*person)),
                    ..Default::default()
                }),
                time_us: 1,
                ops: vec![ProfileOp {
                    kind: ProfileOpKind::Set,
                    payload: props.to_string(),
                }],
            })
            .collect();
        for (i, chunk) in [&rows[..half], &rows[half..]].into_iter().enumerate() {
            store
                .write(WriteBatch {
                    project: ProjectId(1),
                    events: chunk.to_vec(),
                    profiles: if i == 0 { profiles.clone() } else { Vec::new() },
                })
                .await
                .unwrap();
            if i == 0 {
                store.flush().await.unwrap();
            }
        }
        let analytics = Analytics::open(dir.path()).unwrap();
        Fixture {
            _dir: dir,
            store,
            engine: QueryEngine::new(QueryConfig::default()),
            analytics,
        }
    }

    /// A query scope over project 1 with "now" at `now`.
    pub fn scope_at(&self, now: &str) -> Scope<'_> {
        let ctx = self.engine.session(self.store.version(), 1).unwrap();
        self.analytics.scope(ctx, 1, us(now))
    }

    pub fn scope(&self) -> Scope<'_> {
        self.scope_at("2026-11-23T12:00:00Z")
    }
}

fn minimal((i, e): (usize, &Ev)) -> MinimalEvent {
    MinimalEvent {
        name: e.name.into(),
        time_us: us(e.time),
        insert_id: Some(format!("i{i}")),
        identity: EventIdentity {
            distinct: Some(Pseudonym(e.person)),
            ..Default::default()
        },
        identity_op: None,
        dims: Dimensions {
            country: e.country.map(Into::into),
            browser: e.browser.map(Into::into),
            ..Default::default()
        },
        properties: e.properties.to_string(),
        store: true,
        sealed: None,
    }
}

/// `base` with the fields of `overrides` on top, read as a request.
pub fn request<R: Analysis>(base: Value, overrides: Value) -> R {
    let mut merged = base;
    let fields = merged.as_object_mut().expect("a JSON object");
    fields.extend(overrides.as_object().expect("a JSON object").clone());
    serde_json::from_value(merged).expect("a well-formed request")
}

/// The answer to `base` + `overrides`, which must succeed.
pub async fn ask<R: Analysis>(f: &Fixture, base: Value, overrides: Value) -> R::Output {
    request::<R>(base, overrides)
        .run(&f.scope())
        .await
        .expect("the query succeeds")
}

/// The field named by the refusal of `base` + `overrides`, which must fail.
pub async fn refused<R: Analysis>(f: &Fixture, base: Value, overrides: Value) -> String {
    match request::<R>(base, overrides).run(&f.scope()).await {
        Ok(_) => panic!("the query was not refused"),
        Err(error) => error.field().unwrap_or_default().to_string(),
    }
}
