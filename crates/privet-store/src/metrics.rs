//! The store's Prometheus metrics. Counts and latencies only; never a value from an event.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Metrics updated by the writer, flusher and compactor threads.
#[derive(Clone)]
pub struct StoreMetrics {
    pub wal_fsync_seconds: Histogram,
    pub group_commit_events: Histogram,
    pub events_stored: Counter,
    pub events_duplicate: Counter,
    pub profile_updates: Counter,
    pub segments: Gauge,
    pub memtable_rows: Gauge,
    pub flush_seconds: Histogram,
    pub compactions: Counter,
    pub column_cache_bytes: Gauge,
    pub column_cache_hits: Counter,
    pub column_cache_misses: Counter,
}

impl Default for StoreMetrics {
    fn default() -> Self {
        StoreMetrics {
            wal_fsync_seconds: Histogram::new(exponential_buckets(0.00005, 2.0, 16)),
            group_commit_events: Histogram::new(exponential_buckets(1.0, 4.0, 10)),
            events_stored: Counter::default(),
            events_duplicate: Counter::default(),
            profile_updates: Counter::default(),
            segments: Gauge::default(),
            memtable_rows: Gauge::default(),
            flush_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            compactions: Counter::default(),
            column_cache_bytes: Gauge::default(),
            column_cache_hits: Counter::default(),
            column_cache_misses: Counter::default(),
        }
    }
}

impl StoreMetrics {
    /// Registers every metric under `privet_store_*`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("privet_store");
        r.register(
            "wal_fsync_seconds",
            "Time to make one group commit durable (write + fdatasync)",
            self.wal_fsync_seconds.clone(),
        );
        r.register(
            "group_commit_events",
            "Events made durable by one fsync",
            self.group_commit_events.clone(),
        );
        r.register("events_stored", "Events stored", self.events_stored.clone());
        r.register(
            "events_duplicate",
            "Events dropped as duplicates of an already stored ($insert_id) event",
            self.events_duplicate.clone(),
        );
        r.register(
            "profile_updates",
            "People and group profile updates applied",
            self.profile_updates.clone(),
        );
        r.register("segments", "Parquet segments", self.segments.clone());
        r.register(
            "memtable_rows",
            "Events durable in the log and buffered in memory, not yet in a segment",
            self.memtable_rows.clone(),
        );
        r.register(
            "flush_seconds",
            "Time to write buffered events to segments",
            self.flush_seconds.clone(),
        );
        r.register(
            "compactions",
            "Segment compactions",
            self.compactions.clone(),
        );
        r.register(
            "column_cache_bytes",
            "Memory held by decoded segment columns (storage.column_cache_bytes bounds it)",
            self.column_cache_bytes.clone(),
        );
        r.register(
            "column_cache_hits",
            "Segment columns a scan found decoded in memory",
            self.column_cache_hits.clone(),
        );
        r.register(
            "column_cache_misses",
            "Segment columns a scan had to decode from Parquet",
            self.column_cache_misses.clone(),
        );
    }
}
