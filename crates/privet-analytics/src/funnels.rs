//! Funnels: how many actors (people, or organisations) go through ordered steps within a conversion window.
//!
//! The operator is ClickHouse's `windowFunnel` done per actor over a sorted timeline ([`crate::timeline`]): for
//! each event, in time order, the steps it matches are tried from the last to the first; step 1 starts a chain,
//! step k+1 extends the chain that reached step k if it is still inside the window. Keeping, per level, the most
//! recent chain maximises the time left, so one pass finds the longest chain: O(events × steps), no joins, no
//! window functions (PostHog moved its funnels off SQL window functions for exactly that reason).
//!
//! A second, short pass picks the chain reported for the actor: the earliest step-1 event that reaches the actor's
//! level, with each later step the earliest match. Its step times (time to convert), breakdown value and
//! exclusion events are the actor's.

use std::sync::Arc;

use datafusion::logical_expr::{Expr, col, lit, when};
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Scope;
use crate::actors::{ActorIndex, runs};
use crate::error::{AnalyticsError, Result};
use crate::insights::quantile;
use crate::property::{Filter, FilterSpec, Property, Table, parse_filters};
use crate::request::{self, event_name};
use crate::scan::{Interner, fold, ints, opt, times};
use crate::time::{Range, parse_window};
use crate::timeline::{Row, for_each_actor};

const MAX_STEPS: usize = 16;
const MAX_EXCLUSIONS: usize = 8;

/// `POST /api/funnels`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelRequest {
    #[serde(default)]
    pub steps: Vec<StepSpec>,
    pub window: Option<Value>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub timezone: Option<String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    pub breakdown: Option<String>,
    pub limit: Option<usize>,
    #[serde(default)]
    pub exclusions: Vec<ExclusionSpec>,
    #[serde(default)]
    pub hold_constant: Vec<String>,
    pub count_by: Option<String>,
    pub project: Option<String>,
}

/// One step: an event, optionally narrowed by filters.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    pub event: Option<String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
}

/// An event that disqualifies an actor when it happens between two steps (numbered from 1).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionSpec {
    pub event: Option<String>,
    pub from_step: Option<usize>,
    pub to_step: Option<usize>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
}

/// The answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FunnelResult {
    pub steps: Vec<StepResult>,
    pub breakdown: Vec<BreakdownResult>,
}

/// One step's figures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StepResult {
    pub event: String,
    pub count: u64,
    pub conversion: f64,
    pub step_conversion: f64,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

/// The funnel of one breakdown value.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BreakdownResult {
    pub value: Option<String>,
    pub steps: Vec<StepResult>,
}

/// A parsed, checked funnel.
struct Plan {
    steps: Vec<(String, Vec<Filter>)>,
    exclusions: Vec<(String, Vec<Filter>, usize, usize)>,
    window: i64,
    range: Range,
    filters: Vec<Filter>,
    breakdown: Option<String>,
    limit: usize,
    hold: Vec<Property>,
    actor: Expr,
}

fn plan(scope: &Scope<'_>, request: &FunnelRequest) -> Result<Plan> {
    if request.steps.is_empty() {
        return Err(AnalyticsError::invalid(
            "steps",
            "a funnel needs at least one step",
        ));
    }
    if request.steps.len() > MAX_STEPS {
        return Err(AnalyticsError::invalid(
            "steps",
            format!("at most {MAX_STEPS} steps"),
        ));
    }
    let steps = request
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let event = event_name(step.event.as_deref(), &format!("steps[{i}].event"))?;
            let filters =
                parse_filters(&step.filters, Table::Events, &format!("steps[{i}].filters"))?;
            Ok((event, filters))
        })
        .collect::<Result<Vec<_>>>()?;
    if request.exclusions.len() > MAX_EXCLUSIONS {
        return Err(AnalyticsError::invalid(
            "exclusions",
            format!("at most {MAX_EXCLUSIONS} exclusions"),
        ));
    }
    let exclusions = request
        .exclusions
        .iter()
        .enumerate()
        .map(|(i, ex)| {
            let field = |name: &str| format!("exclusions[{i}].{name}");
            let event = event_name(ex.event.as_deref(), &field("event"))?;
            let from = ex.from_step.unwrap_or(1);
            let to = ex.to_step.unwrap_or(steps.len());
            if from < 1 || from > steps.len() {
                return Err(AnalyticsError::invalid(
                    field("from_step"),
                    format!("a step number from 1 to {}", steps.len()),
                ));
            }
            if to <= from || to > steps.len() {
                return Err(AnalyticsError::invalid(
                    field("to_step"),
                    format!("a step number after from_step, at most {}", steps.len()),
                ));
            }
            let filters = parse_filters(&ex.filters, Table::Events, &field("filters"))?;
            Ok((event, filters, from, to))
        })
        .collect::<Result<Vec<_>>>()?;
    let window = parse_window(
        request
            .window
            .as_ref()
            .unwrap_or(&Value::String("1d".into())),
        "window",
    )?;
    let range = scope.range(&request.from, &request.to, &request.timezone)?;
    let limit = request::limit(request.limit)?;
    let hold = request
        .hold_constant
        .iter()
        .enumerate()
        .map(|(i, name)| Property::parse(name, Table::Events, &format!("hold_constant[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    let actor = request::actor(request.count_by.as_deref())?;
    Ok(Plan {
        steps,
        exclusions,
        window,
        range,
        filters: parse_filters(&request.filters, Table::Events, "filters")?,
        breakdown: request.breakdown.clone(),
        limit,
        hold,
        actor,
    })
}

/// The chain reported for an actor: its step times and the breakdown value of its first step.
#[derive(Clone, Copy, Debug)]
struct Chain {
    times: [i64; MAX_STEPS],
    key: u32,
}

/// Per breakdown value: how many actors reached each level, and their times to convert.
#[derive(Clone, Default)]
struct Tally {
    reached: Vec<u64>,
    durations: Vec<Vec<f64>>,
}

impl Tally {
    fn new(steps: usize) -> Tally {
        Tally {
            reached: vec![0; steps],
            durations: vec![Vec::new(); steps],
        }
    }

    fn merge(&mut self, other: Tally) {
        for (a, b) in self.reached.iter_mut().zip(other.reached) {
            *a += b;
        }
        for (a, b) in self.durations.iter_mut().zip(other.durations) {
            a.extend(b);
        }
    }
}

/// Runs a funnel query.
pub async fn run(scope: &Scope<'_>, request: &FunnelRequest) -> Result<FunnelResult> {
    let plan = plan(scope, request)?;
    let n = plan.steps.len();
    let mut df = scope
        .events(
            Some(plan.range.start),
            Some(plan.range.end.saturating_add(plan.window)),
            &plan.filters,
        )
        .await?;
    // One bit per step (0..16) and per exclusion (16..24) that the event matches. Without step or exclusion
    // filters the bits depend on the event name alone, and the fold looks them up per dictionary value
    // (`EventMasks`) and skips rows without bits, instead of DataFusion evaluating an IN list and one CASE per
    // step on every row and copying the rows that pass.
    let by_name = plan.steps.iter().all(|(_, f)| f.is_empty())
        && plan.exclusions.iter().all(|(_, f, ..)| f.is_empty());
    if !by_name {
        let mut names: Vec<Expr> = plan.steps.iter().map(|(e, _)| lit(e.as_str())).collect();
        names.extend(plan.exclusions.iter().map(|(e, ..)| lit(e.as_str())));
        df = df.filter(col("event").in_list(names, false))?;
    }
    let event_masks = Arc::new(EventMasks::new(
        plan.steps
            .iter()
            .enumerate()
            .map(|(i, (e, _))| (e.clone(), 1u32 << i))
            .chain(
                plan.exclusions
                    .iter()
                    .enumerate()
                    .map(|(i, (e, ..))| (e.clone(), 1u32 << (MAX_STEPS + i))),
            ),
    ));
    let mut mask: Option<Expr> = by_name.then(|| col("event"));
    let conditions = plan
        .steps
        .iter()
        .map(|(e, f)| (e, f, 0))
        .chain(plan.exclusions.iter().map(|(e, f, ..)| (e, f, MAX_STEPS)));
    for (i, (event, filters, offset)) in conditions.enumerate().filter(|_| !by_name) {
        let bit = if offset == 0 { i } else { i - n + MAX_STEPS };
        let mut condition = col("event").eq(lit(event.as_str()));
        for expr in scope.filter_exprs(filters).await? {
            condition = condition.and(expr);
        }
        let term = when(condition, lit(1i64 << bit)).otherwise(lit(0i64))?;
        mask = Some(match mask {
            None => term,
            Some(m) => m + term,
        });
    }
    let actor = plan.actor.clone();
    let breakdown = request::breakdown(scope, plan.breakdown.as_deref()).await?;
    let holding = !plan.hold.is_empty();
    let hold = if !holding {
        lit(datafusion::common::ScalarValue::Int64(None))
    } else {
        let parts: Vec<Expr> = plan
            .hold
            .iter()
            .map(|p| datafusion::functions::expr_fn::coalesce(vec![p.text(), lit("\u{0}")]))
            .collect();
        datafusion::functions::string::expr_fn::concat_ws(lit("\u{1f}"), parts)
    };
    let df = df.select(vec![
        col("time"),
        actor.clone().alias("actor"),
        mask.expect("at least one step").alias("mask"),
        breakdown.alias("key"),
        hold.alias("hold"),
    ])?;

    // Only actors who enter the funnel in the range matter, and only from their first entry on: most rows of a
    // frequent later step (`Made API call`) belong to people who signed up long before, and never need sorting.
    let entrants = first_entries(scope, &plan, actor.clone()).await?;
    let firsts: Vec<i64> = entrants.iter().map(|e| e.1).collect();
    let entrants = Arc::new((
        ActorIndex::from_sorted(entrants.into_iter().map(|e| e.0).collect()),
        firsts,
    ));
    let actors = entrants.0.len();

    let keys = Arc::new(Interner::default());
    let holds = Arc::new(Interner::default());
    let (k, h, e, m) = (
        keys.clone(),
        holds.clone(),
        entrants.clone(),
        event_masks.clone(),
    );
    let parts = fold(
        df,
        <(Vec<Row>, usize)>::default,
        move |(rows, cursor), batch| {
            let (index, firsts) = &*e;
            let time = times(batch, 0);
            let masks: Vec<u32> = if by_name {
                m.of(batch.column(2))
            } else {
                let mask = ints(batch, 2);
                (0..batch.num_rows())
                    .map(|i| opt(mask, i).unwrap_or(0) as u32)
                    .collect()
            };
            let key = k.codes(batch.column(3));
            // Without held properties the column is all NULL: code 0 for every row, no lookups.
            let hold = if holding {
                h.codes(batch.column(4))
            } else {
                vec![0; batch.num_rows()]
            };
            for (actor, run) in runs(ints(batch, 1)) {
                let Some(number) = index.find(actor, cursor) else {
                    continue;
                };
                let first = firsts[number];
                for i in run {
                    let mask = masks[i];
                    if mask == 0 || time[i] < first {
                        continue;
                    }
                    rows.push(Row {
                        actor: number as u32,
                        time: time[i],
                        // Same-time events count in step order (the timeline orders them by lowest bit),
                        // exclusions after steps.
                        code: mask,
                        key: key[i],
                        extra: hold[i],
                    });
                }
            }
            Ok(())
        },
    )
    .await?;
    let parts: Vec<Vec<Row>> = parts.into_iter().map(|p| p.0).collect();

    let window = plan.window;
    let (start, end) = (plan.range.start, plan.range.end);
    let exclusions: Vec<(u32, usize, usize)> = plan
        .exclusions
        .iter()
        .enumerate()
        .map(|(i, (_, _, from, to))| (1u32 << (MAX_STEPS + i), *from, *to))
        .collect();
    let states = for_each_actor(
        parts,
        actors,
        HashMap::<u32, Tally>::new,
        |tallies, rows| {
            if let Some((level, chain)) = walk(rows, n, window, start, end, &exclusions, holding) {
                let tally = tallies.entry(chain.key).or_insert_with(|| Tally::new(n));
                for step in 0..level {
                    tally.reached[step] += 1;
                    if step > 0 {
                        tally.durations[step]
                            .push((chain.times[step] - chain.times[0]) as f64 / 1e6);
                    }
                }
            }
        },
    );
    let mut tallies: HashMap<u32, Tally> = HashMap::new();
    for state in states {
        for (key, tally) in state {
            match tallies.get_mut(&key) {
                Some(existing) => existing.merge(tally),
                None => {
                    tallies.insert(key, tally);
                }
            }
        }
    }

    let step_names: Vec<String> = plan.steps.iter().map(|(e, _)| e.clone()).collect();
    // Without a breakdown there is one tally, which is the overall one; with one, the overall tally is their sum.
    let mut overall = Tally::new(n);
    if plan.breakdown.is_none() {
        for tally in tallies.drain().map(|(_, t)| t) {
            overall.merge(tally);
        }
    } else {
        for tally in tallies.values() {
            overall.merge(tally.clone());
        }
    }
    // A step nobody reached may name an event that never existed (a typo): say so rather than answer 0.
    let unreached: Vec<(&str, String)> = step_names
        .iter()
        .enumerate()
        .filter(|(i, _)| overall.reached[*i] == 0)
        .map(|(i, name)| (name.as_str(), format!("steps[{i}].event")))
        .collect();
    scope.ensure_events_exist(&unreached).await?;
    let breakdown = request::top_n(
        tallies,
        &keys.values(),
        plan.limit,
        |t| t.reached[0],
        Tally::merge,
    )
    .into_iter()
    .map(|(value, tally)| BreakdownResult {
        value,
        steps: figures(&step_names, tally),
    })
    .collect();
    Ok(FunnelResult {
        steps: figures(&step_names, overall),
        breakdown,
    })
}

/// Each actor's first step-1 event in the range, sorted by actor: one pass over the range's rows, which come
/// in runs of one person (the first matching row of a run is its earliest but for buffered rows, so the minimum
/// is taken), instead of a hash aggregation.
async fn first_entries(scope: &Scope<'_>, plan: &Plan, actor: Expr) -> Result<Vec<(i64, i64)>> {
    let (step, step_filters) = &plan.steps[0];
    let mut df = scope
        .events(Some(plan.range.start), Some(plan.range.end), &plan.filters)
        .await?;
    if !step_filters.is_empty() {
        df = df.filter(col("event").eq(lit(step.as_str())))?;
        for expr in scope.filter_exprs(step_filters).await? {
            df = df.filter(expr)?;
        }
    }
    let df = df.select(vec![col("time"), actor.alias("actor"), col("event")])?;
    let step = EventMasks::new(std::iter::once((step.clone(), 1)));
    let parts = fold(df, Vec::<(i64, i64)>::new, move |firsts, batch| {
        let time = times(batch, 0);
        let hit = step.of(batch.column(2));
        for (actor, run) in runs(ints(batch, 1)) {
            if let Some(first) = run.filter(|i| hit[*i] != 0).map(|i| time[i]).min() {
                firsts.push((actor, first));
            }
        }
        Ok(())
    })
    .await?;
    let mut firsts: Vec<(i64, i64)> = parts.concat();
    firsts.sort_unstable();
    firsts.dedup_by_key(|f| f.0);
    Ok(firsts)
}

/// The step and exclusion bits of event names, looked up once per dictionary value of a batch.
struct EventMasks {
    bits: HashMap<String, u32>,
}

impl EventMasks {
    fn new(names: impl Iterator<Item = (String, u32)>) -> EventMasks {
        let mut bits: HashMap<String, u32> = HashMap::new();
        for (name, bit) in names {
            *bits.entry(name).or_default() |= bit;
        }
        EventMasks { bits }
    }

    fn bits(&self, name: Option<&str>) -> u32 {
        name.and_then(|n| self.bits.get(n)).copied().unwrap_or(0)
    }

    /// The bits of every row of an `event` column.
    fn of(&self, events: &arrow::array::ArrayRef) -> Vec<u32> {
        if let Some(bits) = crate::scan::per_dictionary_value(events, |v| self.bits(v)) {
            return bits;
        }
        crate::scan::as_text(events)
            .iter()
            .map(|v| self.bits(v))
            .collect()
    }
}

/// One actor's funnel: its level (steps reached) and the chain reported for it.
///
/// The level is found in one pass, `windowFunnel`-style: per level, the most recent chain reaching it (the one
/// with the most time left). The reported chain is then the earliest step-1 event that reaches that level, each
/// later step being the earliest matching event after the previous one; its breakdown value, step times and
/// exclusions are the actor's. Adding a step to a funnel therefore never changes the earlier steps' times.
fn walk(
    rows: &[Row],
    n: usize,
    window: i64,
    start: i64,
    end: i64,
    exclusions: &[(u32, usize, usize)],
    holding: bool,
) -> Option<(usize, Chain)> {
    let starts = |row: &Row| row.code & 1 != 0 && row.time >= start && row.time < end;
    // Pass 1: the level. `levels[k]` is (step-1 time, held value) of the latest chain that reached step k+1.
    let mut levels: [Option<(i64, u32)>; MAX_STEPS] = [None; MAX_STEPS];
    let mut level = 0;
    for row in rows {
        for step in (0..n).rev() {
            if row.code & (1 << step) == 0 {
                continue;
            }
            let reached = if step == 0 {
                if !starts(row) {
                    continue;
                }
                (row.time, row.extra)
            } else {
                let Some((first, hold)) = levels[step - 1] else {
                    continue;
                };
                if row.time > first + window || (holding && row.extra != hold) {
                    continue;
                }
                (first, hold)
            };
            levels[step] = Some(reached);
            level = level.max(step + 1);
        }
    }
    if level == 0 {
        return None;
    }
    // Pass 2: the earliest start reaching that level, walked greedily.
    for (i, first) in rows.iter().enumerate().filter(|(_, r)| starts(r)) {
        let mut times = [0; MAX_STEPS];
        times[0] = first.time;
        let mut reached = 1;
        for row in &rows[i + 1..] {
            if reached == level || row.time > first.time + window {
                break;
            }
            if row.code & (1 << reached) != 0 && (!holding || row.extra == first.extra) {
                times[reached] = row.time;
                reached += 1;
            }
        }
        if reached < level {
            continue;
        }
        let chain = Chain {
            times,
            key: first.key,
        };
        // An exclusion event strictly between the chain's `from` and `to` steps (up to the end of the window
        // when it stopped before `to`) leaves the actor out of the funnel.
        let excluded = exclusions.iter().any(|&(bit, from, to)| {
            from <= level && {
                let after = times[from - 1];
                let before = if to <= level {
                    times[to - 1]
                } else {
                    first.time + window + 1
                };
                rows.iter()
                    .any(|r| r.code & bit != 0 && r.time > after && r.time < before)
            }
        });
        return (!excluded).then_some((level, chain));
    }
    None
}

fn figures(names: &[String], mut tally: Tally) -> Vec<StepResult> {
    let first = tally.reached.first().copied().unwrap_or(0);
    let mut previous = first;
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let count = tally.reached[i];
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let durations = &mut tally.durations[i];
        let (median, p90) = if i == 0 || durations.is_empty() {
            (None, None)
        } else {
            // Milliseconds are precision enough for a time to convert, and print the same everywhere.
            let ms = |v: f64| (v * 1000.0).round() / 1000.0;
            (
                Some(ms(quantile(durations, 0.5))),
                Some(ms(quantile(durations, 0.9))),
            )
        };
        out.push(StepResult {
            event: name.clone(),
            count,
            conversion: if i == 0 {
                ratio(count, count)
            } else {
                ratio(count, first)
            },
            step_conversion: if i == 0 {
                ratio(count, count)
            } else {
                ratio(count, previous)
            },
            median_seconds: median,
            p90_seconds: p90,
        });
        previous = count;
    }
    out
}

#[cfg(test)]
mod tests;
