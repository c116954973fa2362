//! The writer thread: group commit.
//!
//! It takes every write batch waiting in its queue, resolves people through the identity graph, drops duplicates,
//! appends one log record per batch, makes them all durable with a single fsync, then applies them (profiles to
//! the metadata database, events to the memtable), publishes a new [`Version`](crate::Version) and acknowledges.
//! While it is syncing, new batches queue up and form the next group, so durability costs one fsync per group
//! rather than one per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use privet_model::{EventRow, ProfileTarget};
use tokio::sync::oneshot;

use crate::dedup::{DedupSet, dedup_key};
use crate::flush::FlushJob;
use crate::identity::IdentityGraph;
use crate::memtable::Memtable;
use crate::meta::Meta;
use crate::schema::rows_to_batch;
use crate::wal::{IdentityChange, ResolvedProfileUpdate, ResolvedTarget, WalEntry, WalWriter};
use crate::{Command, Result, Shared, StoreError, WriteBatch, WriteOutcome};

/// Most events gathered into one group commit.
const MAX_GROUP_EVENTS: usize = 64 * 1024;
/// Flushes waiting to be written before the writer waits for the flusher.
const MAX_PENDING_FLUSHES: usize = 2;
/// A group commit or a wait for the flusher this long is logged with where its time went (acknowledgements
/// wait for it; the ingestion benchmark's p99 goal is 50 ms).
const SLOW: Duration = Duration::from_millis(100);

pub(crate) struct Writer {
    pub shared: Arc<Shared>,
    pub wal: WalWriter,
    pub meta: Meta,
    pub graph: IdentityGraph,
    pub dedup: DedupSet,
    pub active: Memtable,
    pub flushes: Sender<FlushJob>,
    pub pending_flushes: Arc<AtomicUsize>,
    /// Set after a disk error: the in-memory state may be ahead of the disk, so refuse writes until restart.
    pub failed: Option<String>,
    /// The log position up to which every identity and profile change is in the metadata database. Groups
    /// without such changes advance it without touching the database (the flusher records it with the next
    /// flush), so acknowledging events never waits for a flush or a merge holding the database's write lock.
    pub state_applied: u64,
}

type Reply = oneshot::Sender<Result<WriteOutcome>>;

impl Writer {
    pub fn run(mut self, commands: Receiver<Command>) {
        let tick = Duration::from_millis(250);
        loop {
            let first = match commands.recv_timeout(tick) {
                Ok(command) => command,
                Err(RecvTimeoutError::Timeout) => {
                    self.maybe_flush(Vec::new(), false);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut group: Vec<(WriteBatch, Reply)> = Vec::new();
            let mut events = 0;
            let mut next = Some(first);
            while let Some(command) = next.take() {
                match command {
                    Command::Write { batch, reply, .. } => {
                        events += batch.events.len() + batch.profiles.len();
                        group.push((batch, reply));
                    }
                    Command::Flush(reply) => {
                        self.commit(std::mem::take(&mut group));
                        self.maybe_flush(vec![reply], true);
                    }
                    Command::Shutdown => {
                        self.commit(std::mem::take(&mut group));
                        let (reply, done) = oneshot::channel();
                        self.maybe_flush(vec![reply], true);
                        let _ = done.blocking_recv();
                        return;
                    }
                }
                if events < MAX_GROUP_EVENTS {
                    next = commands.try_recv().ok();
                }
            }
            self.commit(group);
            self.maybe_flush(Vec::new(), false);
        }
    }

    /// Makes a group of batches durable and acknowledges them.
    fn commit(&mut self, group: Vec<(WriteBatch, Reply)>) {
        if group.is_empty() {
            return;
        }
        if let Some(reason) = &self.failed {
            for (_, reply) in group {
                let _ = reply.send(Err(StoreError::Unavailable(reason.clone())));
            }
            return;
        }
        let began = Instant::now();
        let mut entries = Vec::with_capacity(group.len());
        let mut outcomes = Vec::with_capacity(group.len());
        let mut new_keys = Vec::new();
        let mut replies = Vec::with_capacity(group.len());
        for (batch, reply) in group {
            let (entry, outcome) = self.resolve(batch, &mut new_keys);
            entries.push(entry);
            outcomes.push(outcome);
            replies.push(reply);
        }

        let started = Instant::now();
        let durable = self.append(&entries);
        let lsns = match durable {
            Ok(lsns) => lsns,
            Err(error) => {
                self.graph.rollback();
                for key in new_keys {
                    self.dedup.undo(key);
                }
                let reason = error.to_string();
                tracing::error!(error = %reason, "write-ahead log append failed; refusing writes until restart");
                self.failed = Some(reason.clone());
                *self.shared.failure.lock() = Some(reason.clone());
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Unavailable(reason.clone())));
                }
                return;
            }
        };
        self.graph.commit();
        let logged = started.elapsed();
        let metrics = &self.shared.metrics;
        metrics.wal_fsync_seconds.observe(logged.as_secs_f64());
        let applying = Instant::now();

        // Apply identity and profile changes; the log already holds them, so a failure here is repaired by replay
        // on restart.
        let last_lsn = lsns.iter().copied().flatten().max();
        if let Some(lsn) = last_lsn {
            let changes = entries.iter().any(WalEntry::changes_state);
            let state = entries
                .iter()
                .map(|e| (e.project, e.identity.as_slice(), e.profiles.as_slice()));
            match changes.then(|| self.meta.apply_state(state, lsn)) {
                Some(Err(error)) => {
                    let reason = format!("metadata update failed: {error}");
                    tracing::error!(error = %reason, "refusing writes until restart");
                    *self.shared.failure.lock() = Some(reason.clone());
                    self.failed = Some(reason);
                }
                Some(Ok(())) | None => self.state_applied = lsn,
            }
        }

        let applied = applying.elapsed();
        let mut remapped_projects = Vec::new();
        let mut group_events = 0u64;
        for (entry, lsn) in entries.iter().zip(&lsns) {
            let Some(lsn) = *lsn else { continue };
            if !entry.events.is_empty() {
                group_events += entry.events.len() as u64;
                self.active
                    .push(entry.project, rows_to_batch(entry.events.iter()), lsn);
            } else {
                self.active.note_lsn(lsn);
            }
            if entry
                .identity
                .iter()
                .any(|c| matches!(c, IdentityChange::Remap { .. }))
            {
                remapped_projects.push(entry.project);
            }
        }
        metrics.group_commit_events.observe(group_events as f64);
        if began.elapsed() >= SLOW {
            let sync = self.wal.last_sync();
            tracing::warn!(
                total_ms = began.elapsed().as_millis() as u64,
                resolve_ms = (started - began).as_millis() as u64,
                wal_ms = logged.as_millis() as u64,
                wal_write_ms = sync.write.as_millis() as u64,
                wal_fsync_ms = sync.fsync.as_millis() as u64,
                wal_roll_ms = sync.roll.as_millis() as u64,
                metadata_ms = applied.as_millis() as u64,
                batches = lsns.len(),
                events = group_events,
                "slow group commit"
            );
        }
        metrics.events_stored.inc_by(group_events);
        metrics.memtable_rows.set(self.active.rows() as i64);
        self.publish(&remapped_projects);
        for ((reply, outcome), _) in replies.into_iter().zip(outcomes).zip(&lsns) {
            metrics.events_duplicate.inc_by(outcome.duplicates as u64);
            metrics.profile_updates.inc_by(outcome.profiles as u64);
            let _ = reply.send(Ok(outcome));
        }
    }

    /// Resolves people and duplicates of one batch into a log entry.
    fn resolve(&mut self, batch: WriteBatch, new_keys: &mut Vec<u64>) -> (WalEntry, WriteOutcome) {
        let project = batch.project.0;
        let mut entry = WalEntry {
            project,
            events: Vec::with_capacity(batch.events.len()),
            identity: Vec::new(),
            profiles: Vec::with_capacity(batch.profiles.len()),
        };
        let mut outcome = WriteOutcome::default();
        for event in batch.events {
            let key = dedup_key(batch.project, &event);
            if let Some(key) = key {
                if !self.dedup.insert(key) {
                    outcome.duplicates += 1;
                    continue;
                }
                new_keys.push(key);
            }
            let person = self.graph.resolve_event(
                project,
                &event.identity,
                event.identity_op.as_ref(),
                &mut entry.identity,
            );
            if !event.store {
                outcome.identity_only += 1;
                continue;
            }
            entry.events.push(EventRow {
                time_us: event.time_us,
                name: event.name,
                insert_id: event.insert_id,
                person_id: person,
                device_id: event.identity.device.map(|p| p.0),
                dims: event.dims,
                properties: event.properties,
                dedup_key: key,
                sealed: event.sealed,
            });
            outcome.stored += 1;
        }
        for update in batch.profiles {
            let target = match update.target {
                ProfileTarget::Person(ids) => {
                    match self.graph.resolve(project, &ids, &mut entry.identity) {
                        Some(person) => ResolvedTarget::Person(person),
                        None => continue,
                    }
                }
                ProfileTarget::Group { key, id } => ResolvedTarget::Group { key, id: id.0 },
            };
            entry.profiles.push(ResolvedProfileUpdate {
                target,
                time_us: update.time_us,
                ops: update
                    .ops
                    .into_iter()
                    .map(|op| (op.kind, op.payload))
                    .collect(),
            });
            outcome.profiles += 1;
        }
        (entry, outcome)
    }

    /// Appends the non-empty entries and syncs once. Returns each entry's LSN (None for empty entries).
    fn append(&mut self, entries: &[WalEntry]) -> std::io::Result<Vec<Option<u64>>> {
        let mut lsns = Vec::with_capacity(entries.len());
        let mut any = false;
        for entry in entries {
            if entry.events.is_empty() && entry.identity.is_empty() && entry.profiles.is_empty() {
                lsns.push(None);
                continue;
            }
            lsns.push(Some(self.wal.append(&entry.encode())?));
            any = true;
        }
        if any {
            self.wal.sync()?;
        }
        Ok(lsns)
    }

    /// Publishes the active memtable (and new remaps) to queries.
    fn publish(&self, remapped_projects: &[i64]) {
        let active = Arc::new(self.active.clone());
        let remaps: Vec<(i64, Arc<crate::version::Remaps>)> = remapped_projects
            .iter()
            .map(|p| (*p, Arc::new(self.graph.remaps(*p))))
            .collect();
        self.shared.publish(|v| {
            v.active = active;
            if !remaps.is_empty() {
                let mut all = (*v.remaps).clone();
                all.extend(remaps);
                v.remaps = Arc::new(all);
            }
        });
    }

    /// Hands the memtable to the flusher when it is big or old enough (or when asked to).
    fn maybe_flush(&mut self, waiters: Vec<oneshot::Sender<Result<()>>>, force: bool) {
        let options = &self.shared.options;
        let full = self.active.rows() >= options.memtable_max_rows
            || self.active.bytes() >= options.memtable_max_bytes;
        let old = self
            .active
            .started()
            .is_some_and(|t| t.elapsed() >= Duration::from_secs(options.flush_interval_secs));
        let busy = self.pending_flushes.load(Ordering::Acquire) >= MAX_PENDING_FLUSHES;
        // Only a full memtable waits for the flusher (that bounds memory); an old one waits for the next tick, so
        // acknowledgements never stall behind the flushes of a burst.
        if !(force || full || old && !busy) {
            return;
        }
        if self.active.is_empty() && self.active.max_lsn() == 0 {
            // Nothing was ever written: the flush is trivially done.
            for waiter in waiters {
                let _ = waiter.send(Ok(()));
            }
            return;
        }
        let waiting = Instant::now();
        while self.pending_flushes.load(Ordering::Acquire) >= MAX_PENDING_FLUSHES {
            std::thread::sleep(Duration::from_millis(5));
        }
        if waiting.elapsed() >= SLOW {
            tracing::warn!(
                waited_ms = waiting.elapsed().as_millis() as u64,
                rows = self.active.rows(),
                "the writer waited for the flusher (the memtable is full and two flushes are running)"
            );
        }
        let frozen = Arc::new(std::mem::take(&mut self.active));
        self.shared.metrics.memtable_rows.set(0);
        self.shared.publish(|v| {
            v.flushing.push(frozen.clone());
            v.active = Arc::new(Memtable::default());
        });
        self.pending_flushes.fetch_add(1, Ordering::AcqRel);
        let job = FlushJob {
            memtable: frozen,
            state_applied: self.state_applied,
            waiters,
        };
        if let Err(unsent) = self.flushes.send(job) {
            self.pending_flushes.fetch_sub(1, Ordering::AcqRel);
            for waiter in unsent.0.waiters {
                let _ = waiter.send(Err(StoreError::ShuttingDown));
            }
        }
    }
}
