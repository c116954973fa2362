//! Privet's analytics store: the sink of the ingestion pipeline and the source of every query.
//!
//! ```text
//!  write(batch) ─▶ writer thread ─┬─▶ write-ahead log (fsync, group commit) ─▶ acknowledgement
//!                                 ├─▶ identity graph + profiles (meta.sqlite)
//!                                 └─▶ memtable (Arrow) ──flush──▶ Parquet segments ──compaction──▶ fewer, sorted
//!                                                                      ▲
//!  queries ─▶ Version snapshot (segments + memtables + remaps) ─▶ DataFusion tables (`table`)
//! ```
//!
//! Layout of `DATA_DIR/store/`:
//! * `wal/` — the write-ahead log ([`wal`]);
//! * `segments/p{project}/{yyyy-mm-dd}/{id}.parquet` — columnar segments ([`segment`]);
//! * `meta.sqlite` — manifest, checkpoints, identity graph, profiles ([`meta`]);
//! * `LOCK` — held by the one process that writes.
//!
//! Only minimised data reaches this crate (see `privet-pipeline`): pseudonyms, coarse dimensions, scanned text.

pub mod columns;
pub mod compaction;
pub mod dedup;
pub mod durable;
mod flush;
pub mod identity;
pub mod memtable;
pub mod meta;
pub mod metrics;
pub mod profiles;
pub mod publication;
mod recovery;
pub mod schema;
pub mod segment;
pub mod table;
pub mod version;
pub mod wal;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;
use privet_config::StorageConfig;
use privet_model::withheld::Publisher;
use privet_model::{MinimalEvent, ProfileUpdate, ProjectId};
use serde::Serialize;
use tokio::sync::{Semaphore, oneshot};

pub use compaction::Deletion;
pub use metrics::StoreMetrics;
pub use version::Version;

/// How many write batches may wait for the writer before callers are made to wait.
const MAX_QUEUED_WRITES: usize = 512;

/// Errors of the store. Messages never contain event data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the store's metadata database failed: {0}")]
    Meta(#[from] rusqlite::Error),
    #[error(
        "another Privet process is writing to {0}; stop it first (read-only commands such as `privet sql` work alongside it)"
    )]
    Locked(PathBuf),
    #[error("no Privet data in {0}; run `privet serve --data-dir {0}` first or check the path")]
    NoData(PathBuf),
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    #[error(
        "the store stopped accepting writes after a disk error ({0}); fix the disk and restart Privet"
    )]
    Unavailable(String),
    #[error("the store is shutting down")]
    ShuttingDown,
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A batch to store: minimised events and profile updates of one project.
#[derive(Debug)]
pub struct WriteBatch {
    pub project: ProjectId,
    pub events: Vec<MinimalEvent>,
    pub profiles: Vec<ProfileUpdate>,
}

/// What happened to a batch once it is durable.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WriteOutcome {
    /// Events stored.
    pub stored: usize,
    /// Events dropped because the same event was already stored.
    pub duplicates: usize,
    /// Events that only carried an identity operation (`$create_alias`, `$merge`).
    pub identity_only: usize,
    /// Profile updates applied.
    pub profiles: usize,
}

pub(crate) enum Command {
    Write {
        batch: WriteBatch,
        reply: oneshot::Sender<Result<WriteOutcome>>,
        _permit: tokio::sync::OwnedSemaphorePermit,
    },
    Flush(oneshot::Sender<Result<()>>),
    Shutdown,
}

/// State shared by the store's threads and its readers.
pub(crate) struct Shared {
    pub dir: PathBuf,
    pub options: StorageConfig,
    pub version: Mutex<Arc<Version>>,
    pub metrics: StoreMetrics,
    /// Set when a disk error made the writer stop accepting writes.
    pub failure: Mutex<Option<String>>,
    /// Set when the store is shutting down (background threads stop retrying).
    pub stopping: std::sync::atomic::AtomicBool,
}

impl Shared {
    /// Replaces the visible version using `change`.
    pub fn publish(&self, change: impl FnOnce(&mut Version)) {
        let mut guard = self.version.lock();
        let mut next = (**guard).clone();
        change(&mut next);
        // Most publications (every write) leave the segments alone; only a changed list can strand columns.
        if !Arc::ptr_eq(&guard.segments, &next.segments) {
            next.columns.retain(&next.segments);
        }
        *guard = Arc::new(next);
    }
}

/// The store, opened for writing by one process.
pub struct Store {
    shared: Arc<Shared>,
    commands: crossbeam_channel::Sender<Command>,
    compactor: crossbeam_channel::Sender<compaction::Request>,
    permits: Arc<Semaphore>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    _lock: File,
}

/// The store directory inside a data directory.
pub fn store_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("store")
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, recovers from the log and starts the background
    /// threads.
    pub fn open(data_dir: &Path, options: StorageConfig) -> Result<Store> {
        recovery::open(data_dir, options)
    }

    /// Stores a batch and resolves once it is durable (in the fsynced write-ahead log).
    pub async fn write(&self, batch: WriteBatch) -> Result<WriteOutcome> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::ShuttingDown)?;
        let (reply, receive) = oneshot::channel();
        self.commands
            .send(Command::Write {
                batch,
                reply,
                _permit: permit,
            })
            .map_err(|_| StoreError::ShuttingDown)?;
        receive.await.map_err(|_| StoreError::ShuttingDown)?
    }

    /// Writes every buffered event to segments and waits until that is durable.
    pub async fn flush(&self) -> Result<()> {
        let (reply, receive) = oneshot::channel();
        self.commands
            .send(Command::Flush(reply))
            .map_err(|_| StoreError::ShuttingDown)?;
        receive.await.map_err(|_| StoreError::ShuttingDown)?
    }

    /// Compacts every day that has more than one segment, and waits for it.
    pub async fn compact(&self) -> Result<compaction::CompactionReport> {
        let (reply, receive) = oneshot::channel();
        self.compactor
            .send(compaction::Request::Run { reply, force: true })
            .map_err(|_| StoreError::ShuttingDown)?;
        receive.await.map_err(|_| StoreError::ShuttingDown)?
    }

    /// Publishes withheld values (k-anonymity at rest, see [`publication`]) with `publisher` from now on: tells
    /// it which values are already published, runs a first pass (what became shareable in the segments while
    /// Privet was stopped) and returns once it is done; later passes run every 30 seconds, before every
    /// compaction, and on [`Store::publish`].
    pub fn set_publisher(
        &self,
        publisher: Arc<dyn Publisher>,
    ) -> Result<publication::PublicationReport> {
        let (reply, receive) = std::sync::mpsc::channel();
        self.compactor
            .send(compaction::Request::Publisher { publisher, reply })
            .map_err(|_| StoreError::ShuttingDown)?;
        receive.recv().map_err(|_| StoreError::ShuttingDown)?
    }

    /// Runs a publication pass now (buffered events are flushed first) and waits for it.
    pub async fn publish(&self) -> Result<publication::PublicationReport> {
        self.flush().await?;
        let (reply, receive) = oneshot::channel();
        self.compactor
            .send(compaction::Request::Publish { reply })
            .map_err(|_| StoreError::ShuttingDown)?;
        receive.await.map_err(|_| StoreError::ShuttingDown)?
    }

    /// Deletes events of `project` from the store: buffered events are flushed first, then every segment that
    /// holds a deleted event is rewritten without it. Returns how many events were deleted.
    pub async fn delete(&self, project: ProjectId, deletion: compaction::Deletion) -> Result<u64> {
        self.flush().await?;
        let (reply, receive) = oneshot::channel();
        self.compactor
            .send(compaction::Request::Delete {
                project: project.0,
                deletion,
                reply,
            })
            .map_err(|_| StoreError::ShuttingDown)?;
        receive.await.map_err(|_| StoreError::ShuttingDown)?
    }

    /// The current snapshot, for queries.
    pub fn version(&self) -> Arc<Version> {
        self.shared.version.lock().clone()
    }

    /// Why the store stopped accepting writes, if it did (a disk error; fixed by a restart).
    pub fn failure(&self) -> Option<String> {
        self.shared.failure.lock().clone()
    }

    /// The store's metrics, to register with the server's registry.
    pub fn metrics(&self) -> &StoreMetrics {
        &self.shared.metrics
    }

    /// Stops the background threads after flushing buffered events.
    pub fn shutdown(&self) {
        self.shared
            .stopping
            .store(true, std::sync::atomic::Ordering::Release);
        let _ = self.commands.send(Command::Shutdown);
        let _ = self.compactor.send(compaction::Request::Stop);
        for handle in self.threads.lock().drain(..) {
            let _ = handle.join();
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The person an identifier (a pseudonym) belongs to after identity merges, and every identifier of that person.
/// Reads the metadata database, so it works with or without a server running on the directory.
pub fn identity_cluster(data_dir: &Path, project: i64, id: i64) -> Result<(i64, Vec<i64>)> {
    let meta = meta::Meta::open_read_only(&store_dir(data_dir).join("meta.sqlite"))?;
    Ok(meta.cluster(project, id)?)
}

/// Opens a data directory read-only and returns a snapshot of everything in it, including events still only in
/// the write-ahead log. Works while a server is running.
pub fn open_read_only(data_dir: &Path) -> Result<Arc<Version>> {
    recovery::open_read_only(data_dir)
}
