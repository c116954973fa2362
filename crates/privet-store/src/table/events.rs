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
use datafusion::physical_plan::filter::FilterExecBuilder;
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

    /// Bounds on `time` are exact: the scan applies them itself, and only to the segments (days) they cut
    /// through, so the days a range covers whole are read without evaluating a comparison per row. Any other
    /// filter prunes segments and row groups where it can and is evaluated again above the scan.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match TimeBound::of(f) {
                Some(_) => TableProviderFilterPushDown::Exact,
                None => TableProviderFilterPushDown::Inexact,
            })
            .collect())
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
        // The filters `supports_filters_pushdown` called exact: this scan must apply them.
        let exact: Vec<(&Expr, TimeBound)> = filters
            .iter()
            .filter_map(|f| TimeBound::of(f).map(|b| (f, b)))
            .collect();
        let (whole, cut): (Vec<&Arc<SegmentInfo>>, Vec<&Arc<SegmentInfo>>) = self
            .version
            .segments_of(self.project)
            .filter(|s| low.is_none_or(|l| s.max_time >= l) && high.is_none_or(|h| s.min_time <= h))
            .partition(|s| {
                exact
                    .iter()
                    .all(|(_, b)| b.holds_throughout(s.min_time, s.max_time))
            });

        let mut inputs = self
            .read(state, whole, &projection, filters, limit, partitions)
            .await?;
        let memtable = self.version.memtable_batches(self.project);
        if exact.is_empty() {
            if !memtable.is_empty() {
                inputs.push(memory_exec(
                    project(&memtable, &projection)?,
                    &projection,
                    partitions,
                )?);
            }
        } else if !cut.is_empty() || !memtable.is_empty() {
            // Days the bounds cut through, and the rows not yet in a segment, go through a filter on `time`
            // (added to the columns read, then dropped, when the query does not ask for it).
            let mut inner = projection.clone();
            if !inner.contains(&TIME) {
                inner.push(TIME);
            }
            let spread = partitions.min(cut.len().max(1));
            let mut parts = self.read(state, cut, &inner, filters, None, spread).await?;
            if !memtable.is_empty() {
                parts.push(memory_exec(project(&memtable, &inner)?, &inner, spread)?);
            }
            let schema = DFSchema::try_from(file_schema().project(&inner)?)?;
            let predicate = conjunction(exact.iter().map(|(f, _)| (*f).clone()))
                .expect("at least one exact filter");
            let predicate = state.create_physical_expr(predicate, &schema)?;
            let keep = (inner.len() > projection.len()).then(|| (0..projection.len()).collect());
            let filter = FilterExecBuilder::new(predicate, UnionExec::try_new(parts)?)
                .apply_projection(keep)?
                .build()?;
            inputs.push(Arc::new(filter));
        }
        if inputs.is_empty() {
            inputs.push(memory_exec(Vec::new(), &projection, partitions)?);
        }
        UnionExec::try_new(inputs)
    }
}

impl EventsTable {
    /// Plans for reading `segments`: the column cache's batches for what it serves, Parquet for the rest (with
    /// `filters` for row-group pruning).
    async fn read(
        &self,
        state: &dyn Session,
        segments: Vec<&Arc<SegmentInfo>>,
        projection: &[usize],
        filters: &[Expr],
        limit: Option<usize>,
        partitions: usize,
    ) -> Result<Vec<Arc<dyn ExecutionPlan>>> {
        let mut inputs: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        if segments.is_empty() {
            return Ok(inputs);
        }
        let (cached, segments) = self.cached(segments, projection, partitions).await;
        if !cached.is_empty() {
            inputs.push(memory_exec(cached, projection, partitions)?);
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
                    .with_projection_indices(Some(projection.to_vec()))?
                    .with_limit(limit)
                    .build();
            inputs.push(DataSourceExec::from_data_source(config));
        }
        Ok(inputs)
    }

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

/// `batches` (of the file schema) with only the `projection` columns.
fn project(batches: &[RecordBatch], projection: &[usize]) -> Result<Vec<RecordBatch>> {
    Ok(batches
        .iter()
        .map(|b| b.project(projection))
        .collect::<std::result::Result<Vec<_>, _>>()?)
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

/// A filter that bounds `time` by a literal: `time <op> literal` (either way round) or `time BETWEEN a AND b`.
#[derive(Clone, Copy, Debug)]
enum TimeBound {
    /// `time <op> value`, with the column on the left.
    Compare(Operator, i64),
    /// `time BETWEEN low AND high` (inclusive).
    Between(i64, i64),
}

impl TimeBound {
    fn of(expr: &Expr) -> Option<TimeBound> {
        match expr {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (op, value) = match (is_time(left), is_time(right)) {
                    (true, false) => (*op, literal_us(right)?),
                    (false, true) => (flip(*op)?, literal_us(left)?),
                    _ => return None,
                };
                matches!(
                    op,
                    Operator::Gt | Operator::GtEq | Operator::Lt | Operator::LtEq | Operator::Eq
                )
                .then_some(TimeBound::Compare(op, value))
            }
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) if is_time(expr) => Some(TimeBound::Between(literal_us(low)?, literal_us(high)?)),
            _ => None,
        }
    }

    /// The inclusive range of times the bound allows (`None` for no limit on that side).
    fn range(self) -> (Option<i64>, Option<i64>) {
        match self {
            TimeBound::Compare(Operator::Gt, v) => (Some(v.saturating_add(1)), None),
            TimeBound::Compare(Operator::GtEq, v) => (Some(v), None),
            TimeBound::Compare(Operator::Lt, v) => (None, Some(v.saturating_sub(1))),
            TimeBound::Compare(Operator::LtEq, v) => (None, Some(v)),
            TimeBound::Compare(_, v) => (Some(v), Some(v)),
            TimeBound::Between(low, high) => (Some(low), Some(high)),
        }
    }

    /// True when every time in `min..=max` satisfies the bound.
    fn holds_throughout(self, min: i64, max: i64) -> bool {
        match self {
            TimeBound::Compare(Operator::Gt, v) => min > v,
            TimeBound::Compare(Operator::GtEq, v) => min >= v,
            TimeBound::Compare(Operator::Lt, v) => max < v,
            TimeBound::Compare(Operator::LtEq, v) => max <= v,
            TimeBound::Compare(_, v) => min == v && max == v,
            TimeBound::Between(low, high) => min >= low && max <= high,
        }
    }
}

/// The time range (inclusive, microseconds) the filters restrict `time` to, as far as simple comparisons tell.
fn time_bounds(filters: &[Expr]) -> (Option<i64>, Option<i64>) {
    let mut low: Option<i64> = None;
    let mut high: Option<i64> = None;
    for bound in filters.iter().flat_map(split_and).filter_map(TimeBound::of) {
        let (l, h) = bound.range();
        if let Some(l) = l {
            low = Some(low.map_or(l, |x| x.max(l)));
        }
        if let Some(h) = h {
            high = Some(high.map_or(h, |x| x.min(h)));
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

/// The operator with its operands swapped (`a < b` is `b > a`); `None` for operators this module leaves alone.
fn flip(op: Operator) -> Option<Operator> {
    Some(match op {
        Operator::Gt => Operator::Lt,
        Operator::GtEq => Operator::LtEq,
        Operator::Lt => Operator::Gt,
        Operator::LtEq => Operator::GtEq,
        Operator::Eq => Operator::Eq,
        _ => return None,
    })
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
