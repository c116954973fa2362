//! Events that are durable in the log but not yet in a segment, kept as Arrow batches so that queries see them
//! immediately.

use std::collections::HashMap;
use std::time::Instant;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;

use crate::schema::file_schema;

/// Batches smaller than this are merged together once there are many of them.
const SMALL_BATCH_ROWS: usize = 8192;
/// How many small batches may accumulate before they are merged.
const MAX_SMALL_BATCHES: usize = 16;

/// The in-memory buffer of one or more projects' recent events.
#[derive(Clone, Default)]
pub struct Memtable {
    batches: HashMap<i64, Vec<RecordBatch>>,
    rows: usize,
    bytes: usize,
    max_lsn: u64,
    started: Option<Instant>,
}

impl Memtable {
    /// Adds a batch of events of `project` from log record `lsn`.
    pub fn push(&mut self, project: i64, batch: RecordBatch, lsn: u64) {
        self.max_lsn = self.max_lsn.max(lsn);
        if batch.num_rows() == 0 {
            return;
        }
        self.started.get_or_insert_with(Instant::now);
        self.rows += batch.num_rows();
        self.bytes += batch.get_array_memory_size();
        let batches = self.batches.entry(project).or_default();
        batches.push(batch);
        let small = batches
            .iter()
            .rev()
            .take_while(|b| b.num_rows() < SMALL_BATCH_ROWS)
            .count();
        if small > MAX_SMALL_BATCHES {
            let tail = batches.split_off(batches.len() - small);
            let merged =
                concat_batches(&file_schema(), &tail).expect("batches share the file schema");
            self.bytes -= tail
                .iter()
                .map(RecordBatch::get_array_memory_size)
                .sum::<usize>();
            self.bytes += merged.get_array_memory_size();
            batches.push(merged);
        }
    }

    /// Records that log records up to `lsn` are covered even though they carried no events.
    pub fn note_lsn(&mut self, lsn: u64) {
        self.max_lsn = self.max_lsn.max(lsn);
        // Profile-only records also need a flush eventually, so that their log files can be deleted.
        self.started.get_or_insert_with(Instant::now);
    }

    /// Number of buffered events.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Memory held by the buffered batches, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The highest log record whose events are in this buffer.
    pub fn max_lsn(&self) -> u64 {
        self.max_lsn
    }

    /// When the first event was buffered.
    pub fn started(&self) -> Option<Instant> {
        self.started
    }

    /// The batches of one project.
    pub fn project(&self, project: i64) -> &[RecordBatch] {
        self.batches.get(&project).map_or(&[], Vec::as_slice)
    }

    /// Every project's batches.
    pub fn projects(&self) -> impl Iterator<Item = (i64, &[RecordBatch])> {
        self.batches.iter().map(|(p, b)| (*p, b.as_slice()))
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::rows_to_batch;
    use privet_model::{Dimensions, EventRow};

    fn batch(n: usize) -> RecordBatch {
        let rows: Vec<EventRow> = (0..n)
            .map(|i| EventRow {
                time_us: i as i64,
                name: "e".into(),
                insert_id: None,
                person_id: Some(1),
                device_id: None,
                dims: Dimensions::default(),
                properties: "{}".into(),
                dedup_key: None,
                sealed: None,
            })
            .collect();
        rows_to_batch(rows.iter())
    }

    #[test]
    fn small_batches_are_merged() {
        let mut m = Memtable::default();
        for lsn in 1..=40 {
            m.push(1, batch(3), lsn);
        }
        assert_eq!(m.rows(), 120);
        let held: usize = m
            .project(1)
            .iter()
            .map(RecordBatch::get_array_memory_size)
            .sum();
        assert_eq!(m.bytes(), held);
        assert_eq!(m.max_lsn(), 40);
        assert!(m.project(1).len() <= MAX_SMALL_BATCHES + 1);
        assert_eq!(
            m.project(1).iter().map(|b| b.num_rows()).sum::<usize>(),
            120
        );
        assert!(m.project(2).is_empty());
    }
}
