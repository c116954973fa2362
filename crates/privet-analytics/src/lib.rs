//! Privet's product analytics: the questions product teams ask, answered over pseudonymous events.
//!
//! * [`insights`] — segmentation: counts, unique people, per-person averages and property aggregates per time
//!   bucket, with filters and up to two breakdowns;
//! * [`funnels`] — ordered steps within a conversion window (ClickHouse `windowFunnel` semantics), with
//!   exclusions, held-constant properties, breakdowns and per-organisation counting;
//! * [`retention`] — birth/return cohorts, first-time or recurring, as the classic triangle;
//! * [`flows`] — the most common paths after (or before) an event;
//! * [`cohorts`] — saved behavioural or property cohorts, usable as filters and breakdowns;
//! * [`profiles`] — one person's or one organisation's pseudonymous profile and activity.
//!
//! Each analysis scans with DataFusion ([`scan`]) and then runs a purpose-built operator over the columns: the
//! segments are sorted by (person, time), so per-person timelines need no shuffle. Requests are JSON (serde);
//! malformed ones are refused with the JSON path of the field at fault ([`AnalyticsError::Invalid`]).

pub mod actors;
pub mod cohorts;
pub mod error;
pub mod flows;
pub mod funnels;
pub mod insights;
pub mod profiles;
pub mod property;
pub mod request;
pub mod retention;
pub mod scan;
pub mod time;
pub mod timeline;

use std::path::Path;

use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, col, lit, when};
use datafusion::prelude::SessionContext;

pub use cohorts::CohortStore;
pub use error::{AnalyticsError, Result, parse_request};
use property::{Filter, Property, Table};

/// A JSON analysis request: the four query endpoints share one shape of handling.
pub trait Analysis: serde::de::DeserializeOwned + Send + Sync {
    type Output: serde::Serialize + Send;
    /// The project named in the body, for admin keys that cover several.
    fn project(&self) -> Option<&str>;
    /// Runs the analysis.
    fn run<'a>(
        &'a self,
        scope: &'a Scope<'a>,
    ) -> impl std::future::Future<Output = Result<Self::Output>> + Send + 'a;
}

macro_rules! analysis {
    ($request:ty, $output:ty, $run:path) => {
        impl Analysis for $request {
            type Output = $output;
            fn project(&self) -> Option<&str> {
                self.project.as_deref()
            }
            fn run<'a>(
                &'a self,
                scope: &'a Scope<'a>,
            ) -> impl std::future::Future<Output = Result<Self::Output>> + Send + 'a {
                $run(scope, self)
            }
        }
    };
}

analysis!(
    insights::InsightsRequest,
    insights::InsightsResult,
    insights::run
);
analysis!(funnels::FunnelRequest, funnels::FunnelResult, funnels::run);
analysis!(
    retention::RetentionRequest,
    retention::RetentionResult,
    retention::run
);
analysis!(flows::FlowRequest, flows::FlowResult, flows::run);

/// The analytics service: saved cohorts plus the entry point for queries.
pub struct Analytics {
    cohorts: CohortStore,
}

impl Analytics {
    /// Opens (creating if needed) the analytics database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Analytics> {
        Ok(Analytics {
            cohorts: CohortStore::open(&data_dir.join("analytics.sqlite"))?,
        })
    }

    pub fn cohorts(&self) -> &CohortStore {
        &self.cohorts
    }

    /// A scope for queries over one project's session (see `privet_query::QueryEngine::session`).
    pub fn scope(&self, ctx: SessionContext, project: i64, now_us: i64) -> Scope<'_> {
        Scope {
            ctx,
            project,
            now_us,
            cohorts: &self.cohorts,
        }
    }
}

/// Everything one query needs: the project's session, the time "now" is, and the saved cohorts.
pub struct Scope<'a> {
    pub ctx: SessionContext,
    pub project: i64,
    pub now_us: i64,
    pub cohorts: &'a CohortStore,
}

/// A UTC timestamp literal comparable with the `time` column.
pub fn time_lit(us: i64) -> Expr {
    lit(ScalarValue::TimestampMicrosecond(
        Some(us),
        Some("UTC".into()),
    ))
}

impl Scope<'_> {
    /// The events in `[start, end)` (either bound optional) that pass `filters`.
    pub async fn events(
        &self,
        start: Option<i64>,
        end: Option<i64>,
        filters: &[Filter],
    ) -> Result<DataFrame> {
        let mut df = self.ctx.table("events").await?;
        if let Some(start) = start {
            df = df.filter(col("time").gt_eq(time_lit(start)))?;
        }
        if let Some(end) = end {
            df = df.filter(col("time").lt(time_lit(end)))?;
        }
        for expr in self.filter_exprs(filters).await? {
            df = df.filter(expr)?;
        }
        Ok(df)
    }

    /// Filters as expressions, with cohort filters resolved to their members.
    pub async fn filter_exprs(&self, filters: &[Filter]) -> Result<Vec<Expr>> {
        let mut exprs = Vec::with_capacity(filters.len());
        for filter in filters {
            exprs.push(match filter {
                Filter::Expr(expr) => expr.clone(),
                Filter::Cohort(cohort) => {
                    let members = self.cohort_members(&cohort.name, &cohort.field).await?;
                    let inside = member_expr(members, cohort.negated);
                    if cohort.negated {
                        datafusion::prelude::or(inside, col("person_id").is_null())
                    } else {
                        inside
                    }
                }
            });
        }
        Ok(exprs)
    }

    /// A breakdown property as a text expression: a property, or `cohort:NAME` (`in` / `not in`).
    pub async fn breakdown_expr(&self, name: &str, field: &str) -> Result<Expr> {
        if let Some(cohort) = name.strip_prefix("cohort:") {
            let members = self.cohort_members(cohort.trim(), field).await?;
            return Ok(when(member_expr(members, false), lit("in")).otherwise(lit("not in"))?);
        }
        Ok(Property::parse(name, Table::Events, field)?.text())
    }

    /// The people in a saved cohort, as of now.
    pub async fn cohort_members(&self, name: &str, field: &str) -> Result<Vec<i64>> {
        let definition = self.cohorts.get(self.project, name)?.ok_or_else(|| {
            AnalyticsError::invalid(
                field,
                format!("no saved cohort named `{name}`; GET /api/cohorts lists them"),
            )
        })?;
        cohorts::members(self, &definition).await
    }

    /// Refuses event names that never occur in the project (only asked when an analysis found none of them).
    pub async fn ensure_events_exist(&self, names: &[(&str, String)]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let list: Vec<Expr> = names.iter().map(|(n, _)| lit(*n)).collect();
        let found = self
            .ctx
            .table("events")
            .await?
            .filter(col("event").in_list(list, false))?
            .aggregate(vec![col("event")], vec![])?
            .collect()
            .await?;
        let mut seen = std::collections::HashSet::new();
        for batch in &found {
            let column = scan::as_text(batch.column(0));
            for value in column.iter().flatten() {
                seen.insert(value.to_string());
            }
        }
        for (name, field) in names {
            if !seen.contains(*name) {
                return Err(AnalyticsError::invalid(
                    field.clone(),
                    format!("no event named `{name}` was ever received in this project"),
                ));
            }
        }
        Ok(())
    }
}

fn member_expr(members: Vec<i64>, negated: bool) -> Expr {
    if members.is_empty() {
        return lit(negated);
    }
    col("person_id").in_list(members.into_iter().map(lit).collect(), negated)
}

#[cfg(test)]
mod testing;
