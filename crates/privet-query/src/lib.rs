//! Privet's SQL engine.
//!
//! Every query runs in a fresh DataFusion session that sees exactly one project's tables (`events`, `people`,
//! `groups`, plus `information_schema` to discover them) as of one store snapshot. Sessions are read-only: DDL,
//! DML, `COPY`, and statements such as `SET` are refused before planning. A memory limit stops a runaway query
//! from taking the server down. The JSON functions of `datafusion-functions-json` (`json_get_str`,
//! `json_get_int`, the `->` and `->>` operators, …) read the `properties` columns.

pub mod result;

use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use privet_config::QueryConfig;
use privet_store::{Version, table};

pub use result::{Column, QueryResult};

/// Why a query failed. The message is DataFusion's (or ours), addressed to the person who wrote the SQL.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("only queries are allowed (SELECT, WITH, EXPLAIN, SHOW); {0}")]
    NotReadOnly(String),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "the query needs more memory than allowed ({0}); add filters, a LIMIT, or raise query.memory_limit_bytes"
    )]
    ResourcesExhausted(String),
}

/// Builds sessions and runs queries.
pub struct QueryEngine {
    config: QueryConfig,
    runtime: Arc<RuntimeEnv>,
}

impl QueryEngine {
    pub fn new(config: QueryConfig) -> Self {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(config.memory_limit_bytes)))
            .build_arc()
            .expect("a runtime environment without disk manager settings always builds");
        QueryEngine { config, runtime }
    }

    pub fn config(&self) -> &QueryConfig {
        &self.config
    }

    /// A session over `project`'s tables as of `version`.
    pub fn session(
        &self,
        version: Arc<Version>,
        project: i64,
    ) -> Result<SessionContext, QueryError> {
        let mut config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema("privet", "public");
        if self.config.target_partitions > 0 {
            config = config.with_target_partitions(self.config.target_partitions);
        }
        config.options_mut().execution.time_zone = Some("UTC".into());
        let parquet = &mut config.options_mut().execution.parquet;
        // Late materialisation: evaluate filters (`event IN (…)`, time ranges) while decoding, and decode the
        // other columns only for the rows that pass.
        parquet.pushdown_filters = self.config.parquet_pushdown;
        parquet.reorder_filters = self.config.parquet_pushdown;
        // The tables' text columns are `Utf8`; reading them as views only to cast them back costs a copy.
        parquet.schema_force_view_types = false;
        let mut ctx = SessionContext::new_with_config_rt(config, self.runtime.clone());
        let invalid = |e: datafusion::error::DataFusionError| QueryError::Invalid(e.to_string());
        // json_get_str(properties, 'plan'), properties->>'plan', … over the JSON `properties` columns.
        datafusion_functions_json::register_all(&mut ctx).map_err(invalid)?;
        ctx.register_table(
            "events",
            table::events(version.clone(), project).map_err(invalid)?,
        )
        .map_err(invalid)?;
        ctx.register_table(
            "people",
            table::people(version.clone(), project).map_err(invalid)?,
        )
        .map_err(invalid)?;
        ctx.register_table("groups", table::groups(version, project).map_err(invalid)?)
            .map_err(invalid)?;
        Ok(ctx)
    }

    /// Runs one read-only query and collects its result.
    pub async fn sql(
        &self,
        version: Arc<Version>,
        project: i64,
        sql: &str,
    ) -> Result<Vec<RecordBatch>, QueryError> {
        self.frame(version, project, sql)
            .await?
            .collect()
            .await
            .map_err(classify)
    }

    /// Runs one read-only query as a stream of batches, for results too large to hold (exports).
    pub async fn stream(
        &self,
        version: Arc<Version>,
        project: i64,
        sql: &str,
    ) -> Result<SendableRecordBatchStream, QueryError> {
        self.frame(version, project, sql)
            .await?
            .execute_stream()
            .await
            .map_err(classify)
    }

    /// Plans one query, refusing anything that is not read-only.
    async fn frame(
        &self,
        version: Arc<Version>,
        project: i64,
        sql: &str,
    ) -> Result<DataFrame, QueryError> {
        let ctx = self.session(version, project)?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        ctx.sql_with_options(sql, options).await.map_err(classify)
    }

    /// Runs a query and shapes the result for JSON, keeping at most `query.max_result_rows` rows.
    pub async fn sql_result(
        &self,
        version: Arc<Version>,
        project: i64,
        sql: &str,
    ) -> Result<QueryResult, QueryError> {
        let batches = self.sql(version, project, sql).await?;
        Ok(QueryResult::from_batches(
            &batches,
            self.config.max_result_rows,
        ))
    }
}

/// Sorts a DataFusion error into the kinds callers answer differently.
pub fn classify(error: datafusion::error::DataFusionError) -> QueryError {
    use datafusion::error::DataFusionError as E;
    let root = error.find_root();
    match root {
        E::ResourcesExhausted(message) => QueryError::ResourcesExhausted(message.clone()),
        E::Plan(message) if message.contains("not supported") && is_permission(message) => {
            QueryError::NotReadOnly(message.clone())
        }
        _ => {
            let text = error.to_string();
            if is_permission(&text) {
                QueryError::NotReadOnly(text)
            } else {
                QueryError::Invalid(text)
            }
        }
    }
}

fn is_permission(message: &str) -> bool {
    [
        "DDL not supported",
        "DML not supported",
        "Statement not supported",
    ]
    .iter()
    .any(|m| message.contains(m))
}

#[cfg(test)]
mod tests;
