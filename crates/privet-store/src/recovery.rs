//! Opening the store: taking the lock, removing files a crash left behind, loading the manifest and identity
//! graph, replaying the write-ahead log, and starting the writer, flusher and compactor threads.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use fs4::fs_std::FileExt;
use parking_lot::Mutex;
use privet_config::StorageConfig;
use tokio::sync::Semaphore;

use crate::columns::ColumnCache;
use crate::dedup::DedupSet;
use crate::identity::IdentityGraph;
use crate::memtable::Memtable;
use crate::meta::{EVENTS_FLUSHED, Meta, STATE_APPLIED, SegmentInfo};
use crate::schema::rows_to_batch;
use crate::version::Version;
use crate::wal::{self, WalWriter};
use crate::writer::Writer;
use crate::{
    MAX_QUEUED_WRITES, Result, Shared, Store, StoreError, StoreMetrics, compaction, flush,
    store_dir,
};

/// How recent a segment must be for its `$insert_id` keys to be reloaded into the deduplication window.
const DEDUP_RELOAD_US: i64 = 3_600_000_000;

struct Recovered {
    segments: Vec<SegmentInfo>,
    graph: IdentityGraph,
    memtable: Memtable,
    dedup: DedupSet,
    replay: wal::ReplayStats,
}

pub(crate) fn open(data_dir: &Path, options: StorageConfig) -> Result<Store> {
    let dir = store_dir(data_dir);
    for sub in ["wal", "segments"] {
        std::fs::create_dir_all(dir.join(sub))
            .map_err(|e| StoreError::io(format!("cannot create {}", dir.join(sub).display()), e))?;
    }
    let lock = File::create(dir.join("LOCK"))
        .map_err(|e| StoreError::io("cannot create the lock file", e))?;
    if !FileExt::try_lock_exclusive(&lock).unwrap_or(false) {
        return Err(StoreError::Locked(data_dir.to_path_buf()));
    }
    let meta_path = dir.join("meta.sqlite");
    let mut meta = Meta::open(&meta_path)?;
    let recovered = recover(&dir, &mut meta, options.dedup_capacity, false)?;
    remove_orphans(&dir, &recovered.segments)?;

    let wal = WalWriter::open(
        &dir.join("wal"),
        recovered.replay.next_lsn,
        recovered.replay.last_file.clone(),
        options.wal_file_bytes,
    )
    .map_err(|e| StoreError::io("cannot open the write-ahead log", e))?;

    let metrics = StoreMetrics::default();
    metrics.segments.set(recovered.segments.len() as i64);
    metrics.memtable_rows.set(recovered.memtable.rows() as i64);
    let mut version = initial_version(&dir, &recovered);
    version.columns = Arc::new(ColumnCache::new(options.column_cache_bytes).with_metrics(&metrics));
    let shared = Arc::new(Shared {
        dir: dir.clone(),
        options,
        version: Mutex::new(Arc::new(version)),
        metrics,
        failure: Mutex::new(None),
        stopping: std::sync::atomic::AtomicBool::new(false),
    });
    tracing::info!(
        segments = recovered.segments.len(),
        replayed_events = recovered.memtable.rows(),
        torn_bytes = recovered.replay.torn_bytes,
        "store opened"
    );

    let (commands_tx, commands_rx) = crossbeam_channel::unbounded();
    let (flush_tx, flush_rx) = crossbeam_channel::unbounded();
    let (compact_tx, compact_rx) = crossbeam_channel::unbounded();
    let pending = Arc::new(AtomicUsize::new(0));
    let writer = Writer {
        shared: shared.clone(),
        wal,
        meta,
        graph: recovered.graph,
        dedup: recovered.dedup,
        active: recovered.memtable,
        flushes: flush_tx,
        pending_flushes: pending.clone(),
        failed: None,
        // Replay applied every change the log holds.
        state_applied: recovered.replay.next_lsn.saturating_sub(1),
    };
    let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(f)
            .map_err(|e| StoreError::io("cannot start a store thread", e))
    };
    let flusher_meta = Meta::open(&meta_path)?;
    let compactor_meta = Meta::open(&meta_path)?;
    let threads = vec![
        spawn("privet-writer", Box::new(move || writer.run(commands_rx)))?,
        spawn("privet-flusher", {
            let shared = shared.clone();
            let compactor = compact_tx.clone();
            Box::new(move || flush::run(shared, flusher_meta, flush_rx, pending, compactor))
        })?,
        spawn("privet-compactor", {
            let shared = shared.clone();
            Box::new(move || compaction::run(shared, compactor_meta, compact_rx))
        })?,
    ];
    Ok(Store {
        shared,
        commands: commands_tx,
        compactor: compact_tx,
        permits: Arc::new(Semaphore::new(MAX_QUEUED_WRITES)),
        threads: Mutex::new(threads),
        _lock: lock,
    })
}

pub(crate) fn open_read_only(data_dir: &Path) -> Result<Arc<Version>> {
    // Segment paths are handed to DataFusion's object store, which needs them absolute.
    let absolute = data_dir
        .canonicalize()
        .map_err(|_| StoreError::NoData(data_dir.to_path_buf()))?;
    let data_dir = absolute.as_path();
    let dir = store_dir(data_dir);
    let meta_path = dir.join("meta.sqlite");
    if !meta_path.exists() {
        return Err(StoreError::NoData(data_dir.to_path_buf()));
    }
    let mut meta = Meta::open_read_only(&meta_path)?;
    let recovered = recover(&dir, &mut meta, 1, true)?;
    Ok(Arc::new(initial_version(&dir, &recovered)))
}

/// Loads the manifest and identity graph and replays the log. Read-only recovery applies identity changes in
/// memory only.
fn recover(
    dir: &Path,
    meta: &mut Meta,
    dedup_capacity: usize,
    read_only: bool,
) -> Result<Recovered> {
    let segments = meta.segments()?;
    let mut graph = IdentityGraph::default();
    meta.load_identity(&mut graph)?;
    let events_flushed = meta.checkpoint(EVENTS_FLUSHED)?;
    let state_applied = meta.checkpoint(STATE_APPLIED)?;
    let mut memtable = Memtable::default();
    let mut dedup = DedupSet::new(dedup_capacity);
    let start = events_flushed.min(state_applied);
    let replay = wal::replay(
        &dir.join("wal"),
        start,
        events_flushed.max(state_applied) + 1,
        if read_only {
            wal::ReplayMode::Live
        } else {
            wal::ReplayMode::Recover
        },
        |lsn, entry| {
            if lsn > state_applied {
                for change in &entry.identity {
                    graph.apply(entry.project, change);
                }
                // Records without identity or profile changes have nothing to apply (the writer does not record
                // their position until the next flush).
                if entry.changes_state() && !read_only {
                    meta.apply_state(
                        std::iter::once((
                            entry.project,
                            entry.identity.as_slice(),
                            entry.profiles.as_slice(),
                        )),
                        lsn,
                    )
                    .map_err(|e| e.to_string())?;
                }
            }
            if lsn > events_flushed {
                for row in &entry.events {
                    if let Some(key) = row.dedup_key {
                        dedup.insert(key);
                    }
                }
                if entry.events.is_empty() {
                    memtable.note_lsn(lsn);
                } else {
                    memtable.push(entry.project, rows_to_batch(entry.events.iter()), lsn);
                }
            }
            Ok(())
        },
    )
    .map_err(StoreError::Corrupt)?;
    if !read_only {
        reload_dedup_keys(dir, &segments, &mut dedup);
    }
    Ok(Recovered {
        segments,
        graph,
        memtable,
        dedup,
        replay,
    })
}

/// Puts the `$insert_id` keys of recently written segments back into the deduplication window, so that a
/// client retrying after a crash does not store an event twice.
fn reload_dedup_keys(dir: &Path, segments: &[SegmentInfo], dedup: &mut DedupSet) {
    use arrow::array::AsArray;
    let cutoff = privet_model::time::now_us() - DEDUP_RELOAD_US;
    let mut recent: Vec<&SegmentInfo> =
        segments.iter().filter(|s| s.created_us >= cutoff).collect();
    recent.sort_by_key(|s| s.created_us);
    let dedup_index = crate::schema::DEDUP;
    for s in recent {
        let Ok(batches) = crate::segment::read(&dir.join(&s.path), Some(vec![dedup_index])) else {
            tracing::warn!(segment = %s.path, "cannot read a segment's deduplication keys");
            continue;
        };
        for batch in batches {
            for key in batch
                .column(0)
                .as_primitive::<arrow::datatypes::UInt64Type>()
                .iter()
                .flatten()
            {
                dedup.insert(key);
            }
        }
    }
}

/// Deletes segment files that are not in the manifest (a crash between writing and recording them, or files
/// replaced by compaction).
fn remove_orphans(dir: &Path, segments: &[SegmentInfo]) -> Result<()> {
    let known: HashSet<PathBuf> = segments.iter().map(|s| dir.join(&s.path)).collect();
    let mut stack = vec![dir.join("segments")];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if !known.contains(&path) {
                std::fs::remove_file(&path)
                    .map_err(|e| StoreError::io(format!("cannot remove {}", path.display()), e))?;
            }
        }
    }
    Ok(())
}

fn initial_version(dir: &Path, recovered: &Recovered) -> Version {
    Version {
        segments: Arc::new(recovered.segments.iter().cloned().map(Arc::new).collect()),
        flushing: Vec::new(),
        active: Arc::new(recovered.memtable.clone()),
        remaps: Arc::new(
            recovered
                .graph
                .all_remaps()
                .into_iter()
                .map(|(p, r)| (p, Arc::new(r)))
                .collect(),
        ),
        dir: Arc::new(dir.to_path_buf()),
        columns: Arc::default(),
    }
}
