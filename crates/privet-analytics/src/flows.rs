//! Flows: what people do right after (or right before) an event, as a Sankey-ready list of nodes and edges.
//!
//! Each person's first occurrence of the anchor event in the range is found first; then one pass over their
//! events keeps, per person, the `steps` events nearest after (before) it, which form their path. No sort of
//! the whole range is needed. Paths are counted once per distinct path, then folded
//! into per-step nodes (events beyond the top `limit` at a step become `$other`) and the edges between them.

use std::sync::Arc;

use datafusion::functions_aggregate::expr_fn::min;
use datafusion::logical_expr::{col, lit};
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::Scope;
use crate::actors::{ActorIndex, runs};
use crate::error::{AnalyticsError, Result};
use crate::property::{FilterSpec, Table, parse_filters};
use crate::request::{self, OTHER, event_name};
use crate::scan::{Interner, fold, ints, opt, times};

const MAX_STEPS: usize = 10;

/// `POST /api/flows`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowRequest {
    pub event: Option<String>,
    pub direction: Option<String>,
    pub steps: Option<usize>,
    pub limit: Option<usize>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub timezone: Option<String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    pub project: Option<String>,
}

/// The answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FlowResult {
    pub nodes: Vec<FlowNode>,
    pub edges: Vec<FlowEdge>,
}

/// An event at a step (0 is the anchor), with the people there and those who stopped there.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FlowNode {
    pub step: usize,
    pub event: String,
    pub count: u64,
    pub dropoff: u64,
}

/// People going from an event at `step - 1` to an event at `step`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FlowEdge {
    pub step: usize,
    pub from: String,
    pub to: String,
    pub count: u64,
}

/// Keeps the `k` nearest events (by distance from the anchor), and any tied with the k-th, so that ties can be
/// broken by name once all partitions are in.
fn keep_nearest(nearest: &mut Vec<(i64, u32)>, candidate: (i64, u32), k: usize) {
    if nearest.len() >= k && candidate.0 > nearest[k - 1].0 {
        return;
    }
    let at = nearest.partition_point(|c| c.0 <= candidate.0);
    nearest.insert(at, candidate);
    while nearest.len() > k && nearest[nearest.len() - 1].0 > nearest[k - 1].0 {
        nearest.pop();
    }
}

/// Runs a flows query.
pub async fn run(scope: &Scope<'_>, request: &FlowRequest) -> Result<FlowResult> {
    let anchor = event_name(request.event.as_deref(), "event")?;
    let after = match request.direction.as_deref().unwrap_or("after") {
        "after" => true,
        "before" => false,
        other => {
            return Err(AnalyticsError::invalid(
                "direction",
                format!("unknown direction `{other}`; use after or before"),
            ));
        }
    };
    let steps = request::count(request.steps, 3, MAX_STEPS, "steps")?;
    let limit = request::limit(request.limit)?;
    let range = scope.range(&request.from, &request.to, &request.timezone)?;
    let filters = parse_filters(&request.filters, Table::Events, "filters")?;
    // Phase 1: each person's first anchor event in the range.
    let anchors = scope
        .events(Some(range.start), Some(range.end), &filters)
        .await?
        .filter(col("event").eq(lit(anchor.as_str())))?
        .aggregate(vec![col("person_id")], vec![min(col("time")).alias("at")])?;
    let mut first: Vec<(i64, i64)> = Vec::new();
    for batch in anchors.collect().await? {
        let person = ints(&batch, 0);
        let at = times(&batch, 1);
        for (i, at) in at.iter().enumerate() {
            if let Some(p) = opt(person, i) {
                first.push((p, *at));
            }
        }
    }
    first.sort_unstable();
    let people = first.len();
    let ats: Vec<i64> = first.iter().map(|f| f.1).collect();
    let index = ActorIndex::from_sorted(first.into_iter().map(|f| f.0).collect());

    // Phase 2: every event of those people in the range; each keeps its nearest `steps` events past the anchor.
    let df = scope
        .events(Some(range.start), Some(range.end), &filters)
        .await?
        .select(vec![col("time"), col("person_id"), col("event")])?;
    let names = Arc::new(Interner::with(std::slice::from_ref(&anchor)));
    let shared = Arc::new((index, ats));
    let (n, f) = (names.clone(), shared.clone());
    let parts = fold(
        df,
        move || (vec![Vec::<(i64, u32)>::new(); people], 0usize),
        move |(nearest, cursor), batch| {
            let (index, ats) = &*f;
            let time = times(batch, 0);
            let event = n.codes(batch.column(2));
            for (person, run) in runs(ints(batch, 1)) {
                let Some(slot) = index.find(person, cursor) else {
                    continue;
                };
                let at = ats[slot];
                for i in run {
                    let distance = if after { time[i] - at } else { at - time[i] };
                    if distance > 0 {
                        keep_nearest(&mut nearest[slot], (distance, event[i]), steps);
                    }
                }
            }
            Ok(())
        },
    )
    .await?;
    let parts: Vec<Vec<Vec<(i64, u32)>>> = parts.into_iter().map(|p| p.0).collect();
    // Events at the same instant are ordered by name, so answers do not depend on scan order.
    let names = names.values();
    let name = |code: u32| names[code as usize].clone().unwrap_or_default();
    let mut paths: HashMap<Vec<u32>, u64> = HashMap::new();
    for slot in 0..people {
        let mut candidates: Vec<(i64, u32)> = Vec::new();
        for part in &parts {
            candidates.extend_from_slice(&part[slot]);
        }
        candidates.sort_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                let (x, y) = (name(a.1), name(b.1));
                if after { x.cmp(&y) } else { y.cmp(&x) }
            })
        });
        let path: Vec<u32> = candidates.iter().take(steps).map(|c| c.1).collect();
        *paths.entry(path).or_default() += 1;
    }
    const ANCHOR: u32 = 1;
    if people == 0 {
        scope
            .ensure_events_exist(&[(anchor.as_str(), "event".to_string())])
            .await?;
    }

    // The top `limit` events at each step; the rest are `$other`.
    let mut kept: Vec<hashbrown::HashSet<u32>> = Vec::with_capacity(steps);
    for step in 1..=steps {
        let mut counts: HashMap<u32, u64> = HashMap::new();
        for (path, count) in &paths {
            if let Some(code) = path.get(step - 1) {
                *counts.entry(*code).or_default() += count;
            }
        }
        let mut ranked: Vec<(u32, u64)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| name(a.0).cmp(&name(b.0))));
        kept.push(ranked.into_iter().take(limit).map(|(c, _)| c).collect());
    }
    let label = |step: usize, code: u32| -> String {
        if step == 0 || kept[step - 1].contains(&code) {
            name(code)
        } else {
            OTHER.to_string()
        }
    };
    let mut nodes: HashMap<(usize, String), (u64, u64)> = HashMap::new();
    let mut edges: HashMap<(usize, String, String), u64> = HashMap::new();
    for (path, count) in &paths {
        let mut previous = label(0, ANCHOR);
        for step in 0..=path.len() {
            let here = if step == 0 {
                previous.clone()
            } else {
                label(step, path[step - 1])
            };
            let node = nodes.entry((step, here.clone())).or_default();
            node.0 += count;
            if step == path.len() && step < steps {
                node.1 += count;
            }
            if step > 0 {
                *edges
                    .entry((step, previous.clone(), here.clone()))
                    .or_default() += count;
            }
            previous = here;
        }
    }
    let other_last = |name: &str| name == OTHER;
    let mut nodes: Vec<FlowNode> = nodes
        .into_iter()
        .map(|((step, event), (count, dropoff))| FlowNode {
            step,
            event,
            count,
            dropoff,
        })
        .collect();
    nodes.sort_by(|a, b| {
        (
            a.step,
            other_last(&a.event),
            std::cmp::Reverse(a.count),
            &a.event,
        )
            .cmp(&(
                b.step,
                other_last(&b.event),
                std::cmp::Reverse(b.count),
                &b.event,
            ))
    });
    let mut edges: Vec<FlowEdge> = edges
        .into_iter()
        .map(|((step, from, to), count)| FlowEdge {
            step,
            from,
            to,
            count,
        })
        .collect();
    edges.sort_by(|a, b| {
        (a.step, std::cmp::Reverse(a.count), &a.from, &a.to).cmp(&(
            b.step,
            std::cmp::Reverse(b.count),
            &b.from,
            &b.to,
        ))
    });
    Ok(FlowResult { nodes, edges })
}

#[cfg(test)]
mod tests;
