//! The compactor thread: merges a day's small segments into bigger ones (up to `compaction_max_rows`).
//!
//! Every flush adds one segment per (project, day) it touched, so a busy day accumulates many small files.
//! Compaction reads them, applies identity remaps, drops `$insert_id` duplicates that got past the writer's
//! in-memory window, sorts by (person, time) and writes one segment, swapping the manifest atomically. Old files
//! are deleted after a grace period, so queries that already planned with them finish undisturbed.
//!
//! Deletions (one event by `$insert_id`, a time range, retention) run here too, so they never race a merge:
//! every segment that holds a deleted event is rewritten without it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::TimestampMicrosecondType;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde::Serialize;
use tokio::sync::oneshot;

use privet_model::withheld::{Dimension, Publisher};

use crate::meta::{Meta, SegmentInfo};
use crate::publication::{Publication, PublicationReport};
use crate::{Result, Shared, StoreError, flush, segment};

/// A project and a UTC day number.
type DayKey = (i64, i32);

/// Replaced segment files, and since when, deleted after [`GRACE`].
pub(crate) type Graveyard = Vec<(std::path::PathBuf, Instant)>;

/// How often the compactor looks for work on its own.
const INTERVAL: Duration = Duration::from_secs(30);
/// How long replaced segment files are kept for queries that still read them.
const GRACE: Duration = Duration::from_secs(120);

/// A request to the compactor.
pub enum Request {
    /// Compact now; with `force`, every day with more than one segment.
    Run {
        reply: oneshot::Sender<Result<CompactionReport>>,
        force: bool,
    },
    /// From now on, publish withheld values with this publisher (see [`crate::publication`]); runs a first pass
    /// and replies with it.
    Publisher {
        publisher: Arc<dyn Publisher>,
        reply: std::sync::mpsc::Sender<Result<PublicationReport>>,
    },
    /// A flush wrote sealed rows: run a publication pass if one is due.
    Flushed,
    /// Run a publication pass now.
    Publish {
        reply: oneshot::Sender<Result<PublicationReport>>,
    },
    /// Rewrite a project's segments without the events a deletion names; replies with the number deleted.
    Delete {
        project: i64,
        deletion: Deletion,
        reply: oneshot::Sender<Result<u64>>,
    },
    Stop,
}

/// Events to delete from a project's segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// The events with these `$insert_id`s.
    InsertIds(Vec<String>),
    /// The events with `from_us <= time < to_us` (retention uses `i64::MIN` as `from_us`).
    TimeRange { from_us: i64, to_us: i64 },
}

impl Deletion {
    fn may_touch(&self, segment: &SegmentInfo) -> bool {
        match self {
            Deletion::InsertIds(_) => true,
            Deletion::TimeRange { from_us, to_us } => {
                segment.max_time >= *from_us && segment.min_time < *to_us
            }
        }
    }

    /// Which rows of `batch` survive.
    fn keep(&self, batch: &RecordBatch) -> BooleanArray {
        match self {
            Deletion::InsertIds(ids) => {
                let ids: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
                let column = batch.column(crate::schema::INSERT_ID).as_string::<i32>();
                column
                    .iter()
                    .map(|id| Some(!id.is_some_and(|id| ids.contains(id))))
                    .collect()
            }
            Deletion::TimeRange { from_us, to_us } => {
                let column = batch
                    .column(crate::schema::TIME)
                    .as_primitive::<TimestampMicrosecondType>();
                column
                    .iter()
                    .map(|t| Some(!t.is_some_and(|t| t >= *from_us && t < *to_us)))
                    .collect()
            }
        }
    }
}

/// What a compaction run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CompactionReport {
    pub days: usize,
    pub segments_in: usize,
    pub segments_out: usize,
    pub rows_in: u64,
    pub rows_out: u64,
}

pub(crate) fn run(shared: Arc<Shared>, mut meta: Meta, requests: Receiver<Request>) {
    background_priority();
    let mut graveyard: Graveyard = Vec::new();
    let mut publication: Option<Publication> = None;
    let publish =
        |meta: &mut Meta, graveyard: &mut Graveyard, publication: &mut Option<Publication>| {
            match publication {
                Some(p) => p.run(&shared, meta, graveyard),
                None => Ok(PublicationReport::default()),
            }
        };
    let publish_logged =
        |meta: &mut Meta, graveyard: &mut Graveyard, publication: &mut Option<Publication>| {
            if let Err(error) = publish(meta, graveyard, publication) {
                tracing::error!(error = %error, "publication failed");
            }
        };
    loop {
        let request = requests.recv_timeout(INTERVAL);
        match request {
            Ok(Request::Run { reply, force }) => {
                publish_logged(&mut meta, &mut graveyard, &mut publication);
                let _ = reply.send(compact(&shared, &mut meta, force, &mut graveyard));
            }
            Ok(Request::Publisher { publisher, reply }) => {
                let started = Publication::start(publisher, &meta).and_then(|p| {
                    publication = Some(p);
                    publish(&mut meta, &mut graveyard, &mut publication)
                });
                let _ = reply.send(started);
            }
            Ok(Request::Flushed) => {
                if publication.as_ref().is_some_and(Publication::due) {
                    publish_logged(&mut meta, &mut graveyard, &mut publication);
                }
            }
            Ok(Request::Publish { reply }) => {
                let _ = reply.send(publish(&mut meta, &mut graveyard, &mut publication));
            }
            Ok(Request::Delete {
                project,
                deletion,
                reply,
            }) => {
                let _ = reply.send(delete(
                    &shared,
                    &mut meta,
                    project,
                    &deletion,
                    &mut graveyard,
                ));
            }
            Ok(Request::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                // Paced: a pass that rewrote a lot waits ten times as long before the next one.
                if publication.as_ref().is_some_and(Publication::due) {
                    publish_logged(&mut meta, &mut graveyard, &mut publication);
                }
                if let Err(error) = compact(&shared, &mut meta, false, &mut graveyard) {
                    tracing::error!(error = %error, "compaction failed");
                }
            }
        }
        graveyard.retain(|(path, at)| {
            if at.elapsed() < GRACE {
                return true;
            }
            let _ = std::fs::remove_file(path);
            false
        });
    }
}

/// Lowers this thread's scheduling priority (nice 10): merges and publication passes are background work and
/// must not take the cores from requests being acknowledged. (Linux applies `setpriority` to the calling thread.)
fn background_priority() {
    // SAFETY: setpriority only reads its arguments; who = 0 names the calling thread.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
    if result != 0 {
        tracing::debug!("cannot lower the compactor thread's priority");
    }
}

fn compact(
    shared: &Shared,
    meta: &mut Meta,
    force: bool,
    graveyard: &mut Graveyard,
) -> Result<CompactionReport> {
    let version = shared.version.lock().clone();
    // Segments with sealed rows are merged only with each other, so that publication has small files to rewrite.
    let mut by_day: BTreeMap<(i64, i32, bool), Vec<Arc<SegmentInfo>>> = BTreeMap::new();
    for s in version.segments.iter() {
        by_day
            .entry((s.project, s.day, s.sealed > 0))
            .or_default()
            .push(s.clone());
    }
    let threshold = if force {
        2
    } else {
        shared.options.compaction_min_segments.max(2)
    };
    // A merge holds its inputs in memory: merge small segments into segments of at most
    // `compaction_max_rows`, and leave segments that are already that big alone.
    let mut groups: Vec<(DayKey, Vec<Arc<SegmentInfo>>)> = Vec::new();
    for ((project, day, sealed), mut segments) in by_day {
        let key = (project, day);
        // Sealed segments stay small: publication rewrites one whenever one of its rows can show more.
        let cap = if sealed {
            shared
                .options
                .compaction_max_rows
                .min(flush::SEALED_MAX_ROWS)
        } else {
            shared.options.compaction_max_rows
        }
        .max(1) as u64;
        segments.retain(|s| s.rows < cap / 2);
        segments.sort_by_key(|s| s.rows);
        let mut group: Vec<Arc<SegmentInfo>> = Vec::new();
        let mut rows = 0;
        for s in segments {
            if rows + s.rows > cap && !group.is_empty() {
                groups.push((key, std::mem::take(&mut group)));
                rows = 0;
            }
            rows += s.rows;
            group.push(s);
        }
        if !group.is_empty() {
            groups.push((key, group));
        }
    }
    let mut report = CompactionReport::default();
    for ((project, _), inputs) in groups {
        if inputs.len() < threshold {
            continue;
        }
        let started = Instant::now();
        let mut batches: Vec<RecordBatch> = Vec::new();
        for s in &inputs {
            batches.extend(
                segment::read(&version.segment_path(s), None)
                    .map_err(|e| StoreError::io(format!("cannot read segment {}", s.path), e))?,
            );
        }
        let remaps = version.remaps_of(project);
        let batches: Vec<RecordBatch> = batches
            .iter()
            .map(|b| segment::apply_remaps(b, &remaps))
            .collect();
        let created_us = inputs.iter().map(|s| s.created_us).max().unwrap_or(0);
        let mut added = Vec::new();
        for (day, rows) in segment::by_day(&batches) {
            added.extend(flush::write_segments(
                shared,
                project,
                day,
                rows.chunks(),
                created_us,
            )?);
        }
        let rows_out: u64 = added.iter().map(|s| s.rows).sum();
        let segments_out = added.len();
        report.rows_out += rows_out;
        swap(
            shared,
            meta,
            &version,
            &inputs,
            added,
            (project, 0, &[]),
            graveyard,
        )?;
        tracing::debug!(
            project,
            segments_in = inputs.len(),
            segments_out,
            rows_out,
            ms = started.elapsed().as_millis() as u64,
            "merged segments"
        );
        report.days += 1;
        report.segments_in += inputs.len();
        report.segments_out += segments_out;
        report.rows_in += inputs.iter().map(|s| s.rows).sum::<u64>();
        shared.metrics.compactions.inc();
    }
    Ok(report)
}

/// Replaces `inputs` by `added` in the manifest and the visible version, recording the values of a project the
/// new segments publish (see [`crate::publication`]) in the same transaction; the old files go to the graveyard.
pub(crate) fn swap(
    shared: &Shared,
    meta: &mut Meta,
    version: &crate::Version,
    inputs: &[Arc<SegmentInfo>],
    mut added: Vec<SegmentInfo>,
    publishing: (i64, usize, &[(Dimension, String)]),
    graveyard: &mut Graveyard,
) -> Result<()> {
    let removed: Vec<i64> = inputs.iter().map(|s| s.id).collect();
    meta.replace_segments(&removed, &mut added, publishing)?;
    let added: Vec<Arc<SegmentInfo>> = added.into_iter().map(Arc::new).collect();
    // By path: the manifest may give a removed segment's id to a segment the flusher adds meanwhile.
    let gone: std::collections::HashSet<&str> = inputs.iter().map(|s| s.path.as_str()).collect();
    shared.publish(|v| {
        let mut all: Vec<Arc<SegmentInfo>> = v
            .segments
            .iter()
            .filter(|s| !gone.contains(s.path.as_str()))
            .cloned()
            .collect();
        all.extend(added.iter().cloned());
        v.segments = Arc::new(all);
        shared.metrics.segments.set(v.segments.len() as i64);
    });
    let now = Instant::now();
    graveyard.extend(inputs.iter().map(|s| (version.segment_path(s), now)));
    Ok(())
}

/// Rewrites every segment of `project` that holds events named by `deletion`, without them.
fn delete(
    shared: &Shared,
    meta: &mut Meta,
    project: i64,
    deletion: &Deletion,
    graveyard: &mut Graveyard,
) -> Result<u64> {
    let version = shared.version.lock().clone();
    let mut deleted = 0;
    let targets: Vec<Arc<SegmentInfo>> = version
        .segments
        .iter()
        .filter(|s| s.project == project && deletion.may_touch(s))
        .cloned()
        .collect();
    for input in targets {
        let batches = segment::read(&version.segment_path(&input), None)
            .map_err(|e| StoreError::io(format!("cannot read segment {}", input.path), e))?;
        let kept: Vec<RecordBatch> = batches
            .iter()
            .map(|b| filter_record_batch(b, &deletion.keep(b)).expect("the mask fits the batch"))
            .collect();
        let rows = |batches: &[RecordBatch]| batches.iter().map(|b| b.num_rows()).sum::<usize>();
        let gone = (rows(&batches) - rows(&kept)) as u64;
        if gone == 0 {
            continue;
        }
        let added = flush::write_segments(shared, project, input.day, kept, input.created_us)?;
        swap(
            shared,
            meta,
            &version,
            std::slice::from_ref(&input),
            added,
            (project, 0, &[]),
            graveyard,
        )?;
        deleted += gone;
    }
    Ok(deleted)
}
