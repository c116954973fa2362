//! Retention: of the actors "born" in each calendar bucket (their first, or every, birth event), how many come
//! back with a return event in each following bucket — the classic triangle.
//!
//! Like funnels, it is one pass over per-actor timelines ([`crate::timeline`]): the birth fixes the cohort, and each
//! later return marks the period it falls in. Cells whose bucket lies after the range's last bucket are unknown
//! (`null`), not zero.

use std::sync::Arc;

use datafusion::logical_expr::{Expr, col, lit, when};
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::Scope;
use crate::error::{AnalyticsError, Result};
use crate::insights::OTHER;
use crate::property::{FilterSpec, Table, parse_filters};
use crate::scan::{Interner, fold, ints, opt, times};
use crate::time::{Range, Unit, label};
use crate::timeline::{Row, for_each_actor};

const BIRTH: u32 = 1;
const RETURN: u32 = 2;
const MAX_PERIODS: usize = 400;

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

/// Runs a retention query.
pub async fn run(scope: &Scope<'_>, request: &RetentionRequest) -> Result<RetentionResult> {
    let birth = match request.birth_event.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => {
            return Err(AnalyticsError::invalid(
                "birth_event",
                "name the birth event",
            ));
        }
    };
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
    let periods = request.periods.unwrap_or(8);
    if periods == 0 || periods > MAX_PERIODS {
        return Err(AnalyticsError::invalid(
            "periods",
            format!("between 1 and {MAX_PERIODS} periods"),
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
    let buckets = range.buckets(unit);
    let filters = parse_filters(&request.filters, Table::Events, "filters")?;
    let birth_filters = parse_filters(&request.birth_filters, Table::Events, "birth_filters")?;
    let return_filters = parse_filters(&request.return_filters, Table::Events, "return_filters")?;

    // First-time births need the actor's history before the range, to know the birth is their first.
    let lower = (!first_time).then_some(range.start);
    let mut df = scope.events(lower, Some(range.end), &filters).await?;
    if let Some(event) = &return_event {
        df =
            df.filter(col("event").in_list(vec![lit(birth.as_str()), lit(event.as_str())], false))?;
    }
    if first_time {
        // Returns only matter inside the range; births before it only to rule actors out.
        df = df.filter(
            col("time")
                .gt_eq(crate::time_lit(range.start))
                .or(col("event").eq(lit(birth.as_str()))),
        )?;
    }
    let mut is_birth = col("event").eq(lit(birth.as_str()));
    for expr in scope.filter_exprs(&birth_filters).await? {
        is_birth = is_birth.and(expr);
    }
    let mut is_return = match &return_event {
        Some(event) => col("event").eq(lit(event.as_str())),
        None => lit(true),
    };
    for expr in scope.filter_exprs(&return_filters).await? {
        is_return = is_return.and(expr);
    }
    let code: Expr = when(is_birth, lit(BIRTH as i64)).otherwise(lit(0i64))?
        + when(is_return, lit(RETURN as i64)).otherwise(lit(0i64))?;
    let actor = match request.count_by.as_deref() {
        None | Some("person") | Some("person_id") => col("person_id"),
        Some(key) => crate::property::Property::parse(key, Table::Events, "count_by")?.id(),
    };
    let breakdown = match &request.breakdown {
        Some(name) => scope.breakdown_expr(name, "breakdown").await?,
        None => lit(datafusion::common::ScalarValue::Utf8(None)),
    };
    let df = df.select(vec![
        col("time"),
        actor.alias("actor"),
        code.alias("code"),
        breakdown.alias("key"),
    ])?;
    let keys = Arc::new(Interner::default());
    let k = keys.clone();
    let parts = fold(df, Vec::<Row>::new, move |rows, batch| {
        let time = times(batch, 0);
        let actor = ints(batch, 1);
        let code = ints(batch, 2);
        let key = k.codes(batch.column(3));
        for i in 0..batch.num_rows() {
            let (Some(actor), Some(code)) = (opt(actor, i), opt(code, i)) else {
                continue;
            };
            if code == 0 {
                continue;
            }
            rows.push(Row {
                actor,
                time: time[i],
                order: 0,
                code: code as u32,
                key: key[i],
                extra: 0,
            });
        }
        Ok(())
    })
    .await?;

    let n_buckets = buckets.len();
    let start = range.start;
    let bucket_of = |t: i64| buckets.index(t);
    let states = for_each_actor(parts, HashMap::<u32, Triangle>::new, |triangles, rows| {
        // (cohort bucket, birth time, breakdown key) of each membership.
        let mut memberships: Vec<(usize, i64, u32)> = Vec::new();
        for row in rows {
            if row.code & BIRTH != 0 {
                if first_time {
                    if memberships.is_empty() && row.time >= start {
                        if let Some(c) = bucket_of(row.time) {
                            memberships.push((c, row.time, row.key));
                        }
                    }
                    if memberships.is_empty() {
                        // The first birth was before the range: not a first-time member.
                        return;
                    }
                } else if let Some(c) = bucket_of(row.time)
                    && memberships.iter().all(|m| m.0 != c)
                {
                    memberships.push((c, row.time, row.key));
                }
            }
        }
        if memberships.is_empty() {
            return;
        }
        let mut returned: Vec<Vec<bool>> = vec![vec![false; periods]; memberships.len()];
        for row in rows.iter().filter(|r| r.code & RETURN != 0) {
            let Some(b) = bucket_of(row.time) else {
                continue;
            };
            for (m, (c, born, _)) in memberships.iter().enumerate() {
                if row.time > *born && b >= *c && b - c < periods {
                    returned[m][b - c] = true;
                }
            }
        }
        for (m, (c, _, key)) in memberships.iter().enumerate() {
            let triangle = triangles
                .entry(*key)
                .or_insert_with(|| Triangle::new(n_buckets, periods));
            triangle.size[*c] += 1;
            for (n, hit) in returned[m].iter().enumerate() {
                if *hit {
                    triangle.retained[*c][n] += 1;
                }
            }
        }
    });
    let mut triangles: HashMap<u32, Triangle> = HashMap::new();
    for state in states {
        for (key, triangle) in state {
            triangles
                .entry(key)
                .or_insert_with(|| Triangle::new(n_buckets, periods))
                .merge(&triangle);
        }
    }
    let labels: Vec<String> = buckets.starts.iter().map(|s| label(*s, range.tz)).collect();
    let mut overall = Triangle::new(n_buckets, periods);
    for triangle in triangles.values() {
        overall.merge(triangle);
    }
    if overall.total() == 0 {
        let mut names = vec![(birth.as_str(), "birth_event".to_string())];
        if let Some(event) = &return_event {
            names.push((event.as_str(), "return_event".to_string()));
        }
        scope.ensure_events_exist(&names).await?;
    }
    let mut breakdown = Vec::new();
    if request.breakdown.is_some() {
        let values = keys.values();
        let text = |code: u32| values.get(code as usize).cloned().flatten();
        let mut ranked: Vec<(u32, Triangle)> = triangles.into_iter().collect();
        ranked.sort_by(|(a, ta), (b, tb)| {
            tb.total()
                .cmp(&ta.total())
                .then_with(|| text(*a).cmp(&text(*b)))
        });
        let mut other: Option<Triangle> = None;
        for (i, (key, triangle)) in ranked.into_iter().enumerate() {
            if i < limit {
                breakdown.push(RetentionBreakdown {
                    value: text(key),
                    cohorts: triangle.rows(&labels),
                });
            } else {
                other
                    .get_or_insert_with(|| Triangle::new(n_buckets, periods))
                    .merge(&triangle);
            }
        }
        if let Some(other) = other {
            breakdown.push(RetentionBreakdown {
                value: Some(OTHER.to_string()),
                cohorts: other.rows(&labels),
            });
        }
    }
    Ok(RetentionResult {
        cohorts: overall.rows(&labels),
        breakdown,
    })
}

#[cfg(test)]
mod tests;
