//! Parquet segments: one file per (project, UTC day) flush or compaction, sorted by (`person_id`, `time`).
//!
//! Day partitioning lets a time-range query skip whole files; sorting by person then time puts each person's
//! events next to each other, in order, which is what funnels, retention and flows walk through (the layout
//! Mixpanel's Arb engine uses), and it makes `person_id` compress to almost nothing.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::durable::{SyncingFile, sync_dir};
use crate::schema::{PERSON_ID, SEALED, TIME, file_schema};
use crate::version::Remaps;

/// Rewrites `person_id` through the identity remaps (no copy when nothing changes).
pub fn apply_remaps(batch: &RecordBatch, remaps: &Remaps) -> RecordBatch {
    if remaps.is_empty() {
        return batch.clone();
    }
    let persons = batch.column(PERSON_ID).as_primitive::<Int64Type>();
    if !persons.iter().flatten().any(|p| remaps.contains_key(&p)) {
        return batch.clone();
    }
    let remapped: Int64Array = persons
        .iter()
        .map(|p| p.map(|p| remaps.get(&p).copied().unwrap_or(p)))
        .collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns[PERSON_ID] = Arc::new(remapped);
    RecordBatch::try_new(batch.schema(), columns).expect("same schema")
}

/// Rows gathered per batch when writing: a flush or a merge holds one such batch of its output at a time.
pub const CHUNK_ROWS: usize = 16 * 1024;

/// One UTC day's rows of a set of batches, in segment order: positions into the batches, gathered
/// [`CHUNK_ROWS`] at a time.
pub struct DayRows<'a> {
    batches: Vec<&'a RecordBatch>,
    indices: Vec<(usize, usize)>,
}

impl DayRows<'_> {
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The rows, in order, as batches of at most [`CHUNK_ROWS`] rows, each gathered when it is reached.
    pub fn chunks(&self) -> impl Iterator<Item = RecordBatch> + '_ {
        self.indices.chunks(CHUNK_ROWS).map(|indices| {
            arrow::compute::interleave_record_batch(&self.batches, indices)
                .expect("indices in range")
        })
    }
}

/// Turns batches into segments' contents: per UTC day of `time`, the rows without sealed values, then those
/// with them, each run sorted by (`person_id` ascending, nulls last; `time` ascending), keeping the first row of
/// every `_dedup` key (rows without one are all kept). Each run becomes its own segments (`flush::write_segments`).
///
/// Nothing is concatenated or copied whole: the sort runs over a small index (32 bytes per row, then 16), and a
/// writer gathers each day's rows from the batches a chunk at a time ([`DayRows::chunks`]), so a flush or a merge
/// holds its input and one chunk of output.
pub fn by_day(batches: &[RecordBatch]) -> Vec<(i32, DayRows<'_>)> {
    // (day, sealed, person with nulls last, time, batch, row), in arrival order, duplicates dropped. Within a
    // day the plain rows come first and the sealed ones after them, each run sorted by (person, time): a writer
    // splitting them into their own segments switches once instead of filtering every chunk.
    let total = batches.iter().map(|b| b.num_rows()).sum();
    let mut seen = hashbrown::HashSet::with_capacity(total);
    let mut rows: Vec<(i32, bool, u64, i64, u32, u32)> = Vec::with_capacity(total);
    for (b, batch) in batches.iter().enumerate() {
        let persons = batch.column(PERSON_ID).as_primitive::<Int64Type>();
        let times = batch
            .column(TIME)
            .as_primitive::<TimestampMicrosecondType>();
        let keys = batch
            .column(crate::schema::DEDUP)
            .as_primitive::<arrow::datatypes::UInt64Type>();
        let sealed = batch.column(SEALED);
        for row in 0..batch.num_rows() {
            if keys.is_valid(row) && !seen.insert(keys.value(row)) {
                continue;
            }
            // Order-preserving map of i64 to u64 with nulls after every value.
            let person = if persons.is_valid(row) {
                (persons.value(row) as u64) ^ (1 << 63)
            } else {
                u64::MAX
            };
            let time = times.value(row);
            rows.push((
                privet_model::time::day_of(time),
                sealed.is_valid(row),
                person,
                time,
                b as u32,
                row as u32,
            ));
        }
    }
    drop(seen);
    // Equal (person, time) keep their arrival order: (batch, row) is part of the key, so the key is unique.
    rows.sort_unstable();
    let mut days = Vec::new();
    for day_rows in rows.chunk_by(|a, b| a.0 == b.0) {
        let indices = day_rows
            .iter()
            .map(|&(_, _, _, _, b, row)| (b as usize, row as usize))
            .collect();
        days.push((
            day_rows[0].0,
            DayRows {
                batches: batches.iter().collect(),
                indices,
            },
        ));
    }
    days
}

/// Minimum and maximum `time` of a non-empty batch.
pub fn time_range(batch: &RecordBatch) -> (i64, i64) {
    let times = batch
        .column(TIME)
        .as_primitive::<TimestampMicrosecondType>();
    let min = arrow::compute::min(times).unwrap_or(0);
    let max = arrow::compute::max(times).unwrap_or(0);
    (min, max)
}

/// A segment being written: sorted rows go in batch by batch (the Parquet writer holds one row group), and
/// [`SegmentWriter::finish`] makes the file durable: temporary file, fsync, rename, fsync of the directory. A
/// writer dropped unfinished (an error on the way) removes its temporary file.
///
/// What reaches the file is synced on the way ([`SyncingFile`]), not only at the end, so that the write-ahead
/// log's fsync never queues behind a large segment's.
pub struct SegmentWriter {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<ArrowWriter<SyncingFile>>,
    rows: usize,
    min_time: i64,
    max_time: i64,
}

/// A segment file written by a [`SegmentWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub bytes: u64,
    pub rows: usize,
    pub min_time: i64,
    pub max_time: i64,
}

impl SegmentWriter {
    pub fn create(path: &Path, row_group_rows: usize) -> std::io::Result<SegmentWriter> {
        let dir = path.parent().expect("segment paths have a parent");
        std::fs::create_dir_all(dir)?;
        let tmp = path.with_extension("parquet.tmp");
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(1).expect("valid level"),
            ))
            .set_max_row_group_row_count(Some(row_group_rows.max(1024)))
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_sorting_columns(Some(vec![
                SortingColumn {
                    column_idx: PERSON_ID as i32,
                    descending: false,
                    nulls_first: false,
                },
                SortingColumn {
                    column_idx: TIME as i32,
                    descending: false,
                    nulls_first: false,
                },
            ]))
            .set_created_by(format!("privet {}", env!("CARGO_PKG_VERSION")))
            .build();
        let file = File::create(&tmp)?;
        let writer = ArrowWriter::try_new(SyncingFile::new(file), file_schema(), Some(props))
            .map_err(std::io::Error::other)?;
        Ok(SegmentWriter {
            path: path.to_path_buf(),
            tmp,
            writer: Some(writer),
            rows: 0,
            min_time: i64::MAX,
            max_time: i64::MIN,
        })
    }

    /// Appends rows (in segment order, after those written so far).
    pub fn write(&mut self, batch: &RecordBatch) -> std::io::Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let (min, max) = time_range(batch);
        self.min_time = self.min_time.min(min);
        self.max_time = self.max_time.max(max);
        self.rows += batch.num_rows();
        let writer = self.writer.as_mut().expect("open until finished");
        writer.write(batch).map_err(std::io::Error::other)
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Closes the file and makes it durable under its final name.
    pub fn finish(mut self) -> std::io::Result<Written> {
        let writer = self.writer.take().expect("open until finished");
        let file = writer
            .into_inner()
            .map_err(std::io::Error::other)?
            .finish()?;
        let bytes = file.metadata()?.len();
        drop(file);
        std::fs::rename(&self.tmp, &self.path)?;
        sync_dir(self.path.parent().expect("segment paths have a parent"))?;
        Ok(Written {
            bytes,
            rows: self.rows,
            min_time: self.min_time,
            max_time: self.max_time,
        })
    }
}

impl Drop for SegmentWriter {
    fn drop(&mut self) {
        // Unfinished, or `finish` failed before the rename: the temporary file is of no use to anyone.
        if self.tmp.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Reads a segment back (compaction, publication, dedup rebuild): every column of the file schema, or the
/// `projection`'s (in ascending order). Columns added to the file schema after a segment was written (such as
/// `_sealed`) read as nulls.
pub fn read(path: &Path, projection: Option<Vec<usize>>) -> std::io::Result<Vec<RecordBatch>> {
    let file = File::open(path)?;
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(std::io::Error::other)?
        .with_batch_size(64 * 1024);
    let present = builder.schema().fields().len();
    let wanted = projection.unwrap_or_else(|| (0..file_schema().fields().len()).collect());
    let mask = parquet::arrow::ProjectionMask::roots(
        builder.parquet_schema(),
        wanted.iter().copied().filter(|c| *c < present),
    );
    builder = builder.with_projection(mask);
    let reader = builder.build().map_err(std::io::Error::other)?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(std::io::Error::other)?;
    if wanted.iter().all(|c| *c < present) {
        return Ok(batches);
    }
    let schema = Arc::new(
        file_schema()
            .project(&wanted)
            .map_err(std::io::Error::other)?,
    );
    batches
        .into_iter()
        .map(|batch| {
            let mut read = batch.columns().iter();
            let columns: Vec<ArrayRef> = wanted
                .iter()
                .map(|c| match read.next() {
                    Some(column) if *c < present => column.clone(),
                    _ => arrow::array::new_null_array(
                        file_schema().field(*c).data_type(),
                        batch.num_rows(),
                    ),
                })
                .collect();
            RecordBatch::try_new(schema.clone(), columns).map_err(std::io::Error::other)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::SYNC_STEP;
    use crate::schema::rows_to_batch;
    use privet_model::{Dimensions, EventRow, time::DAY_US};

    /// A day's rows as one batch.
    fn gathered(rows: &DayRows<'_>) -> RecordBatch {
        arrow::compute::concat_batches(&file_schema(), &rows.chunks().collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn sealed_rows_follow_the_plain_ones_of_their_day() {
        let mut rows: Vec<EventRow> = (0..6).map(|i| row(Some(5 - i), i, None)).collect();
        for r in rows.iter_mut().step_by(2) {
            r.sealed = Some(vec![1]);
        }
        let batch = rows_to_batch(rows.iter());
        let days = by_day(std::slice::from_ref(&batch));
        let day = gathered(&days[0].1);
        // Persons 5, 3, 1 were sealed: each run sorted by person on its own.
        assert_eq!(
            persons(&day),
            vec![Some(0), Some(2), Some(4), Some(1), Some(3), Some(5)]
        );
        assert_eq!(day.column(SEALED).null_count(), 3);
    }

    #[test]
    fn a_day_is_gathered_a_chunk_at_a_time_in_order() {
        let n = 2 * CHUNK_ROWS + 100;
        // Two input batches, interleaved in time, persons descending: the sort must cross both.
        let rows: Vec<EventRow> = (0..n as i64).map(|i| row(Some(-i), i, None)).collect();
        let (a, b) = rows.split_at(n / 2);
        let batches = [rows_to_batch(b.iter()), rows_to_batch(a.iter())];
        let days = by_day(&batches);
        assert_eq!(days.len(), 1);
        let chunks: Vec<RecordBatch> = days[0].1.chunks().collect();
        assert_eq!(
            chunks.iter().map(|c| c.num_rows()).collect::<Vec<_>>(),
            vec![CHUNK_ROWS, CHUNK_ROWS, 100]
        );
        let expected: Vec<Option<i64>> = (0..n as i64).rev().map(|i| Some(-i)).collect();
        assert_eq!(persons(&gathered(&days[0].1)), expected);
    }

    #[test]
    fn an_unfinished_segment_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p1/day/seg.parquet");
        let mut writer = SegmentWriter::create(&path, 1024).unwrap();
        writer
            .write(&rows_to_batch([row(Some(1), 1, None)].iter()))
            .unwrap();
        assert!(path.with_extension("parquet.tmp").exists());
        drop(writer);
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            0
        );
    }

    #[test]
    fn a_segment_written_in_batches_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p1/day/seg.parquet");
        let mut writer = SegmentWriter::create(&path, 1024).unwrap();
        for start in [0i64, 3000, 6000] {
            let rows: Vec<EventRow> = (start..start + 3000)
                .map(|i| row(Some(i), i, None))
                .collect();
            writer.write(&rows_to_batch(rows.iter())).unwrap();
        }
        assert_eq!(writer.rows(), 9000);
        let written = writer.finish().unwrap();
        assert_eq!(
            (written.rows, written.min_time, written.max_time),
            (9000, 0, 8999)
        );
        let back = read(&path, None).unwrap();
        let persons: Vec<i64> = back
            .iter()
            .flat_map(|b| {
                b.column(PERSON_ID)
                    .as_primitive::<Int64Type>()
                    .values()
                    .to_vec()
            })
            .collect();
        assert_eq!(persons, (0..9000).collect::<Vec<_>>());
    }

    /// A large segment is synced on the way, a step at a time, not only when it is finished.
    #[test]
    fn a_large_segment_is_synced_as_it_grows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p1/day/seg.parquet");
        let mut writer = SegmentWriter::create(&path, 1024).unwrap();
        // Hex of a multiplicative hash: zstd halves it at most, so 24,000 rows of 1 KB fill more than a step.
        let noise = |i: u64| -> String {
            (0..64)
                .map(|j| format!("{:016x}", (i * 64 + j).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
                .collect()
        };
        for start in (0..24_000i64).step_by(4000) {
            let rows: Vec<EventRow> = (start..start + 4000)
                .map(|i| EventRow {
                    properties: format!(r#"{{"x":"{}"}}"#, noise(i as u64)),
                    ..row(Some(i), i, None)
                })
                .collect();
            writer.write(&rows_to_batch(rows.iter())).unwrap();
        }
        let inner = writer.writer.as_ref().unwrap();
        let (written, synced) = (inner.bytes_written() as u64, inner.inner().synced());
        assert!(
            written > 2 * SYNC_STEP as u64,
            "{written} bytes reached the file"
        );
        assert!(
            synced >= written - SYNC_STEP as u64 - (1 << 20) && synced <= written,
            "synced {synced} of {written}"
        );
        assert_eq!(writer.finish().unwrap().rows, 24_000);
    }

    fn row(person: Option<i64>, time_us: i64, dedup: Option<u64>) -> EventRow {
        EventRow {
            time_us,
            name: "e".into(),
            insert_id: None,
            person_id: person,
            device_id: None,
            dims: Dimensions::default(),
            properties: "{}".into(),
            dedup_key: dedup,
            sealed: None,
        }
    }

    fn persons(batch: &RecordBatch) -> Vec<Option<i64>> {
        batch
            .column(PERSON_ID)
            .as_primitive::<Int64Type>()
            .iter()
            .collect()
    }

    #[test]
    fn days_are_sorted_by_person_then_time_without_duplicates() {
        let first = [
            row(Some(2), 5, Some(7)),
            row(None, 1, None),
            row(Some(1), DAY_US + 9, None),
        ];
        let second = [
            row(Some(2), 3, None),
            row(Some(-4), 8, None),
            row(Some(3), 2, Some(7)),
            row(None, 1, None),
        ];
        let batches = [rows_to_batch(first.iter()), rows_to_batch(second.iter())];
        let days: Vec<(i32, RecordBatch)> = by_day(&batches)
            .into_iter()
            .map(|(day, rows)| (day, gathered(&rows)))
            .collect();
        assert_eq!(days.iter().map(|(d, _)| *d).collect::<Vec<_>>(), vec![0, 1]);
        // The second key 7 is a duplicate (the first one, person 2, stays); nulls last, both kept.
        assert_eq!(
            persons(&days[0].1),
            vec![Some(-4), Some(2), Some(2), None, None]
        );
        let times: Vec<i64> = days[0]
            .1
            .column(TIME)
            .as_primitive::<TimestampMicrosecondType>()
            .values()
            .to_vec();
        assert_eq!(times, vec![8, 3, 5, 1, 1]);
        assert_eq!(persons(&days[1].1), vec![Some(1)]);
        assert_eq!(time_range(&days[0].1), (1, 8));
    }

    #[test]
    fn segments_round_trip_through_parquet() {
        let rows = [row(Some(1), 10, None), row(Some(2), 20, None)];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p1/seg.parquet");
        let mut writer = SegmentWriter::create(&path, 1024).unwrap();
        writer.write(&rows_to_batch(rows.iter())).unwrap();
        assert!(writer.finish().unwrap().bytes > 0);
        assert!(!path.with_extension("parquet.tmp").exists());
        let back = read(&path, None).unwrap();
        assert_eq!(back.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
        assert_eq!(back[0].schema(), file_schema());
    }

    #[test]
    fn remaps_and_dedup() {
        let rows = [
            row(Some(1), 1, Some(7)),
            row(Some(2), 2, Some(7)),
            row(Some(3), 3, None),
            row(Some(3), 3, None),
        ];
        let batch = rows_to_batch(rows.iter());
        let remaps: Remaps = [(3, 1)].into_iter().collect();
        assert_eq!(
            persons(&apply_remaps(&batch, &remaps)),
            vec![Some(1), Some(2), Some(1), Some(1)]
        );
        let deduped: usize = by_day(std::slice::from_ref(&batch))
            .iter()
            .map(|(_, rows)| rows.len())
            .sum();
        assert_eq!(deduped, 3);
    }
}
