//! The flusher thread: writes frozen memtables to Parquet segments.
//!
//! For each project and UTC day in the memtable it applies identity remaps, sorts by (person, time) and writes a
//! segment; then, in one synchronous metadata transaction, it records the segments, the people's first and last
//! seen times and the `events_flushed` checkpoint. Only then does it swap the memtable for the segments in the
//! visible version and delete the log files the checkpoint covers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use crossbeam_channel::Receiver;
use hashbrown::HashMap;
use tokio::sync::oneshot;

use crate::memtable::Memtable;
use crate::meta::{EVENTS_FLUSHED, Meta, STATE_APPLIED, SegmentInfo};
use crate::schema::{PERSON_ID, SEALED, TIME};
use crate::segment::SegmentWriter;
use crate::{Result, Shared, StoreError, compaction, segment, wal};

/// A frozen memtable to write, and whoever waits for it.
pub(crate) struct FlushJob {
    pub memtable: Arc<Memtable>,
    /// The writer's [`state_applied`](crate::writer::Writer::state_applied) when it froze the memtable.
    pub state_applied: u64,
    pub waiters: Vec<oneshot::Sender<Result<()>>>,
}

pub(crate) fn run(
    shared: Arc<Shared>,
    mut meta: Meta,
    jobs: Receiver<FlushJob>,
    pending: Arc<AtomicUsize>,
    compactor: crossbeam_channel::Sender<compaction::Request>,
) {
    for job in jobs {
        let mut delay = Duration::from_millis(100);
        let mut waiters = job.waiters;
        loop {
            match flush(&shared, &mut meta, &job.memtable, job.state_applied) {
                Ok(sealed) => {
                    if sealed {
                        // New sealed rows: the compactor may publish what they complete (if a pass is due).
                        let _ = compactor.send(compaction::Request::Flushed);
                    }
                    for waiter in waiters.drain(..) {
                        let _ = waiter.send(Ok(()));
                    }
                    break;
                }
                Err(error) => {
                    // The events are safe in the log; keep them visible in memory and try again.
                    tracing::error!(error = %error, retry_in = ?delay, "flush failed");
                    for waiter in waiters.drain(..) {
                        let _ = waiter.send(Err(StoreError::Unavailable(error.to_string())));
                    }
                    if shared.stopping.load(Ordering::Acquire) {
                        // The events stay in the log and are replayed at the next start.
                        break;
                    }
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
        pending.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Writes a memtable's rows to segments; says whether any of them carry sealed values.
fn flush(
    shared: &Shared,
    meta: &mut Meta,
    memtable: &Arc<Memtable>,
    state_applied: u64,
) -> Result<bool> {
    let started = Instant::now();
    let remaps = shared.version.lock().remaps.clone();
    let mut segments = Vec::new();
    let mut activity = Vec::new();
    let now_us = privet_model::time::now_us();
    for (project, batches) in memtable.projects() {
        if batches.is_empty() {
            continue;
        }
        let project_remaps = remaps.get(&project).cloned().unwrap_or_default();
        let batches: Vec<RecordBatch> = batches
            .iter()
            .map(|b| segment::apply_remaps(b, &project_remaps))
            .collect();
        activity.extend(person_activity(project, &batches));
        for (day, rows) in segment::by_day(&batches) {
            segments.extend(write_segments(shared, project, day, rows.chunks(), now_us)?);
        }
    }
    let lsn = memtable.max_lsn();
    let sealed = segments.iter().any(|s| s.sealed > 0);
    meta.commit_flush(&mut segments, &activity, lsn, state_applied)?;
    let added: Vec<Arc<SegmentInfo>> = segments.into_iter().map(Arc::new).collect();
    shared.publish(|v| {
        let mut all = (*v.segments).clone();
        all.extend(added.iter().cloned());
        v.segments = Arc::new(all);
        v.flushing.retain(|m| !Arc::ptr_eq(m, memtable));
        shared.metrics.segments.set(v.segments.len() as i64);
    });
    let checkpoint = meta
        .checkpoint(EVENTS_FLUSHED)?
        .min(meta.checkpoint(STATE_APPLIED)?);
    wal::truncate_dir(&shared.dir.join("wal"), checkpoint)
        .map_err(|e| StoreError::io("cannot delete old log files", e))?;
    shared
        .metrics
        .flush_seconds
        .observe(started.elapsed().as_secs_f64());
    tracing::debug!(
        rows = memtable.rows(),
        lsn,
        ms = started.elapsed().as_millis() as u64,
        "flushed"
    );
    Ok(sealed)
}

/// Largest segment of sealed rows written: publication rewrites a sealed segment whenever one of its rows can
/// show more, reading it whole.
pub(crate) const SEALED_MAX_ROWS: usize = 50_000;

/// Writes `project`'s rows of `day`, given in segment order a batch at a time, as segments: the rows that carry
/// sealed, withheld dimensions in segments of their own of at most [`SEALED_MAX_ROWS`] (publication rewrites only
/// those, so they stay small), the others in one. Segments are written as the batches arrive, so only one batch
/// and the writers' current row groups are held. Returns the segments to record in the manifest (none for no
/// rows).
pub(crate) fn write_segments(
    shared: &Shared,
    project: i64,
    day: i32,
    batches: impl IntoIterator<Item = RecordBatch>,
    created_us: i64,
) -> Result<Vec<SegmentInfo>> {
    let io = |e| StoreError::io("cannot write a segment", e);
    let open = || -> Result<(String, SegmentWriter)> {
        let relative = segment_path(project, day);
        let writer =
            SegmentWriter::create(&shared.dir.join(&relative), shared.options.row_group_rows)
                .map_err(io)?;
        Ok((relative, writer))
    };
    let close = |(path, writer): (String, SegmentWriter), sealed: bool| -> Result<SegmentInfo> {
        let written = writer.finish().map_err(io)?;
        Ok(SegmentInfo {
            id: 0,
            project,
            day,
            path,
            rows: written.rows as u64,
            bytes: written.bytes,
            min_time: written.min_time,
            max_time: written.max_time,
            created_us,
            sealed: if sealed { written.rows as u64 } else { 0 },
        })
    };
    let mut out = Vec::new();
    let written = write_parts(&mut out, batches, open, close);
    if written.is_err() {
        // The finished segments are in no manifest: remove them rather than leave them for the next start.
        for segment in &out {
            let _ = std::fs::remove_file(shared.dir.join(&segment.path));
        }
    }
    written.map(|()| out)
}

/// [`write_segments`]' loop: finished segments go to `out` as they close.
fn write_parts(
    out: &mut Vec<SegmentInfo>,
    batches: impl IntoIterator<Item = RecordBatch>,
    open: impl Fn() -> Result<(String, SegmentWriter)>,
    close: impl Fn((String, SegmentWriter), bool) -> Result<SegmentInfo>,
) -> Result<()> {
    let io = |e| StoreError::io("cannot write a segment", e);
    let mut plain: Option<(String, SegmentWriter)> = None;
    let mut sealed: Option<(String, SegmentWriter)> = None;
    for batch in batches {
        let mask = arrow::compute::is_not_null(batch.column(SEALED)).expect("a column");
        let (plain_rows, mut sealed_rows) = match mask.true_count() {
            0 => (batch, None),
            n if n == batch.num_rows() => (batch.slice(0, 0), Some(batch)),
            _ => {
                let others = arrow::compute::not(&mask).expect("a mask");
                (
                    filter_record_batch(&batch, &others).expect("mask fits"),
                    Some(filter_record_batch(&batch, &mask).expect("mask fits")),
                )
            }
        };
        if plain_rows.num_rows() > 0 {
            let writer = match &mut plain {
                Some(open) => open,
                None => plain.insert(open()?),
            };
            writer.1.write(&plain_rows).map_err(io)?;
        }
        while let Some(rows) = sealed_rows.take().filter(|r| r.num_rows() > 0) {
            let writer = match &mut sealed {
                Some(open) => open,
                None => sealed.insert(open()?),
            };
            let take = (SEALED_MAX_ROWS - writer.1.rows()).min(rows.num_rows());
            writer.1.write(&rows.slice(0, take)).map_err(io)?;
            if writer.1.rows() >= SEALED_MAX_ROWS {
                out.push(close(sealed.take().expect("just written"), true)?);
            }
            sealed_rows = Some(rows.slice(take, rows.num_rows() - take));
        }
    }
    if let Some(writer) = plain {
        out.push(close(writer, false)?);
    }
    if let Some(writer) = sealed {
        out.push(close(writer, true)?);
    }
    Ok(())
}

/// A unique relative path for a new segment of `project` on `day`.
pub(crate) fn segment_path(project: i64, day: i32) -> String {
    use std::sync::atomic::AtomicU64;
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let date = chrono::DateTime::from_timestamp(day as i64 * 86_400, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("day{day}"));
    let unique = format!(
        "{:016x}{:04x}",
        privet_model::time::now_us(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed) & 0xffff
    );
    format!("segments/p{project}/{date}/{unique}.parquet")
}

/// (project, person, first seen, last seen) of every person in the batches.
fn person_activity(project: i64, batches: &[RecordBatch]) -> Vec<(i64, i64, i64, i64)> {
    let mut seen: HashMap<i64, (i64, i64)> = HashMap::new();
    for batch in batches {
        let persons = batch.column(PERSON_ID).as_primitive::<Int64Type>();
        let times = batch
            .column(TIME)
            .as_primitive::<TimestampMicrosecondType>();
        for (person, time) in persons.iter().zip(times.values().iter()) {
            let Some(person) = person else { continue };
            seen.entry(person)
                .and_modify(|(first, last)| {
                    *first = (*first).min(*time);
                    *last = (*last).max(*time);
                })
                .or_insert((*time, *time));
        }
    }
    seen.into_iter()
        .map(|(person, (first, last))| (project, person, first, last))
        .collect()
}
