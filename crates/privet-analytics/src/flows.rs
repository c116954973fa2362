//! Flows: what people do right after (or right before) an event, as a Sankey-ready list of nodes and edges.
//!
//! Each person's timeline ([`crate::timeline`]) is cut at their first occurrence of the anchor event in the range;
//! the next (previous) `steps` events form their path. Paths are counted once per distinct path, then folded
//! into per-step nodes (events beyond the top `limit` at a step become `$other`) and the edges between them.

use std::sync::Arc;

use datafusion::logical_expr::col;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::Scope;
use crate::error::{AnalyticsError, Result};
use crate::insights::OTHER;
use crate::property::{FilterSpec, Table, parse_filters};
use crate::scan::{Interner, fold, ints, opt, times};
use crate::time::Range;
use crate::timeline::{Row, for_each_actor};

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

/// Runs a flows query.
pub async fn run(scope: &Scope<'_>, request: &FlowRequest) -> Result<FlowResult> {
    let anchor = match request.event.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => {
            return Err(AnalyticsError::invalid(
                "event",
                "name the event to start from",
            ));
        }
    };
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
    let steps = request.steps.unwrap_or(3);
    if steps == 0 || steps > MAX_STEPS {
        return Err(AnalyticsError::invalid(
            "steps",
            format!("between 1 and {MAX_STEPS} steps"),
        ));
    }
    let limit = request.limit.unwrap_or(10);
    if limit == 0 {
        return Err(AnalyticsError::invalid(
            "limit",
            "the limit must be at least 1",
        ));
    }
    let range = Range::parse(
        request.from.as_deref(),
        request.to.as_deref(),
        request.timezone.as_deref(),
        scope.now_us,
    )?;
    let filters = parse_filters(&request.filters, Table::Events, "filters")?;
    let df = scope
        .events(Some(range.start), Some(range.end), &filters)
        .await?
        .select(vec![col("time"), col("person_id"), col("event")])?;
    let names = Arc::new(Interner::with(std::slice::from_ref(&anchor)));
    let n = names.clone();
    let mut parts = fold(df, Vec::<Row>::new, move |rows, batch| {
        let time = times(batch, 0);
        let person = ints(batch, 1);
        let event = n.codes(batch.column(2));
        for i in 0..batch.num_rows() {
            if let Some(actor) = opt(person, i) {
                rows.push(Row {
                    actor,
                    time: time[i],
                    code: event[i],
                    ..Default::default()
                });
            }
        }
        Ok(())
    })
    .await?;
    // Events at the same instant are ordered by name, so answers do not depend on scan order.
    let names = names.values();
    let mut by_name: Vec<usize> = (0..names.len()).collect();
    by_name.sort_by(|a, b| names[*a].cmp(&names[*b]));
    let mut rank = vec![0u32; names.len()];
    for (r, code) in by_name.into_iter().enumerate() {
        rank[code] = r as u32;
    }
    for part in &mut parts {
        for row in part.iter_mut() {
            row.order = rank[row.code as usize];
        }
    }

    const ANCHOR: u32 = 1;
    let states = for_each_actor(parts, HashMap::<Vec<u32>, u64>::new, |paths, rows| {
        let Some(at) = rows.iter().position(|r| r.code == ANCHOR) else {
            return;
        };
        let path: Vec<u32> = if after {
            rows[at + 1..].iter().take(steps).map(|r| r.code).collect()
        } else {
            rows[..at]
                .iter()
                .rev()
                .take(steps)
                .map(|r| r.code)
                .collect()
        };
        *paths.entry(path).or_default() += 1;
    });
    let mut paths: HashMap<Vec<u32>, u64> = HashMap::new();
    for state in states {
        for (path, count) in state {
            *paths.entry(path).or_default() += count;
        }
    }
    let people: u64 = paths.values().sum();
    if people == 0 {
        scope
            .ensure_events_exist(&[(anchor.as_str(), "event".to_string())])
            .await?;
    }

    // The top `limit` events at each step; the rest are `$other`.
    let name = |code: u32| names[code as usize].clone().unwrap_or_default();
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
