//! The `events` table: Parquet segments plus in-memory buffers of one project.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::config::TableParquetOptions;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::view::ViewTable;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Between, BinaryExpr, Expr, LogicalPlanBuilder, Operator, ScalarUDF,
    TableProviderFilterPushDown, col,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::union::UnionExec;
use futures::StreamExt;

use super::remap::RemapUdf;
use crate::meta::SegmentInfo;
use crate::schema::{PERSON_ID, TIME, file_schema, table_schema};
use crate::version::Version;

/// The `events` table of `project` as seen in `version`: the raw table, or a view over it that applies identity
/// remaps when the project has any.
pub fn events(version: Arc<Version>, project: i64) -> Result<Arc<dyn TableProvider>> {
    let remaps = version.remaps_of(project);
    let raw = Arc::new(EventsTable { version, project });
    if remaps.is_empty() {
        return Ok(raw);
    }
    let remap = ScalarUDF::new_from_impl(RemapUdf::new(remaps));
    let schema = table_schema();
    let columns: Vec<Expr> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if i == PERSON_ID {
                remap.call(vec![col(f.name())]).alias(f.name())
            } else {
                col(f.name())
            }
        })
        .collect();
    let source = datafusion::datasource::provider_as_source(raw);
    let plan = LogicalPlanBuilder::scan("events", source, None)?
        .project(columns)?
        .build()?;
    Ok(Arc::new(ViewTable::new(plan, None)))
}

/// Segments and buffers of one project, with person ids as stored.
#[derive(Debug)]
pub struct EventsTable {
    version: Arc<Version>,
    project: i64,
}

impl std::fmt::Debug for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Version")
            .field("segments", &self.segments.len())
            .field("flushing", &self.flushing.len())
            .finish()
    }
}

#[async_trait]
impl TableProvider for EventsTable {
    fn schema(&self) -> SchemaRef {
        table_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Without a projection, still leave out the hidden `_dedup` column.
        let projection: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..table_schema().fields().len()).collect(),
        };
        let partitions = state.config().target_partitions().max(1);
        let (low, high) = time_bounds(filters);
        let segments: Vec<&Arc<SegmentInfo>> = self
            .version
            .segments_of(self.project)
            .filter(|s| low.is_none_or(|l| s.max_time >= l) && high.is_none_or(|h| s.min_time <= h))
            .collect();

        let mut inputs: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        let (cached, segments) = self.cached(segments, &projection, partitions).await;
        if !cached.is_empty() {
            inputs.push(memory_exec(cached, &projection, partitions)?);
        }
        if !segments.is_empty() {
            let mut source =
                ParquetSource::new(file_schema()).with_table_parquet_options(TableParquetOptions {
                    global: state.config().options().execution.parquet.clone(),
                    ..Default::default()
                });
            if let Some(predicate) = conjunction(filters.to_vec()) {
                let df_schema = DFSchema::try_from(table_schema())?;
                if let Ok(physical) = state.create_physical_expr(predicate, &df_schema) {
                    source = source.with_predicate(physical);
                }
            }
            let mut groups: Vec<Vec<PartitionedFile>> =
                vec![Vec::new(); partitions.min(segments.len())];
            let mut sizes = vec![0u64; groups.len()];
            let mut ordered = segments.clone();
            ordered.sort_by_key(|s| std::cmp::Reverse(s.bytes));
            for segment in ordered {
                // Greedy: the next largest file goes to the least loaded partition.
                let target = (0..groups.len()).min_by_key(|i| sizes[*i]).unwrap_or(0);
                sizes[target] += segment.bytes;
                let path = self.version.segment_path(segment);
                groups[target].push(PartitionedFile::new(path.to_string_lossy(), segment.bytes));
            }
            let config =
                FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
                    .with_file_groups(groups.into_iter().map(FileGroup::new).collect())
                    .with_projection_indices(Some(projection.clone()))?
                    .with_limit(limit)
                    .build();
            inputs.push(DataSourceExec::from_data_source(config));
        }
        let batches = self.version.memtable_batches(self.project);
        if !batches.is_empty() || inputs.is_empty() {
            let batches = batches
                .iter()
                .map(|b| b.project(&projection))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            inputs.push(memory_exec(batches, &projection, partitions)?);
        }
        UnionExec::try_new(inputs)
    }
}

impl EventsTable {
    /// Splits `segments` into the record batches the column cache serves (decoding and caching what it does
    /// not hold yet, a few segments at a time) and the segments left to the Parquet reader.
    async fn cached<'a>(
        &self,
        segments: Vec<&'a Arc<SegmentInfo>>,
        projection: &[usize],
        partitions: usize,
    ) -> (Vec<RecordBatch>, Vec<&'a Arc<SegmentInfo>>) {
        let cache = &self.version.columns;
        if !cache.serves(projection) {
            return (Vec::new(), segments);
        }
        let jobs: Vec<(Arc<SegmentInfo>, std::path::PathBuf)> = segments
            .iter()
            .map(|s| (Arc::clone(s), self.version.segment_path(s)))
            .collect();
        let projection = Arc::new(projection.to_vec());
        let results: Vec<_> = futures::stream::iter(jobs)
            .map(move |(segment, path)| {
                let (cache, projection) = (cache.clone(), projection.clone());
                tokio::task::spawn_blocking(move || cache.batches(&path, &segment, &projection))
            })
            .buffered(partitions)
            .collect()
            .await;
        let mut batches = Vec::new();
        let mut rest = Vec::new();
        for (segment, result) in segments.into_iter().zip(results) {
            match result {
                Ok(Ok(decoded)) => batches.extend(decoded),
                Ok(Err(error)) => {
                    tracing::warn!(segment = segment.id, %error, "cannot cache a segment's columns; reading it from Parquet");
                    rest.push(segment);
                }
                Err(_) => rest.push(segment),
            }
        }
        (batches, rest)
    }
}

/// A scan of in-memory batches (already projected), spread over `partitions`.
fn memory_exec(
    batches: Vec<RecordBatch>,
    projection: &[usize],
    partitions: usize,
) -> Result<Arc<dyn ExecutionPlan>> {
    let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions.min(batches.len()).max(1)];
    let count = parts.len();
    for (i, batch) in batches.into_iter().enumerate() {
        parts[i % count].push(batch);
    }
    let schema = Arc::new(file_schema().project(projection)?);
    let exec: Arc<dyn ExecutionPlan> = MemorySourceConfig::try_new_exec(&parts, schema, None)?;
    Ok(exec)
}

/// The time range (inclusive, microseconds) the filters restrict `time` to, as far as simple comparisons tell.
fn time_bounds(filters: &[Expr]) -> (Option<i64>, Option<i64>) {
    let mut low: Option<i64> = None;
    let mut high: Option<i64> = None;
    let mut raise = |value: i64| low = Some(low.map_or(value, |l| l.max(value)));
    let mut lower = |value: i64| high = Some(high.map_or(value, |h| h.min(value)));
    for filter in filters {
        for expr in split_and(filter) {
            match expr {
                Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                    let (column_left, value) = match (is_time(left), is_time(right)) {
                        (true, false) => (true, literal_us(right)),
                        (false, true) => (false, literal_us(left)),
                        _ => continue,
                    };
                    let Some(value) = value else { continue };
                    let op = if column_left { *op } else { flip(*op) };
                    match op {
                        Operator::Gt | Operator::GtEq => raise(value),
                        Operator::Lt | Operator::LtEq => lower(value),
                        Operator::Eq => {
                            raise(value);
                            lower(value);
                        }
                        _ => {}
                    }
                }
                Expr::Between(Between {
                    expr,
                    negated: false,
                    low: l,
                    high: h,
                }) if is_time(expr) => {
                    if let Some(v) = literal_us(l) {
                        raise(v);
                    }
                    if let Some(v) = literal_us(h) {
                        lower(v);
                    }
                }
                _ => {}
            }
        }
    }
    (low, high)
}

fn split_and(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => {
            let mut parts = split_and(left);
            parts.extend(split_and(right));
            parts
        }
        other => vec![other],
    }
}

fn flip(op: Operator) -> Operator {
    match op {
        Operator::Gt => Operator::Lt,
        Operator::GtEq => Operator::LtEq,
        Operator::Lt => Operator::Gt,
        Operator::LtEq => Operator::GtEq,
        other => other,
    }
}

fn is_time(expr: &Expr) -> bool {
    matches!(expr, Expr::Column(c) if c.name == table_schema().field(TIME).name().as_str())
}

fn literal_us(expr: &Expr) -> Option<i64> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    match value {
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1_000)),
        ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1_000),
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1_000_000),
        _ => None,
    }
}
