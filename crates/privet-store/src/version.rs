//! What a query sees: an immutable snapshot of the segments, the in-memory buffers and the identity remaps.
//!
//! The writer, the flusher and the compactor publish a new [`Version`] whenever they change what is visible;
//! a query takes the current one and is unaffected by later changes. Moving events from a buffer into a segment
//! is a single swap, so no query ever sees an event twice or misses it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::RecordBatch;

use crate::columns::ColumnCache;
use crate::memtable::Memtable;
use crate::meta::SegmentInfo;

/// Person remaps of one project: merged-away person → surviving person. A `hashbrown` map (foldhash): every
/// scanned event looks its person up here, and SipHash made that a tenth of a funnel's time.
pub type Remaps = hashbrown::HashMap<i64, i64>;

/// An immutable view of the store.
#[derive(Clone, Default)]
pub struct Version {
    /// Every segment of every project.
    pub segments: Arc<Vec<Arc<SegmentInfo>>>,
    /// Buffers being flushed, oldest first.
    pub flushing: Vec<Arc<Memtable>>,
    /// The buffer currently receiving writes (as of this snapshot).
    pub active: Arc<Memtable>,
    /// Identity merges to apply to stored person ids, per project.
    pub remaps: Arc<HashMap<i64, Arc<Remaps>>>,
    /// The store directory (segment paths are relative to it).
    pub dir: Arc<PathBuf>,
    /// Decoded segment columns, shared by every version of the store (disabled for read-only snapshots).
    pub columns: Arc<ColumnCache>,
}

impl Version {
    /// The segments of one project.
    pub fn segments_of(&self, project: i64) -> impl Iterator<Item = &Arc<SegmentInfo>> {
        self.segments.iter().filter(move |s| s.project == project)
    }

    /// The buffered (not yet flushed) batches of one project.
    pub fn memtable_batches(&self, project: i64) -> Vec<RecordBatch> {
        self.flushing
            .iter()
            .chain(std::iter::once(&self.active))
            .flat_map(|m| m.project(project).iter().cloned())
            .collect()
    }

    /// The remaps of one project (empty when nobody was merged).
    pub fn remaps_of(&self, project: i64) -> Arc<Remaps> {
        self.remaps.get(&project).cloned().unwrap_or_default()
    }

    /// Absolute path of a segment.
    pub fn segment_path(&self, segment: &SegmentInfo) -> PathBuf {
        self.dir.join(&segment.path)
    }
}
