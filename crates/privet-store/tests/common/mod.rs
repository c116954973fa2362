//! Helpers shared by the store's integration tests.

use std::sync::Arc;

use datafusion::prelude::SessionContext;
use privet_store::{Version, table};

/// Runs `sql` over `project`'s `events`, `people` and `groups`; one comma-separated line per row.
pub async fn query(version: Arc<Version>, project: i64, sql: &str) -> Vec<String> {
    let ctx = SessionContext::new();
    ctx.register_table("events", table::events(version.clone(), project).unwrap())
        .unwrap();
    ctx.register_table("people", table::people(version.clone(), project).unwrap())
        .unwrap();
    ctx.register_table("groups", table::groups(version, project).unwrap())
        .unwrap();
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let text = arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    text.lines()
        .skip(3)
        .filter(|l| !l.starts_with('+'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}
