//! The compactor thread: merges a day's small segments into one.
//!
//! Every flush adds one segment per (project, day) it touched, so a busy day accumulates many small files.
//! Compaction reads them, applies identity remaps, drops `$insert_id` duplicates that got past the writer's
//! in-memory window, sorts by (person, time) and writes one segment, swapping the manifest atomically. Old files
//! are deleted after a grace period, so queries that already planned with them finish undisturbed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde::Serialize;
use tokio::sync::oneshot;

use crate::meta::{Meta, SegmentInfo};
use crate::schema::file_schema;
use crate::{Result, Shared, StoreError, flush, segment};

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
    Stop,
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
    let mut graveyard: Vec<(std::path::PathBuf, Instant)> = Vec::new();
    loop {
        let request = requests.recv_timeout(INTERVAL);
        match request {
            Ok(Request::Run { reply, force }) => {
                let _ = reply.send(compact(&shared, &mut meta, force, &mut graveyard));
            }
            Ok(Request::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
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

fn compact(
    shared: &Shared,
    meta: &mut Meta,
    force: bool,
    graveyard: &mut Vec<(std::path::PathBuf, Instant)>,
) -> Result<CompactionReport> {
    let version = shared.version.lock().clone();
    let mut by_day: BTreeMap<(i64, i32), Vec<Arc<SegmentInfo>>> = BTreeMap::new();
    for s in version.segments.iter() {
        by_day
            .entry((s.project, s.day))
            .or_default()
            .push(s.clone());
    }
    let threshold = if force {
        2
    } else {
        shared.options.compaction_min_segments.max(2)
    };
    let mut report = CompactionReport::default();
    for ((project, day), inputs) in by_day {
        if inputs.len() < threshold {
            continue;
        }
        let mut batches: Vec<RecordBatch> = Vec::new();
        for s in &inputs {
            batches.extend(
                segment::read(&version.segment_path(s), None)
                    .map_err(|e| StoreError::io(format!("cannot read segment {}", s.path), e))?,
            );
        }
        let all = concat_batches(&file_schema(), &batches).expect("segments share the file schema");
        let remaps = version.remaps_of(project);
        let merged =
            segment::sort_for_segment(&segment::dedup(&segment::apply_remaps(&all, &remaps)));
        let relative = flush::segment_path(project, day);
        let bytes = segment::write(
            &shared.dir.join(&relative),
            &merged,
            shared.options.row_group_rows,
        )
        .map_err(|e| StoreError::io("cannot write a compacted segment", e))?;
        let (min_time, max_time) = segment::time_range(&merged);
        let mut added = vec![SegmentInfo {
            id: 0,
            project,
            day,
            path: relative,
            rows: merged.num_rows() as u64,
            bytes,
            min_time,
            max_time,
            created_us: inputs.iter().map(|s| s.created_us).max().unwrap_or(0),
        }];
        let removed: Vec<i64> = inputs.iter().map(|s| s.id).collect();
        meta.replace_segments(&removed, &mut added)?;
        let added = Arc::new(added.remove(0));
        shared.publish(|v| {
            let mut all: Vec<Arc<SegmentInfo>> = v
                .segments
                .iter()
                .filter(|s| !removed.contains(&s.id))
                .cloned()
                .collect();
            all.push(added.clone());
            v.segments = Arc::new(all);
            shared.metrics.segments.set(v.segments.len() as i64);
        });
        let now = Instant::now();
        graveyard.extend(inputs.iter().map(|s| (version.segment_path(s), now)));
        report.days += 1;
        report.segments_in += inputs.len();
        report.segments_out += 1;
        report.rows_in += inputs.iter().map(|s| s.rows).sum::<u64>();
        report.rows_out += added.rows;
        shared.metrics.compactions.inc();
    }
    Ok(report)
}
