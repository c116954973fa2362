//! `privet insights`, `privet funnel`, `privet retention`, `privet flows`: the analytics API from the command
//! line, on a data directory (offline, even while a server runs) or against a server (`--url`, `--key`).
//!
//! Flags build the same JSON request the HTTP API takes (`--request FILE` passes one verbatim, `-` for stdin);
//! answers print as tables, CSV, or the API's JSON (`--format json`).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use privet_analytics::{Analysis, Analytics, parse_request};
use privet_query::{Column, QueryResult};
use serde_json::{Map, Value, json};

use crate::output::{Format, render};

/// Where and how an analysis runs, and the options every analysis shares.
#[derive(Args)]
pub struct Shared {
    #[command(flatten)]
    target: super::AdminTarget,
    /// First day (YYYY-MM-DD, in --timezone) or instant (RFC 3339) [default: 29 days ago].
    #[arg(long)]
    from: Option<String>,
    /// Last day, inclusive, or an exclusive instant [default: today].
    #[arg(long)]
    to: Option<String>,
    /// IANA time zone for dates and buckets [default: UTC].
    #[arg(long)]
    timezone: Option<String>,
    /// A filter, repeatable: "country = DE", "plan in free,pro", "tokens > 100", "browser is set",
    /// "cohort power users".
    #[arg(long = "where", value_name = "FILTER")]
    filters: Vec<String>,
    /// Break down by this column or property (`cohort:NAME` splits by a saved cohort).
    #[arg(long = "by", value_name = "PROPERTY")]
    breakdown: Vec<String>,
    /// Keep this many breakdown values; the rest are `$other`.
    #[arg(long)]
    limit: Option<usize>,
    /// The whole request as JSON (a file, or `-` for standard input); flags given as well override its fields.
    #[arg(long, value_name = "FILE")]
    request: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Args)]
pub struct InsightsArgs {
    /// Events to count [default: any event].
    events: Vec<String>,
    /// total, unique, per_person, or with --property: sum, avg, min, max, median, p25, p75, p90, p95, p99.
    #[arg(long)]
    measure: Option<String>,
    /// The numeric property a sum/avg/percentile measures.
    #[arg(long)]
    property: Option<String>,
    /// hour, day, week, month or all.
    #[arg(long)]
    bucket: Option<String>,
    #[command(flatten)]
    shared: Shared,
}

#[derive(Args)]
pub struct FunnelArgs {
    /// The steps, in order (at least one).
    steps: Vec<String>,
    /// Conversion window: 30m, 12h, 7d, 2w, or seconds [default: 1d].
    #[arg(long)]
    window: Option<String>,
    /// Count organisations by this group key (e.g. org_id) instead of people.
    #[arg(long)]
    count_by: Option<String>,
    /// Properties every step must share with the first (repeatable).
    #[arg(long)]
    hold_constant: Vec<String>,
    #[command(flatten)]
    shared: Shared,
}

#[derive(Args)]
pub struct RetentionArgs {
    /// The event that puts a person in a cohort.
    #[arg(long)]
    birth: Option<String>,
    /// The event that counts as coming back [default: any event].
    #[arg(long = "return")]
    return_event: Option<String>,
    /// Every birth event starts a cohort membership, not just the first ever.
    #[arg(long)]
    recurring: bool,
    /// day, week or month [default: week].
    #[arg(long)]
    bucket: Option<String>,
    /// How many periods to follow [default: 8].
    #[arg(long)]
    periods: Option<usize>,
    #[command(flatten)]
    shared: Shared,
}

#[derive(Args)]
pub struct FlowsArgs {
    /// The event paths start from.
    event: Option<String>,
    /// Show what came before the event instead of after.
    #[arg(long)]
    before: bool,
    /// How many steps to follow [default: 3].
    #[arg(long)]
    steps: Option<usize>,
    #[command(flatten)]
    shared: Shared,
}

pub fn insights(args: InsightsArgs) -> anyhow::Result<()> {
    let mut body = Map::new();
    if !args.events.is_empty() {
        body.insert("events".into(), json!(args.events));
    }
    set(&mut body, "measure", args.measure);
    set(&mut body, "property", args.property);
    set(&mut body, "bucket", args.bucket);
    let shared = &args.shared;
    if !shared.breakdown.is_empty() {
        body.insert("breakdown".into(), json!(shared.breakdown));
    }
    run::<privet_analytics::insights::InsightsRequest>(
        shared,
        body,
        "/api/insights",
        insights_table,
    )
}

pub fn funnel(args: FunnelArgs) -> anyhow::Result<()> {
    let mut body = Map::new();
    if !args.steps.is_empty() {
        let steps: Vec<Value> = args.steps.iter().map(|e| json!({"event": e})).collect();
        body.insert("steps".into(), Value::Array(steps));
    }
    set(&mut body, "window", args.window);
    set(&mut body, "count_by", args.count_by);
    if !args.hold_constant.is_empty() {
        body.insert("hold_constant".into(), json!(args.hold_constant));
    }
    single_breakdown(&mut body, &args.shared)?;
    run::<privet_analytics::funnels::FunnelRequest>(
        &args.shared,
        body,
        "/api/funnels",
        funnel_table,
    )
}

pub fn retention(args: RetentionArgs) -> anyhow::Result<()> {
    let mut body = Map::new();
    set(&mut body, "birth_event", args.birth);
    set(&mut body, "return_event", args.return_event);
    if args.recurring {
        body.insert("mode".into(), json!("recurring"));
    }
    set(&mut body, "bucket", args.bucket);
    if let Some(periods) = args.periods {
        body.insert("periods".into(), json!(periods));
    }
    single_breakdown(&mut body, &args.shared)?;
    run::<privet_analytics::retention::RetentionRequest>(
        &args.shared,
        body,
        "/api/retention",
        retention_table,
    )
}

pub fn flows(args: FlowsArgs) -> anyhow::Result<()> {
    let mut body = Map::new();
    set(&mut body, "event", args.event);
    if args.before {
        body.insert("direction".into(), json!("before"));
    }
    if let Some(steps) = args.steps {
        body.insert("steps".into(), json!(steps));
    }
    if !args.shared.breakdown.is_empty() {
        anyhow::bail!("flows have no breakdown; use --where to narrow them");
    }
    run::<privet_analytics::flows::FlowRequest>(&args.shared, body, "/api/flows", flows_table)
}

fn set(body: &mut Map<String, Value>, name: &str, value: Option<String>) {
    if let Some(value) = value {
        body.insert(name.into(), Value::String(value));
    }
}

fn single_breakdown(body: &mut Map<String, Value>, shared: &Shared) -> anyhow::Result<()> {
    match shared.breakdown.as_slice() {
        [] => Ok(()),
        [one] => {
            body.insert("breakdown".into(), json!(one));
            Ok(())
        }
        _ => anyhow::bail!("this analysis takes one --by"),
    }
}

/// Builds the request, runs it here or on the server, and prints the answer.
fn run<R: Analysis>(
    shared: &Shared,
    flags: Map<String, Value>,
    path: &str,
    table: fn(&Value) -> QueryResult,
) -> anyhow::Result<()> {
    let mut body = match &shared.request {
        Some(file) => read_request(file)?,
        None => Map::new(),
    };
    body.extend(flags);
    set(&mut body, "from", shared.from.clone());
    set(&mut body, "to", shared.to.clone());
    set(&mut body, "timezone", shared.timezone.clone());
    if let Some(limit) = shared.limit {
        body.insert("limit".into(), json!(limit));
    }
    if !shared.filters.is_empty() {
        let filters = shared
            .filters
            .iter()
            .map(|f| parse_filter(f))
            .collect::<anyhow::Result<Vec<Value>>>()?;
        body.insert("filters".into(), Value::Array(filters));
    }
    let answer = match &shared.target.url {
        Some(url) => {
            if let Some(project) = &shared.target.project {
                body.insert("project".into(), json!(project));
            }
            let key = shared
                .target
                .key
                .as_deref()
                .context("--url needs --key (an analyst or admin key)")?;
            super::post_json(url, path, key, &Value::Object(body))?
        }
        None => offline::<R>(shared, &Value::Object(body))?,
    };
    let text = match shared.format {
        Format::Json => serde_json::to_string_pretty(&answer)?,
        format => render(&table(&answer), format)?,
    };
    println!("{text}");
    Ok(())
}

fn read_request(file: &PathBuf) -> anyhow::Result<Map<String, Value>> {
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => anyhow::bail!(
            "{} must hold a JSON object (the API request body)",
            file.display()
        ),
    }
}

/// Runs the analysis on the data directory's current snapshot.
fn offline<R: Analysis>(shared: &Shared, body: &Value) -> anyhow::Result<Value> {
    let request: R = parse_request(&serde_json::to_vec(body)?).map_err(with_field)?;
    let o = super::open_offline(&shared.target)?;
    let analytics = Analytics::open(&o.dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_micros() as i64;
    o.runtime.block_on(async {
        let ctx = o.engine.session(o.version.clone(), o.project)?;
        let scope = analytics.scope(ctx, o.project, now);
        let answer = request.run(&scope).await.map_err(with_field)?;
        Ok(serde_json::to_value(answer)?)
    })
}

fn with_field(error: privet_analytics::AnalyticsError) -> anyhow::Error {
    match error.field().filter(|f| !f.is_empty()) {
        Some(field) => anyhow::anyhow!("{error} (in `{field}`)"),
        None => anyhow::anyhow!("{error}"),
    }
}

/// Parses "PROPERTY OP [VALUE]" into an API filter object.
fn parse_filter(text: &str) -> anyhow::Result<Value> {
    let text = text.trim();
    if let Some(name) = text.strip_prefix("cohort ") {
        return Ok(json!({"cohort": name.trim()}));
    }
    if let Some(name) = text.strip_prefix("not cohort ") {
        return Ok(json!({"not_cohort": name.trim()}));
    }
    const OPS: [&str; 12] = [
        "is not set",
        "is set",
        "not contains",
        "contains",
        "not in",
        "in",
        "!=",
        ">=",
        "<=",
        "=",
        ">",
        "<",
    ];
    for op in OPS {
        let word = op.chars().all(|c| c.is_ascii_alphabetic() || c == ' ');
        let found = if word {
            text.find(&format!(" {op}"))
                .filter(|i| {
                    let rest = &text[i + 1 + op.len()..];
                    rest.is_empty() || rest.starts_with(' ')
                })
                .map(|i| (i, i + 1 + op.len()))
        } else {
            text.find(op).map(|i| (i, i + op.len()))
        };
        let Some((start, end)) = found else { continue };
        let property = text[..start].trim();
        let rest = text[end..].trim();
        if property.is_empty() {
            break;
        }
        let mut filter = json!({"property": property, "op": op});
        match op {
            "is set" | "is not set" => {}
            "in" | "not in" => {
                let items: Vec<Value> = rest.split(',').map(|v| scalar(v.trim())).collect();
                filter["value"] = Value::Array(items);
            }
            "contains" | "not contains" => filter["value"] = json!(rest),
            _ => filter["value"] = scalar(rest),
        }
        return Ok(filter);
    }
    anyhow::bail!(
        "cannot read the filter `{text}`; write it as PROPERTY OP VALUE, e.g. \"country = DE\", \"plan in free,pro\", \"tokens > 100\", \"browser is set\""
    )
}

/// A number when it reads as one, else text.
fn scalar(text: &str) -> Value {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => json!(n),
        _ => json!(text),
    }
}

fn columns(names: &[String]) -> Vec<Column> {
    names
        .iter()
        .map(|n| Column {
            name: n.clone(),
            data_type: String::new(),
        })
        .collect()
}

fn table(names: Vec<String>, rows: Vec<Vec<Value>>) -> QueryResult {
    QueryResult {
        columns: columns(&names),
        rows,
        truncated: false,
    }
}

/// The date (or date and hour) part of a bucket label.
fn short(label: &Value) -> Value {
    let text = label.as_str().unwrap_or_default();
    let trimmed = text
        .strip_suffix("T00:00:00+00:00")
        .or_else(|| text.get(..10).filter(|_| text.contains("T00:00:00")))
        .map(str::to_string)
        .unwrap_or_else(|| text.get(..16).unwrap_or(text).replace('T', " "));
    json!(trimmed)
}

fn percent(value: &Value) -> Value {
    value
        .as_f64()
        .map_or(Value::Null, |v| json!(format!("{:.1}%", v * 100.0)))
}

/// Seconds as "3d 4h", "2h 17m", "5m 3s" or "12s".
fn duration(seconds: &Value) -> Value {
    let Some(total) = seconds.as_f64() else {
        return Value::Null;
    };
    let s = total.round() as u64;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    json!(match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    })
}

/// Insights: one row per bucket, one column per series, and a total row.
fn insights_table(answer: &Value) -> QueryResult {
    let series = answer["series"].as_array().cloned().unwrap_or_default();
    let mut names = vec!["bucket".to_string()];
    for s in &series {
        let mut name = s["event"].as_str().unwrap_or_default().to_string();
        for value in s["breakdown"].as_array().into_iter().flatten() {
            name.push_str(" · ");
            name.push_str(value.as_str().unwrap_or("(not set)"));
        }
        names.push(name);
    }
    let mut rows: Vec<Vec<Value>> = answer["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, bucket)| {
            let mut row = vec![short(bucket)];
            row.extend(series.iter().map(|s| s["values"][i].clone()));
            row
        })
        .collect();
    let mut total = vec![json!("total")];
    total.extend(series.iter().map(|s| s["total"].clone()));
    rows.push(total);
    table(names, rows)
}

/// Funnels: one row per step (per breakdown value when broken down).
fn funnel_table(answer: &Value) -> QueryResult {
    let mut names: Vec<String> = Vec::new();
    let groups: Vec<(Value, Value)> = match answer["breakdown"].as_array() {
        Some(b) if !b.is_empty() => {
            names.push("value".into());
            b.iter()
                .map(|g| (g["value"].clone(), g["steps"].clone()))
                .collect()
        }
        _ => vec![(Value::Null, answer["steps"].clone())],
    };
    let breakdown = !names.is_empty();
    names.extend(
        [
            "step",
            "event",
            "count",
            "conversion",
            "from previous",
            "median time",
            "p90 time",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for (value, steps) in groups {
        for (i, step) in steps.as_array().into_iter().flatten().enumerate() {
            let mut row = Vec::new();
            if breakdown {
                row.push(if value.is_null() {
                    json!("(not set)")
                } else {
                    value.clone()
                });
            }
            row.extend([
                json!(i + 1),
                step["event"].clone(),
                step["count"].clone(),
                percent(&step["conversion"]),
                percent(&step["step_conversion"]),
                duration(&step["median_seconds"]),
                duration(&step["p90_seconds"]),
            ]);
            rows.push(row);
        }
    }
    table(names, rows)
}

/// Retention: the triangle, one row per cohort.
fn retention_table(answer: &Value) -> QueryResult {
    let cohorts = answer["cohorts"].as_array().cloned().unwrap_or_default();
    let periods = cohorts
        .first()
        .and_then(|c| c["retained"].as_array())
        .map_or(0, Vec::len);
    let mut names = vec!["cohort".to_string(), "size".to_string()];
    names.extend((0..periods).map(|p| format!("+{p}")));
    let rows =
        cohorts
            .iter()
            .map(|c| {
                let size = c["size"].as_u64().unwrap_or(0);
                let mut row = vec![short(&c["start"]), c["size"].clone()];
                row.extend(c["retained"].as_array().into_iter().flatten().map(
                    |v| match v.as_u64() {
                        Some(n) if size > 0 => {
                            json!(format!("{n} ({:.0}%)", n as f64 * 100.0 / size as f64))
                        }
                        Some(n) => json!(n),
                        None => Value::Null,
                    },
                ));
                row
            })
            .collect();
    table(names, rows)
}

/// Flows: one row per edge.
fn flows_table(answer: &Value) -> QueryResult {
    let rows = answer["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            vec![
                e["step"].clone(),
                e["from"].clone(),
                e["to"].clone(),
                e["count"].clone(),
            ]
        })
        .collect();
    table(
        ["step", "from", "to", "people"].map(String::from).to_vec(),
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_from_the_command_line() {
        let cases = [
            (
                "country = DE",
                json!({"property": "country", "op": "=", "value": "DE"}),
            ),
            (
                "tokens > 100",
                json!({"property": "tokens", "op": ">", "value": 100.0}),
            ),
            (
                "tokens>=5",
                json!({"property": "tokens", "op": ">=", "value": 5.0}),
            ),
            (
                "plan in free,pro",
                json!({"property": "plan", "op": "in", "value": ["free", "pro"]}),
            ),
            (
                "plan not in free",
                json!({"property": "plan", "op": "not in", "value": ["free"]}),
            ),
            (
                "browser is set",
                json!({"property": "browser", "op": "is set"}),
            ),
            (
                "browser is not set",
                json!({"property": "browser", "op": "is not set"}),
            ),
            (
                "url_path contains /keys",
                json!({"property": "url_path", "op": "contains", "value": "/keys"}),
            ),
            ("cohort power users", json!({"cohort": "power users"})),
            (
                "country != US",
                json!({"property": "country", "op": "!=", "value": "US"}),
            ),
            // An operator word inside a property name is not an operator.
            (
                "invited = 2",
                json!({"property": "invited", "op": "=", "value": 2.0}),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_filter(text).unwrap(), expected, "{text}");
        }
        assert!(parse_filter("country").is_err());
        assert_eq!(duration(&json!(15440.46)), json!("4h 17m"));
        assert_eq!(duration(&json!(329031.3)), json!("3d 19h"));
        assert_eq!(duration(&json!(0.2)), json!("0s"));
        assert!(parse_filter("= DE").is_err());
    }

    #[test]
    fn tables() {
        let answer = json!({
            "buckets": ["2026-10-01T00:00:00+00:00", "2026-10-02T00:00:00+00:00"],
            "series": [{"event": "A", "breakdown": ["DE"], "values": [1, 2], "total": 3}]
        });
        let t = insights_table(&answer);
        assert_eq!(t.columns[1].name, "A · DE");
        assert_eq!(t.rows[0], [json!("2026-10-01"), json!(1)]);
        assert_eq!(t.rows[2], [json!("total"), json!(3)]);
        let answer = json!({"cohorts": [{"start": "2026-10-01T00:00:00+00:00", "size": 4, "retained": [2, null]}]});
        let t = retention_table(&answer);
        assert_eq!(
            t.rows[0],
            [json!("2026-10-01"), json!(4), json!("2 (50%)"), Value::Null]
        );
    }
}
