//! Saved cohorts: named groups of people defined by behaviour ("did `Made API call` at least 10 times in the
//! last 30 days") and/or by profile properties, evaluated when a query uses them (as a filter
//! `{"cohort": NAME}` or a breakdown `cohort:NAME`).
//!
//! Definitions live in `DATA_DIR/analytics.sqlite`; members are never stored, so a cohort always reflects the
//! current data (and an erased person simply stops matching).

use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{col, lit};
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};
use crate::property::{Filter, FilterSpec, Table, parse_filters};
use crate::{Scope, time_lit};

/// "Did `event` at least `at_least` times in the last `in_last_days` days."
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    pub event: String,
    #[serde(default = "one")]
    pub at_least: u64,
    #[serde(default = "thirty")]
    pub in_last_days: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<FilterSpecSer>,
}

fn one() -> u64 {
    1
}

fn thirty() -> u32 {
    30
}

/// A filter as saved (the same shape as in requests).
pub type FilterSpecSer = serde_json::Value;

/// A cohort definition: behaviour, profile properties, or both (people must match both).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<Behaviour>,
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<FilterSpecSer>,
}

impl Cohort {
    /// Checks the definition, naming the field at fault.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(AnalyticsError::invalid(
                "name",
                "a cohort needs a name of 1 to 200 characters",
            ));
        }
        if self.did.is_none() && self.people.is_empty() {
            return Err(AnalyticsError::invalid(
                "did",
                "define the cohort by behaviour (`did`) or by people properties (`where`)",
            ));
        }
        if let Some(did) = &self.did {
            if did.event.trim().is_empty() {
                return Err(AnalyticsError::invalid("did.event", "name an event"));
            }
            if did.in_last_days == 0 {
                return Err(AnalyticsError::invalid(
                    "did.in_last_days",
                    "must be at least 1 day",
                ));
            }
            behaviour_filters(did)?;
        }
        people_filters(&self.people)?;
        Ok(())
    }
}

fn specs(values: &[serde_json::Value], field: &str) -> Result<Vec<FilterSpec>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value(v.clone())
                .map_err(|e| AnalyticsError::invalid(format!("{field}[{i}]"), e.to_string()))
        })
        .collect()
}

fn behaviour_filters(did: &Behaviour) -> Result<Vec<Filter>> {
    let filters = parse_filters(
        &specs(&did.filters, "did.filters")?,
        Table::Events,
        "did.filters",
    )?;
    if filters.iter().any(|f| matches!(f, Filter::Cohort(_))) {
        return Err(AnalyticsError::invalid(
            "did.filters",
            "a cohort cannot be defined through another cohort",
        ));
    }
    Ok(filters)
}

fn people_filters(values: &[serde_json::Value]) -> Result<Vec<Filter>> {
    let filters = parse_filters(&specs(values, "where")?, Table::People, "where")?;
    if filters.iter().any(|f| matches!(f, Filter::Cohort(_))) {
        return Err(AnalyticsError::invalid(
            "where",
            "a cohort cannot be defined through another cohort",
        ));
    }
    Ok(filters)
}

/// The saved-cohort database.
pub struct CohortStore {
    db: Mutex<Connection>,
}

impl CohortStore {
    pub fn open(path: &Path) -> Result<CohortStore> {
        let db = Connection::open(path)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS cohorts (
                 project INTEGER NOT NULL,
                 name TEXT NOT NULL,
                 definition TEXT NOT NULL,
                 updated_at INTEGER NOT NULL,
                 PRIMARY KEY (project, name)
             );",
        )?;
        Ok(CohortStore { db: Mutex::new(db) })
    }

    /// Saves (or replaces) a cohort.
    pub fn save(&self, project: i64, cohort: &Cohort, now_us: i64) -> Result<()> {
        cohort.validate()?;
        let definition = serde_json::to_string(cohort).expect("cohorts serialise");
        self.db.lock().execute(
            "INSERT INTO cohorts (project, name, definition, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (project, name) DO UPDATE SET definition = ?3, updated_at = ?4",
            params![project, cohort.name.trim(), definition, now_us],
        )?;
        Ok(())
    }

    pub fn get(&self, project: i64, name: &str) -> Result<Option<Cohort>> {
        let text: Option<String> = self
            .db
            .lock()
            .query_row(
                "SELECT definition FROM cohorts WHERE project = ?1 AND name = ?2",
                params![project, name],
                |row| row.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    pub fn list(&self, project: i64) -> Result<Vec<Cohort>> {
        let db = self.db.lock();
        let mut statement =
            db.prepare("SELECT definition FROM cohorts WHERE project = ?1 ORDER BY name")?;
        let rows = statement.query_map(params![project], |row| row.get::<_, String>(0))?;
        let mut cohorts = Vec::new();
        for row in rows {
            if let Ok(cohort) = serde_json::from_str(&row?) {
                cohorts.push(cohort);
            }
        }
        Ok(cohorts)
    }

    /// Deletes a cohort; false when there was none.
    pub fn delete(&self, project: i64, name: &str) -> Result<bool> {
        let n = self.db.lock().execute(
            "DELETE FROM cohorts WHERE project = ?1 AND name = ?2",
            params![project, name],
        )?;
        Ok(n > 0)
    }
}

/// The people who match a cohort now, sorted.
pub async fn members(scope: &Scope<'_>, cohort: &Cohort) -> Result<Vec<i64>> {
    let mut sets: Vec<Vec<i64>> = Vec::new();
    if let Some(did) = &cohort.did {
        let since = scope.now_us - did.in_last_days as i64 * 86_400_000_000;
        let mut df = scope
            .ctx
            .table("events")
            .await?
            .filter(col("time").gt_eq(time_lit(since)))?
            .filter(col("event").eq(lit(did.event.as_str())))?
            .filter(col("person_id").is_not_null())?;
        for expr in plain(behaviour_filters(did)?) {
            df = df.filter(expr)?;
        }
        let df = df
            .aggregate(vec![col("person_id")], vec![count(lit(1)).alias("n")])?
            .filter(col("n").gt_eq(lit(did.at_least as i64)))?
            .select(vec![col("person_id")])?;
        sets.push(collect_ids(df).await?);
    }
    if !cohort.people.is_empty() {
        let mut df = scope.ctx.table("people").await?;
        for expr in plain(people_filters(&cohort.people)?) {
            df = df.filter(expr)?;
        }
        sets.push(collect_ids(df.select(vec![col("person_id")])?).await?);
    }
    let mut result = sets.pop().unwrap_or_default();
    for other in sets {
        result.retain(|p| other.binary_search(p).is_ok());
    }
    Ok(result)
}

/// Filters of a definition, which never refer to other cohorts (checked by `validate`).
fn plain(filters: Vec<Filter>) -> Vec<datafusion::logical_expr::Expr> {
    filters
        .into_iter()
        .filter_map(|f| match f {
            Filter::Expr(expr) => Some(expr),
            Filter::Cohort(_) => None,
        })
        .collect()
}

async fn collect_ids(df: datafusion::dataframe::DataFrame) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    for batch in df.collect().await? {
        let column = arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Int64)?;
        ids.extend(column.as_primitive::<Int64Type>().iter().flatten());
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::insights::{InsightsRequest, run as insights};
    use crate::testing::{Fixture, ev};

    fn cohort(value: serde_json::Value) -> Cohort {
        serde_json::from_value(value).unwrap()
    }

    #[tokio::test]
    async fn behavioural_and_property_cohorts_filter_and_break_down() {
        let f = Fixture::with_people(
            &[
                // Person 1: three calls in the last 30 days. Person 2: one. Person 3: three, but long ago.
                ev(1, "Made API call", "2026-11-20T10:00:00Z"),
                ev(1, "Made API call", "2026-11-21T10:00:00Z"),
                ev(1, "Made API call", "2026-11-22T10:00:00Z"),
                ev(2, "Made API call", "2026-11-22T10:00:00Z"),
                ev(3, "Made API call", "2026-08-01T10:00:00Z"),
                ev(3, "Made API call", "2026-08-02T10:00:00Z"),
                ev(3, "Made API call", "2026-08-03T10:00:00Z"),
            ],
            &[
                (1, json!({"plan": "pro"})),
                (2, json!({"plan": "pro"})),
                (3, json!({"plan": "free"})),
            ],
        )
        .await;
        let store = &f.analytics.cohorts;
        let now = 0;
        store
            .save(
                1,
                &cohort(json!({"name": "power", "did": {"event": "Made API call", "at_least": 3}})),
                now,
            )
            .unwrap();
        store
            .save(
                1,
                &cohort(json!({"name": "pro", "where": [{"property": "plan", "op": "=", "value": "pro"}]})),
                now,
            )
            .unwrap();
        store
            .save(
                1,
                &cohort(
                    json!({"name": "pro power", "did": {"event": "Made API call", "at_least": 3},
                               "where": [{"property": "plan", "value": "pro"}]}),
                ),
                now,
            )
            .unwrap();
        let names: Vec<String> = store.list(1).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["power", "pro", "pro power"]);
        assert!(store.list(2).unwrap().is_empty());

        let scope = f.scope();
        let of = |name: &'static str| {
            let scope = &scope;
            async move { scope.cohort_members(name, "cohort").await.unwrap() }
        };
        assert_eq!(of("power").await, [1]);
        assert_eq!(of("pro").await, [1, 2]);
        assert_eq!(of("pro power").await, [1]);

        let request = |value: serde_json::Value| -> InsightsRequest {
            let mut base = json!({"from": "2026-08-01", "to": "2026-11-23", "bucket": "all"});
            base.as_object_mut()
                .unwrap()
                .extend(value.as_object().unwrap().clone());
            serde_json::from_value(base).unwrap()
        };
        let r = insights(&scope, &request(json!({"filters": [{"cohort": "power"}]})))
            .await
            .unwrap();
        assert_eq!(r.series[0].total, json!(3));
        let r = insights(
            &scope,
            &request(json!({"filters": [{"not_cohort": "power"}]})),
        )
        .await
        .unwrap();
        assert_eq!(r.series[0].total, json!(4));
        let r = insights(
            &scope,
            &request(json!({"breakdown": "cohort:pro", "measure": "unique"})),
        )
        .await
        .unwrap();
        let rows: Vec<(Option<String>, serde_json::Value)> = r
            .series
            .iter()
            .map(|s| (s.breakdown[0].clone(), s.total.clone()))
            .collect();
        assert_eq!(
            rows,
            [
                (Some("in".into()), json!(2)),
                (Some("not in".into()), json!(1))
            ]
        );

        assert!(store.delete(1, "power").unwrap());
        assert!(!store.delete(1, "power").unwrap());
        let error = scope
            .cohort_members("power", "filters[0].cohort")
            .await
            .unwrap_err();
        assert_eq!(error.field(), Some("filters[0].cohort"));
    }

    #[test]
    fn bad_definitions_name_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let store = CohortStore::open(&dir.path().join("a.sqlite")).unwrap();
        for (value, field) in [
            (json!({"name": ""}), "name"),
            (json!({"name": "x"}), "did"),
            (json!({"name": "x", "did": {"event": ""}}), "did.event"),
            (
                json!({"name": "x", "did": {"event": "A", "in_last_days": 0}}),
                "did.in_last_days",
            ),
            (
                json!({"name": "x", "did": {"event": "A", "filters": [{"cohort": "y"}]}}),
                "did.filters",
            ),
            (
                json!({"name": "x", "where": [{"property": "plan", "op": "≈", "value": 1}]}),
                "where[0].op",
            ),
        ] {
            let error = store.save(1, &cohort(value.clone()), 0).unwrap_err();
            assert_eq!(error.field(), Some(field), "{value}");
        }
    }
}
