//! Retention: of the actors "born" in each calendar bucket (their first, or every, birth event), how many come
//! back with a return event in each following bucket — the classic triangle.
//!
//! Two passes, no sort of the (many) return events: the birth events (few) give each actor's cohort
//! memberships, then every return event looks its actor up and sets the bit of the period it falls in. Cells whose bucket lies after the range's last bucket are unknown
//! (`null`), not zero.

use std::sync::Arc;

use datafusion::logical_expr::{col, lit};
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::Scope;
use crate::actors::{ActorIndex, runs};
use crate::error::{AnalyticsError, Result};
use crate::property::{FilterSpec, Table, parse_filters};
use crate::request::{self, event_name};
use crate::scan::{Interner, fold, ints, opt, times};
use crate::time::{Buckets, Unit, label};

/// Periods are tracked as bits of a `u128` per cohort membership.
const MAX_PERIODS: usize = 128;

/// `POST /api/retention`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRequest {
    pub birth_event: Option<String>,
    pub return_event: Option<String>,
    #[serde(default)]
    pub birth_filters: Vec<FilterSpec>,
    #[serde(default)]
    pub return_filters: Vec<FilterSpec>,
    pub mode: Option<String>,
    pub bucket: Option<String>,
    pub periods: Option<usize>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub timezone: Option<String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    pub breakdown: Option<String>,
    pub limit: Option<usize>,
    pub count_by: Option<String>,
    pub project: Option<String>,
}

/// The answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RetentionResult {
    pub cohorts: Vec<CohortRow>,
    pub breakdown: Vec<RetentionBreakdown>,
}

/// One row of the triangle.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CohortRow {
    pub start: String,
    pub size: u64,
    pub retained: Vec<Option<u64>>,
}

/// The triangle of one breakdown value.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RetentionBreakdown {
    pub value: Option<String>,
    pub cohorts: Vec<CohortRow>,
}

/// Per cohort bucket: its size and the actors retained in each period.
#[derive(Clone, Default)]
struct Triangle {
    size: Vec<u64>,
    retained: Vec<Vec<u64>>,
}

impl Triangle {
    fn new(buckets: usize, periods: usize) -> Triangle {
        Triangle {
            size: vec![0; buckets],
            retained: vec![vec![0; periods]; buckets],
        }
    }

    fn merge(&mut self, other: &Triangle) {
        for (a, b) in self.size.iter_mut().zip(&other.size) {
            *a += b;
        }
        for (a, b) in self.retained.iter_mut().zip(&other.retained) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    fn total(&self) -> u64 {
        self.size.iter().sum()
    }

    fn rows(&self, labels: &[String]) -> Vec<CohortRow> {
        let buckets = labels.len();
        labels
            .iter()
            .enumerate()
            .map(|(c, start)| CohortRow {
                start: start.clone(),
                size: self.size[c],
                retained: self.retained[c]
                    .iter()
                    .enumerate()
                    .map(|(n, v)| (c + n < buckets).then_some(*v))
                    .collect(),
            })
            .collect()
    }
}

/// One actor's membership of one cohort.
struct Member {
    cohort: usize,
    born: i64,
    key: u32,
}

/// One birth event: actor, time, breakdown code.
type Birth = (i64, i64, u32);

/// Every cohort membership, grouped by actor so that a return event finds its actor's memberships at once.
struct Memberships {
    members: Vec<Member>,
    /// The actors with memberships; `ranges[i]` are the `members` of actor number `i`.
    actors: ActorIndex,
    ranges: Vec<(u32, u32)>,
}

impl Memberships {
    /// From birth events: the first ever per actor (`first_time`, dropped when before `start`), or the first in
    /// each bucket.
    fn new(parts: Vec<Vec<Birth>>, buckets: &Buckets, start: i64, first_time: bool) -> Memberships {
        let mut births: Vec<Birth> = parts.into_iter().flatten().collect();
        births.sort_unstable();
        let mut members = Vec::new();
        let mut actors = Vec::new();
        let mut ranges = Vec::new();
        for run in births.chunk_by(|a, b| a.0 == b.0) {
            let from = members.len();
            if first_time {
                let (_, time, key) = run[0];
                if time >= start
                    && let Some(cohort) = buckets.index(time)
                {
                    members.push(Member {
                        cohort,
                        born: time,
                        key,
                    });
                }
            } else {
                for &(_, time, key) in run {
                    if let Some(cohort) = buckets.index(time)
                        && members[from..].iter().all(|m: &Member| m.cohort != cohort)
                    {
                        members.push(Member {
                            cohort,
                            born: time,
                            key,
                        });
                    }
                }
            }
            if members.len() > from {
                actors.push(run[0].0);
                ranges.push((from as u32, members.len() as u32));
            }
        }
        Memberships {
            members,
            actors: ActorIndex::from_sorted(actors),
            ranges,
        }
    }

    /// The memberships of `actor` (see [`ActorIndex::find`] for `cursor`).
    #[inline]
    fn of(&self, actor: i64, cursor: &mut usize) -> std::ops::Range<usize> {
        self.actors.find(actor, cursor).map_or(0..0, |i| {
            self.ranges[i].0 as usize..self.ranges[i].1 as usize
        })
    }
}

/// Runs a retention query.
pub async fn run(scope: &Scope<'_>, request: &RetentionRequest) -> Result<RetentionResult> {
    let birth = event_name(request.birth_event.as_deref(), "birth_event")?;
    let return_event = match request.return_event.as_deref().map(str::trim) {
        Some("") => return Err(AnalyticsError::invalid("return_event", "empty event name")),
        other => other.map(str::to_string),
    };
    let first_time = match request.mode.as_deref().unwrap_or("first_time") {
        "first_time" => true,
        "recurring" => false,
        other => {
            return Err(AnalyticsError::invalid(
                "mode",
                format!("unknown mode `{other}`; use first_time or recurring"),
            ));
        }
    };
    let unit = Unit::parse(request.bucket.as_deref().unwrap_or("week"), "bucket")?;
    if matches!(unit, Unit::All | Unit::Hour) {
        return Err(AnalyticsError::invalid(
            "bucket",
            "retention buckets are day, week or month",
        ));
    }
    let periods = request::count(request.periods, 8, MAX_PERIODS, "periods")?;
    let limit = request::limit(request.limit)?;
    let range = scope.range(&request.from, &request.to, &request.timezone)?;
    let buckets = range.buckets(unit);
    let filters = parse_filters(&request.filters, Table::Events, "filters")?;
    let birth_filters = parse_filters(&request.birth_filters, Table::Events, "birth_filters")?;
    let return_filters = parse_filters(&request.return_filters, Table::Events, "return_filters")?;

    let actor = request::actor(request.count_by.as_deref())?;
    let breakdown = request::breakdown(scope, request.breakdown.as_deref()).await?;

    // Phase 1: births. First-time births need the actor's history before the range, to know the birth is
    // their first; recurring births only the range.
    let lower = (!first_time).then_some(range.start);
    let mut births = scope
        .events(lower, Some(range.end), &filters)
        .await?
        .filter(col("event").eq(lit(birth.as_str())))?;
    for expr in scope.filter_exprs(&birth_filters).await? {
        births = births.filter(expr)?;
    }
    let births = births.select(vec![
        col("time"),
        actor.clone().alias("actor"),
        breakdown.alias("key"),
    ])?;
    let keys = Arc::new(Interner::default());
    let k = keys.clone();
    let parts = fold(births, Vec::<Birth>::new, move |rows, batch| {
        let time = times(batch, 0);
        let actor = ints(batch, 1);
        let key = k.codes(batch.column(2));
        for i in 0..batch.num_rows() {
            if let Some(actor) = opt(actor, i) {
                rows.push((actor, time[i], key[i]));
            }
        }
        Ok(())
    })
    .await?;
    let memberships = Memberships::new(parts, &buckets, range.start, first_time);

    // Phase 2: returns, each looked up by actor; no sort, one pass.
    let mut returns = scope
        .events(Some(range.start), Some(range.end), &filters)
        .await?;
    if let Some(event) = &return_event {
        returns = returns.filter(col("event").eq(lit(event.as_str())))?;
    }
    for expr in scope.filter_exprs(&return_filters).await? {
        returns = returns.filter(expr)?;
    }
    let returns = returns.select(vec![col("time"), actor.alias("actor")])?;
    let shared = Arc::new((memberships, buckets.clone()));
    let m = shared.clone();
    let n_members = shared.0.members.len();
    let states = fold(
        returns,
        move || (vec![0u128; n_members], 0usize),
        move |(bits, cursor), batch| {
            let (memberships, buckets) = &*m;
            let time = times(batch, 0);
            // The bucket of the previous row, and where it starts and ends: rows of a run mostly share it.
            let mut bucket: Option<(usize, i64, i64)> = None;
            for (actor, run) in runs(ints(batch, 1)) {
                let members = memberships.of(actor, cursor);
                if members.is_empty() {
                    continue;
                }
                for &t in &time[run] {
                    let b = match bucket {
                        Some((b, from, to)) if from <= t && t < to => b,
                        _ => {
                            let Some(b) = buckets.index(t) else { continue };
                            let (from, to) = buckets.bounds(b);
                            bucket = Some((b, from, to));
                            b
                        }
                    };
                    for slot in members.clone() {
                        let member = &memberships.members[slot];
                        if t > member.born && b >= member.cohort && b - member.cohort < periods {
                            bits[slot] |= 1u128 << (b - member.cohort);
                        }
                    }
                }
            }
            Ok(())
        },
    )
    .await?;
    let mut returned = vec![0u128; n_members];
    for (state, _) in states {
        for (a, b) in returned.iter_mut().zip(state) {
            *a |= b;
        }
    }
    let n_buckets = buckets.len();
    let mut triangles: HashMap<u32, Triangle> = HashMap::new();
    for (member, bits) in shared.0.members.iter().zip(returned) {
        let triangle = triangles
            .entry(member.key)
            .or_insert_with(|| Triangle::new(n_buckets, periods));
        triangle.size[member.cohort] += 1;
        for n in 0..periods {
            if bits & (1u128 << n) != 0 {
                triangle.retained[member.cohort][n] += 1;
            }
        }
    }
    let labels: Vec<String> = buckets.starts.iter().map(|s| label(*s, range.tz)).collect();
    let mut overall = Triangle::new(n_buckets, periods);
    for triangle in triangles.values() {
        overall.merge(triangle);
    }
    // Nothing born or nothing returned may be a typo in an event name: say so rather than answer 0.
    let mut unseen = Vec::new();
    if overall.total() == 0 {
        unseen.push((birth.as_str(), "birth_event".to_string()));
    }
    if let Some(event) = &return_event
        && overall.retained.iter().flatten().all(|n| *n == 0)
    {
        unseen.push((event.as_str(), "return_event".to_string()));
    }
    scope.ensure_events_exist(&unseen).await?;
    let breakdown = request::top_n(triangles, &keys.values(), limit, Triangle::total, |a, b| {
        a.merge(&b)
    })
    .into_iter()
    .map(|(value, triangle)| RetentionBreakdown {
        value,
        cohorts: triangle.rows(&labels),
    })
    .collect();
    Ok(RetentionResult {
        cohorts: overall.rows(&labels),
        breakdown,
    })
}

#[cfg(test)]
mod tests;
