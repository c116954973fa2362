//! Decoded segment columns kept in memory, so that repeated questions skip Parquet decompression and decoding.
//!
//! Segments never change once written (compaction and deletions write new ones), so a column decoded once stays
//! right until its segment leaves the store. The cache holds one Arrow array per (segment, column) for the
//! fixed-width and dictionary columns the analyses read (`time`, `event`, `person_id`, `device_id` and the
//! dimensions); the free-text columns (`insert_id`, `properties`) are always read from Parquet, with filter
//! pushdown, because they are large and rarely read in full.
//!
//! Memory is bounded by `storage.column_cache_bytes`. A full cache makes room only by dropping columns nobody
//! read for [`IDLE`]; otherwise new columns are decoded for the query and not kept. That keeps a dataset
//! larger than the cache from evicting and re-decoding everything on every scan (the classic LRU collapse): the
//! columns that fitted stay fast, the rest cost what they cost without a cache.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use hashbrown::{HashMap, HashSet};
use parking_lot::Mutex;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::meta::SegmentInfo;
use crate::metrics::StoreMetrics;
use crate::schema::file_schema;

/// How long a cached column must have gone unread before a newer one may take its place.
pub const IDLE: Duration = Duration::from_secs(30);

/// Rows per record batch handed to queries (slices of the cached arrays; no copies).
const BATCH_ROWS: usize = 64 * 1024;

/// The cache, shared by every [`Version`](crate::Version) of a store. `Default` is a disabled cache.
#[derive(Default)]
pub struct ColumnCache {
    budget: usize,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
    metrics: Option<StoreMetrics>,
}

#[derive(Debug, Default)]
struct State {
    /// Keyed by segment path, which is never reused (segment ids are: SQLite hands out a deleted row's id).
    entries: HashMap<(String, usize), Entry>,
    bytes: usize,
}

#[derive(Debug)]
struct Entry {
    array: ArrayRef,
    bytes: usize,
    used: Instant,
}

/// What the cache holds, for metrics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub columns: usize,
    pub bytes: usize,
    pub hits: u64,
    pub misses: u64,
}

impl std::fmt::Debug for ColumnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnCache")
            .field("budget", &self.budget)
            .field("stats", &self.stats())
            .finish()
    }
}

impl ColumnCache {
    /// A cache of at most `budget` bytes of decoded columns (0 disables it).
    pub fn new(budget: usize) -> ColumnCache {
        ColumnCache {
            budget,
            ..ColumnCache::default()
        }
    }

    /// The same cache, reporting to the store's `privet_store_column_cache_*` metrics.
    pub fn with_metrics(self, metrics: &StoreMetrics) -> ColumnCache {
        ColumnCache {
            metrics: Some(metrics.clone()),
            ..self
        }
    }

    fn report(&self, bytes: usize) {
        if let Some(metrics) = &self.metrics {
            metrics.column_cache_bytes.set(bytes as i64);
        }
    }

    /// Whether the cache may serve a scan of these file columns: it is enabled, and every column is one it
    /// keeps.
    pub fn serves(&self, columns: &[usize]) -> bool {
        self.budget > 0 && !columns.is_empty() && columns.iter().all(|c| cacheable(*c))
    }

    /// The segment's `columns` (file schema indices, in the order given) as record batches of the projected
    /// schema, from memory where cached and decoded from `path` (then cached, when they fit) where not.
    pub fn batches(
        &self,
        path: &Path,
        segment: &SegmentInfo,
        columns: &[usize],
    ) -> std::io::Result<Vec<RecordBatch>> {
        let mut arrays: Vec<Option<ArrayRef>> = vec![None; columns.len()];
        {
            let mut state = self.state.lock();
            let now = Instant::now();
            for (slot, column) in arrays.iter_mut().zip(columns) {
                if let Some(entry) = state.entries.get_mut(&(segment.path.clone(), *column)) {
                    entry.used = now;
                    *slot = Some(entry.array.clone());
                }
            }
        }
        let mut missing: Vec<usize> = columns
            .iter()
            .zip(&arrays)
            .filter(|(_, a)| a.is_none())
            .map(|(c, _)| *c)
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let found = (columns.len() - missing.len()) as u64;
        self.hits.fetch_add(found, Ordering::Relaxed);
        self.misses
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        if let Some(metrics) = &self.metrics {
            metrics.column_cache_hits.inc_by(found);
            metrics.column_cache_misses.inc_by(missing.len() as u64);
        }
        if !missing.is_empty() {
            let decoded = decode(path, &missing)?;
            self.admit(&segment.path, &missing, &decoded);
            for (slot, column) in arrays.iter_mut().zip(columns) {
                if slot.is_none() {
                    let at = missing
                        .binary_search(column)
                        .expect("decoded every missing column");
                    *slot = Some(decoded[at].clone());
                }
            }
        }
        let arrays: Vec<ArrayRef> = arrays.into_iter().map(|a| a.expect("filled")).collect();
        let schema: SchemaRef = std::sync::Arc::new(
            file_schema()
                .project(columns)
                .map_err(std::io::Error::other)?,
        );
        let batch = RecordBatch::try_new(schema, arrays).map_err(std::io::Error::other)?;
        let rows = batch.num_rows();
        Ok((0..rows)
            .step_by(BATCH_ROWS)
            .map(|offset| batch.slice(offset, BATCH_ROWS.min(rows - offset)))
            .collect())
    }

    /// Keeps freshly decoded columns if they fit, making room from columns idle for [`IDLE`].
    fn admit(&self, segment: &str, columns: &[usize], arrays: &[ArrayRef]) {
        let sizes: Vec<usize> = arrays.iter().map(|a| a.get_array_memory_size()).collect();
        let needed: usize = sizes.iter().sum();
        if needed > self.budget {
            return;
        }
        let mut state = self.state.lock();
        let now = Instant::now();
        if state.bytes + needed > self.budget {
            let mut idle: Vec<((String, usize), Instant)> = state
                .entries
                .iter()
                .filter(|(_, e)| now.duration_since(e.used) >= IDLE)
                .map(|(k, e)| (k.clone(), e.used))
                .collect();
            idle.sort_unstable_by_key(|(_, used)| *used);
            for (key, _) in idle {
                if state.bytes + needed <= self.budget {
                    break;
                }
                if let Some(entry) = state.entries.remove(&key) {
                    state.bytes -= entry.bytes;
                }
            }
            if state.bytes + needed > self.budget {
                return;
            }
        }
        for ((column, array), bytes) in columns.iter().zip(arrays).zip(sizes) {
            let old = state.entries.insert(
                (segment.to_string(), *column),
                Entry {
                    array: array.clone(),
                    bytes,
                    used: now,
                },
            );
            state.bytes += bytes;
            if let Some(old) = old {
                state.bytes -= old.bytes;
            }
        }
        self.report(state.bytes);
    }

    /// Drops the columns of segments that are no longer in the store (compacted, rewritten or expired).
    pub fn retain(&self, live: &[std::sync::Arc<SegmentInfo>]) {
        let mut state = self.state.lock();
        if state.entries.is_empty() {
            return;
        }
        let live: HashSet<&str> = live.iter().map(|s| s.path.as_str()).collect();
        let mut freed = 0;
        state.entries.retain(|(segment, _), entry| {
            let keep = live.contains(segment.as_str());
            if !keep {
                freed += entry.bytes;
            }
            keep
        });
        state.bytes -= freed;
        self.report(state.bytes);
    }

    /// How much is cached, and how often scans found their columns.
    pub fn stats(&self) -> CacheStats {
        let state = self.state.lock();
        CacheStats {
            columns: state.entries.len(),
            bytes: state.bytes,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

/// Whether a file column is one the cache keeps: everything but the free-text `Utf8` columns.
fn cacheable(column: usize) -> bool {
    let schema = file_schema();
    column < schema.fields().len() && *schema.field(column).data_type() != DataType::Utf8
}

/// Decodes whole columns (sorted file indices) of one segment, one array each.
fn decode(path: &Path, columns: &[usize]) -> std::io::Result<Vec<ArrayRef>> {
    let file = File::open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(std::io::Error::other)?;
    let rows = builder.metadata().file_metadata().num_rows().max(1) as usize;
    let mask = ProjectionMask::roots(builder.parquet_schema(), columns.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(rows)
        .build()
        .map_err(std::io::Error::other)?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(std::io::Error::other)?;
    if batches.len() == 1 {
        return Ok(batches[0].columns().to_vec());
    }
    if batches.is_empty() {
        let schema = file_schema();
        return Ok(columns
            .iter()
            .map(|c| arrow::array::new_empty_array(schema.field(*c).data_type()))
            .collect());
    }
    (0..columns.len())
        .map(|i| {
            let parts: Vec<&dyn arrow::array::Array> =
                batches.iter().map(|b| b.column(i).as_ref()).collect();
            arrow::compute::concat(&parts).map_err(std::io::Error::other)
        })
        .collect()
}
