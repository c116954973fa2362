//! Insights (segmentation): how often, by how many people, or how much, per time bucket, broken down by up to
//! two properties with a top-N and `$other`.
//!
//! One scan projects `time`, `event`, `person_id`, the breakdown values and the measured property; each partition
//! folds its rows into per-(bucket, event, breakdown) accumulators keyed by interned codes. Unique counts keep
//! person ids (consecutive repeats dropped on the way in: segments are sorted by person) and are deduplicated once
//! at the end, so "unique people" over a whole range is exact, never a sum of daily uniques.

use arrow::array::RecordBatch;
use datafusion::logical_expr::{Expr, col, lit};
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Scope;
use crate::error::{AnalyticsError, Result};
use crate::property::{FilterSpec, Property, Table, parse_filters};
use crate::request::{self, event_name};
use crate::scan::{Interner, floats, fold, ints, opt, times};
use crate::time::{Unit, label};

/// The series name when no event is named.
pub const ANY_EVENT: &str = "$any";
pub use crate::request::OTHER;
const OTHER_CODE: u32 = u32::MAX;

/// `POST /api/insights`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightsRequest {
    #[serde(default)]
    pub events: Vec<String>,
    pub measure: Option<String>,
    pub property: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub timezone: Option<String>,
    pub bucket: Option<String>,
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    #[serde(default)]
    pub breakdown: Breakdown,
    pub limit: Option<usize>,
    /// The project, for admin keys that cover several (read by the server).
    pub project: Option<String>,
}

/// One breakdown property or a list of them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(untagged)]
pub enum Breakdown {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Breakdown {
    pub fn names(&self) -> Vec<String> {
        match self {
            Breakdown::None => Vec::new(),
            Breakdown::One(name) => vec![name.clone()],
            Breakdown::Many(names) => names.clone(),
        }
    }
}

/// What is measured.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    Total,
    Unique,
    PerPerson,
    Sum,
    Avg,
    Min,
    Max,
    Quantile(f64),
}

impl Measure {
    pub fn parse(text: &str) -> Result<Measure> {
        Ok(match text {
            "total" => Measure::Total,
            "unique" => Measure::Unique,
            "per_person" => Measure::PerPerson,
            "sum" => Measure::Sum,
            "avg" => Measure::Avg,
            "min" => Measure::Min,
            "max" => Measure::Max,
            "median" => Measure::Quantile(0.5),
            "p25" => Measure::Quantile(0.25),
            "p75" => Measure::Quantile(0.75),
            "p90" => Measure::Quantile(0.9),
            "p95" => Measure::Quantile(0.95),
            "p99" => Measure::Quantile(0.99),
            other => {
                return Err(AnalyticsError::invalid(
                    "measure",
                    format!(
                        "unknown measure `{other}`; use total, unique, per_person, or with a `property`: sum, avg, min, max, median, p25, p75, p90, p95, p99"
                    ),
                ));
            }
        })
    }

    fn needs_property(&self) -> bool {
        !matches!(self, Measure::Total | Measure::Unique | Measure::PerPerson)
    }

    fn needs_people(&self) -> bool {
        matches!(self, Measure::Unique | Measure::PerPerson)
    }
}

/// The answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InsightsResult {
    pub buckets: Vec<String>,
    pub series: Vec<Series>,
}

/// One line of the chart.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Series {
    pub event: String,
    pub breakdown: Vec<Option<String>>,
    pub values: Vec<Value>,
    pub total: Value,
}

/// Everything accumulated for one (bucket, event, breakdown) cell.
#[derive(Clone, Debug, Default)]
struct Acc {
    count: u64,
    people: Vec<i64>,
    values: Vec<f64>,
    sum: f64,
    n: u64,
    min: f64,
    max: f64,
}

impl Acc {
    fn merge(&mut self, other: Acc) {
        self.count += other.count;
        self.people.extend(other.people);
        self.values.extend(other.values);
        if other.n > 0 {
            self.min = if self.n == 0 {
                other.min
            } else {
                self.min.min(other.min)
            };
            self.max = if self.n == 0 {
                other.max
            } else {
                self.max.max(other.max)
            };
        }
        self.sum += other.sum;
        self.n += other.n;
    }

    fn value(&mut self, measure: &Measure) -> Value {
        let unique = |people: &mut Vec<i64>| {
            people.sort_unstable();
            people.dedup();
            people.len() as u64
        };
        match measure {
            Measure::Total => self.count.into(),
            Measure::Unique => unique(&mut self.people).into(),
            Measure::PerPerson => {
                let people = unique(&mut self.people);
                if people == 0 {
                    Value::Null
                } else {
                    float(self.count as f64 / people as f64)
                }
            }
            Measure::Sum => float(self.sum),
            Measure::Avg if self.n > 0 => float(self.sum / self.n as f64),
            Measure::Min if self.n > 0 => float(self.min),
            Measure::Max if self.n > 0 => float(self.max),
            Measure::Quantile(q) if !self.values.is_empty() => {
                float(quantile(&mut self.values, *q))
            }
            _ => Value::Null,
        }
    }
}

fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// A sort key for breakdown values that puts missing values after present ones.
fn nulls_last(values: &[Option<String>]) -> Vec<(bool, Option<&str>)> {
    values.iter().map(|v| (v.is_none(), v.as_deref())).collect()
}

/// The interpolated quantile (DuckDB's `quantile_cont`, ClickHouse's `quantileExact` interpolated).
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    let position = q * (values.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    values[low] + (values[high] - values[low]) * (position - low as f64)
}

type Key = (u32, u32, u32, u32);

/// One partition's accumulators. Consecutive rows usually share their cell (segments are per day and sorted by
/// person), so the last cell is remembered and the hash map is consulted only when the key changes.
#[derive(Default)]
struct Cells {
    index: HashMap<Key, usize>,
    accs: Vec<(Key, Acc)>,
    last: Option<(Key, usize)>,
}

impl Cells {
    #[inline]
    fn get(&mut self, key: Key) -> &mut Acc {
        let slot = match self.last {
            Some((last, slot)) if last == key => slot,
            _ => {
                let next = self.accs.len();
                let slot = *self.index.entry(key).or_insert(next);
                if slot == next {
                    self.accs.push((key, Acc::default()));
                }
                self.last = Some((key, slot));
                slot
            }
        };
        &mut self.accs[slot].1
    }
}

/// Runs an insights query.
pub async fn run(scope: &Scope<'_>, request: &InsightsRequest) -> Result<InsightsResult> {
    let measure = Measure::parse(request.measure.as_deref().unwrap_or("total"))?;
    let property = match (&request.property, measure.needs_property()) {
        (Some(name), true) => Some(Property::parse(name, Table::Events, "property")?),
        (None, true) => {
            return Err(AnalyticsError::invalid(
                "property",
                "this measure needs a numeric `property`",
            ));
        }
        (_, false) => None,
    };
    let range = scope.range(&request.from, &request.to, &request.timezone)?;
    let unit = Unit::parse(request.bucket.as_deref().unwrap_or("day"), "bucket")?;
    let buckets = range.buckets(unit);
    let breakdowns = request.breakdown.names();
    if breakdowns.len() > 2 {
        return Err(AnalyticsError::invalid(
            "breakdown",
            "at most two breakdown properties",
        ));
    }
    let limit = request::limit(request.limit)?;
    for (i, event) in request.events.iter().enumerate() {
        event_name(Some(event), &format!("events[{i}]"))?;
    }
    let filters = parse_filters(&request.filters, Table::Events, "filters")?;

    let mut df = scope
        .events(Some(range.start), Some(range.end), &filters)
        .await?;
    if !request.events.is_empty() {
        let list: Vec<Expr> = request.events.iter().map(|e| lit(e.as_str())).collect();
        df = df.filter(col("event").in_list(list, false))?;
    }
    // Only the columns this question needs: every extra column is decoded for every row.
    let any_event = request.events.is_empty();
    let keep_people = measure.needs_people();
    let mut columns = vec![col("time")];
    if !any_event {
        columns.push(col("event"));
    }
    if keep_people {
        columns.push(col("person_id"));
    }
    let first_breakdown = columns.len();
    for (i, name) in breakdowns.iter().enumerate() {
        let field = if matches!(request.breakdown, Breakdown::One(_)) {
            "breakdown".to_string()
        } else {
            format!("breakdown[{i}]")
        };
        columns.push(
            scope
                .breakdown_expr(name, &field)
                .await?
                .alias(format!("b{i}")),
        );
    }
    if let Some(property) = &property {
        columns.push(property.number().alias("value"));
    }
    let df = df.select(columns)?;

    let events = std::sync::Arc::new(Interner::with(&request.events));
    let values = std::sync::Arc::new(Interner::default());
    let n_breakdowns = breakdowns.len();
    let has_value = property.is_some();
    let keep_values = matches!(measure, Measure::Quantile(_));
    let bucket_index = buckets.clone();
    let (events_ref, values_ref) = (events.clone(), values.clone());
    let states = fold(df, Cells::default, move |state, batch: &RecordBatch| {
        let time = times(batch, 0);
        let event_codes = if any_event {
            vec![0; batch.num_rows()]
        } else {
            events_ref.codes(batch.column(1))
        };
        let person = keep_people.then(|| ints(batch, first_breakdown - 1));
        let b: Vec<Vec<u32>> = (0..n_breakdowns)
            .map(|i| values_ref.codes(batch.column(first_breakdown + i)))
            .collect();
        let value = has_value.then(|| floats(batch, first_breakdown + n_breakdowns));
        for row in 0..batch.num_rows() {
            let Some(bucket) = bucket_index.index(time[row]) else {
                continue;
            };
            let key = (
                bucket as u32,
                event_codes[row],
                b.first().map_or(0, |c| c[row]),
                b.get(1).map_or(0, |c| c[row]),
            );
            let acc = state.get(key);
            acc.count += 1;
            if let Some(p) = person.and_then(|person| opt(person, row))
                && acc.people.last() != Some(&p)
            {
                acc.people.push(p);
            }
            if let Some(v) = value.and_then(|v| opt(v, row)) {
                if acc.n == 0 {
                    acc.min = v;
                    acc.max = v;
                } else {
                    acc.min = acc.min.min(v);
                    acc.max = acc.max.max(v);
                }
                acc.sum += v;
                acc.n += 1;
                if keep_values {
                    acc.values.push(v);
                }
            }
        }
        Ok(())
    })
    .await?;
    let mut cells: HashMap<Key, Acc> = HashMap::new();
    for state in states {
        for (key, acc) in state.accs {
            match cells.get_mut(&key) {
                Some(existing) => existing.merge(acc),
                None => {
                    cells.insert(key, acc);
                }
            }
        }
    }

    // The top `limit` breakdown combinations by event count; the rest become `$other`.
    let names = values.values();
    let text = |code: u32| -> Option<String> {
        if code == OTHER_CODE {
            Some(OTHER.to_string())
        } else {
            names.get(code as usize).cloned().flatten()
        }
    };
    // Breakdown values are ranked by the measure over the whole range (people counted once for `unique`).
    let mut combos: HashMap<(u32, u32), Acc> = HashMap::new();
    if n_breakdowns > 0 {
        for ((_, _, b0, b1), acc) in &cells {
            combos.entry((*b0, *b1)).or_default().merge(acc.clone());
        }
    }
    let mut ranked: Vec<((u32, u32), f64)> = combos
        .into_iter()
        .map(|(combo, mut acc)| {
            let value = acc.value(&measure).as_f64().unwrap_or(f64::NEG_INFINITY);
            (combo, value)
        })
        .collect();
    ranked.sort_by(|(a, va), (b, vb)| {
        vb.total_cmp(va)
            .then_with(|| (text(a.0), text(a.1)).cmp(&(text(b.0), text(b.1))))
    });
    let kept: hashbrown::HashSet<(u32, u32)> =
        ranked.iter().take(limit).map(|(combo, _)| *combo).collect();

    let n = buckets.len();
    let mut series: HashMap<(u32, u32, u32), (Vec<Acc>, Acc)> = HashMap::new();
    for ((bucket, event, b0, b1), acc) in cells {
        let (b0, b1) = if n_breakdowns == 0 || kept.contains(&(b0, b1)) {
            (b0, b1)
        } else {
            (OTHER_CODE, if n_breakdowns > 1 { OTHER_CODE } else { 0 })
        };
        let entry = series
            .entry((event, b0, b1))
            .or_insert_with(|| (vec![Acc::default(); n], Acc::default()));
        entry.1.merge(acc.clone());
        entry.0[bucket as usize].merge(acc);
    }

    let event_names = events.values();
    let mut out: Vec<(Series, f64, bool)> = Vec::with_capacity(series.len());
    for ((event, b0, b1), (mut per_bucket, mut total)) in series {
        let name = if any_event {
            ANY_EVENT.to_string()
        } else {
            event_names[event as usize].clone().unwrap_or_default()
        };
        let breakdown: Vec<Option<String>> =
            [b0, b1].into_iter().take(n_breakdowns).map(text).collect();
        let total_value = total.value(&measure);
        let rank = total_value.as_f64().unwrap_or(f64::NEG_INFINITY);
        let is_other = b0 == OTHER_CODE;
        out.push((
            Series {
                event: name,
                breakdown,
                values: per_bucket.iter_mut().map(|a| a.value(&measure)).collect(),
                total: total_value,
            },
            rank,
            is_other,
        ));
    }
    out.sort_by(|a, b| {
        a.2.cmp(&b.2)
            .then_with(|| b.1.total_cmp(&a.1))
            .then_with(|| a.0.event.cmp(&b.0.event))
            .then_with(|| nulls_last(&a.0.breakdown).cmp(&nulls_last(&b.0.breakdown)))
    });

    if !any_event {
        let seen: hashbrown::HashSet<&str> = out.iter().map(|s| s.0.event.as_str()).collect();
        let missing: Vec<(&str, String)> = request
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| !seen.contains(e.as_str()))
            .map(|(i, e)| (e.as_str(), format!("events[{i}]")))
            .collect();
        scope.ensure_events_exist(&missing).await?;
    }
    Ok(InsightsResult {
        buckets: buckets.starts.iter().map(|s| label(*s, range.tz)).collect(),
        series: out.into_iter().map(|s| s.0).collect(),
    })
}

#[cfg(test)]
mod tests;
