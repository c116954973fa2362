//! The dataset, organisation by organisation.
//!
//! Organisation number `i` depends only on the seed, the span and `i` ([`org_chunk`]), so organisations can be
//! generated on any number of threads; a [`Budget`] then takes them in order and cuts the stream at the target
//! number of events (the last person may be cut short). The same seed, span and target therefore always give
//! the same events, however the work was spread.

use serde_json::{Value, json};

use crate::behaviour::{activity, plan_at};
use crate::population::{Organisation, Person, members, organisation};
use crate::random::stream;
use crate::{DemoOptions, Span};

/// One organisation's part of the dataset.
#[derive(Clone, Debug)]
pub struct OrgChunk {
    pub organisation: Organisation,
    /// The members who signed up within the span.
    pub people: Vec<Person>,
    /// `events[i]` are `people[i]`'s events in time order, as `/import` takes them.
    pub events: Vec<Vec<Value>>,
    /// `signups[i]` is when `people[i]` signed up (ms).
    pub signups: Vec<i64>,
    plans: Vec<(i64, &'static str)>,
}

impl OrgChunk {
    /// How many events the chunk holds.
    pub fn event_count(&self) -> u64 {
        self.events.iter().map(|e| e.len() as u64).sum()
    }

    /// The `/engage` updates that set each member's profile: email and name (the pipeline vaults them),
    /// organisation and role.
    pub fn people_updates(&self) -> Vec<Value> {
        self.people
            .iter()
            .zip(&self.signups)
            .map(|(p, signup)| {
                json!({
                    "$distinct_id": p.user_id,
                    "$time": signup,
                    "$set": {
                        "$email": p.email,
                        "$name": p.name(),
                        "$first_name": p.first_name,
                        "$last_name": p.last_name,
                        "org_id": p.org_id,
                        "role": p.role,
                    }
                })
            })
            .collect()
    }

    /// The `/groups` update that sets the organisation's profile: name, plan (as of its last event) and seats.
    pub fn group_update(&self) -> Value {
        let last = self
            .events
            .iter()
            .filter_map(|e| e.last())
            .filter_map(|e| e["properties"]["time"].as_i64())
            .max()
            .unwrap_or(0);
        json!({
            "$group_key": "org_id",
            "$group_id": self.organisation.id,
            "$time": self.signups.first().copied().unwrap_or(last),
            "$set": {
                "name": self.organisation.name,
                "plan": plan_at(&self.plans, last),
                "seats": self.people.len(),
            }
        })
    }
}

/// Organisation number `index` of the dataset for `seed` over `span`, with its members and their events.
pub fn org_chunk(seed: u64, span: Span, index: u64) -> OrgChunk {
    let mut rng = stream(seed, index, 0);
    let organisation = organisation(&mut rng, seed, index);
    let people = members(&mut rng, &organisation);
    let mut rng = stream(seed, index, 1);
    let activity = activity(&mut rng, seed, &organisation, &people, span);
    let mut chunk = OrgChunk {
        organisation,
        people: Vec::new(),
        events: Vec::new(),
        signups: Vec::new(),
        plans: activity.plans,
    };
    for ((person, events), signup) in people
        .into_iter()
        .zip(activity.events)
        .zip(activity.signups)
    {
        if !events.is_empty() {
            chunk.people.push(person);
            chunk.events.push(events);
            chunk.signups.push(signup);
        }
    }
    chunk
}

/// Takes organisations in order until the target number of events is reached.
#[derive(Debug)]
pub struct Budget {
    remaining: u64,
}

impl Budget {
    pub fn new(events: u64) -> Budget {
        Budget { remaining: events }
    }

    /// True once the target is reached.
    pub fn done(&self) -> bool {
        self.remaining == 0
    }

    /// The chunk, cut to what the budget still allows (people after the cut are left out, the person at the cut
    /// keeps their first events); `None` once the target has been reached.
    pub fn take(&mut self, mut chunk: OrgChunk) -> Option<OrgChunk> {
        if self.remaining == 0 {
            return None;
        }
        let mut keep = chunk.people.len();
        for (i, events) in chunk.events.iter_mut().enumerate() {
            if self.remaining == 0 {
                keep = i;
                break;
            }
            events.truncate(self.remaining.min(events.len() as u64) as usize);
            self.remaining -= events.len() as u64;
        }
        chunk.people.truncate(keep);
        chunk.events.truncate(keep);
        chunk.signups.truncate(keep);
        Some(chunk)
    }
}

/// A whole dataset in memory (for tests and small sizes; [`crate::load`] streams instead).
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub organisations: Vec<Organisation>,
    pub people: Vec<Person>,
    /// Every event, organisation by organisation and person by person, each person's in time order.
    pub events: Vec<Value>,
    /// `/engage` updates, one per person.
    pub people_updates: Vec<Value>,
    /// `/groups` updates, one per organisation.
    pub group_updates: Vec<Value>,
}

/// Generates the dataset `options` describe.
pub fn generate(options: &DemoOptions) -> Dataset {
    let span = options.span();
    let mut budget = Budget::new(options.events);
    let mut dataset = Dataset::default();
    for index in 0.. {
        let Some(chunk) = budget.take(org_chunk(options.seed, span, index)) else {
            break;
        };
        dataset.people_updates.extend(chunk.people_updates());
        dataset.group_updates.push(chunk.group_update());
        dataset.organisations.push(chunk.organisation);
        dataset.people.extend(chunk.people);
        dataset.events.extend(chunk.events.into_iter().flatten());
    }
    dataset
}
