//! Publication: k-anonymity at rest, the store's part.
//!
//! The pipeline stores a region, a city or an OS/browser combination only once it is *published*; until then an
//! event carries something coarser, and the precise values ride along sealed in the hidden `_sealed` column
//! (`privet_model::withheld`). Rows with sealed values are kept in segments of their own.
//!
//! A publication pass, run by the compactor thread (at start, before every compaction, on request, and in the
//! background every 30 seconds, paced so that it takes at most a tenth of the thread), opens the sealed rows (each segment once; the results are
//! cached), counts the distinct people per withheld value, and publishes every value that at least `k` people
//! share: it rewrites every sealed segment holding a row that can now show more, and swaps them in, together
//! with the record of the published values, in one manifest transaction. So a value appears in the store for
//! `k` people at once, never for fewer, and never before: the rows written before the value was published
//! become precise too, because their precise values were kept sealed. Only then is the pipeline told, so that it
//! stores the value directly from then on.
//!
//! People are counted by `person_id` after identity merges. Erasing or deleting people later can leave a
//! published value with fewer than `k` people; it stays published (the store does not count plain rows).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, RecordBatch, StringDictionaryBuilder,
};
use arrow::datatypes::{Int32Type, Int64Type};
use hashbrown::{HashMap, HashSet};
use privet_model::withheld::{self, Dimension, Publisher, Withheld};
use privet_model::{Dim, Dimensions};
use serde::Serialize;

use crate::compaction::{Graveyard, swap};
use crate::meta::{Meta, SegmentInfo};
use crate::schema::{DIMENSIONS, PERSON_ID, SEALED};
use crate::{Result, Shared, StoreError, Version, flush, segment};

/// The dimension columns a sealed value can change, from `country` (index [`DIMENSIONS`]) to `device_type`.
const PLACE_AND_CLIENT: usize = 8;

/// What a publication pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PublicationReport {
    /// Values published by this pass.
    pub published: usize,
    /// Sealed segments rewritten.
    pub segments_rewritten: usize,
    /// Rows that now show more than before.
    pub rows_unsealed: u64,
    /// Sealed values that could not be opened (sealed under another vault's key); they stay as they are.
    pub unreadable: u64,
}

impl std::ops::AddAssign for PublicationReport {
    fn add_assign(&mut self, other: Self) {
        self.published += other.published;
        self.segments_rewritten += other.segments_rewritten;
        self.rows_unsealed += other.rows_unsealed;
        self.unreadable += other.unreadable;
    }
}

/// A sealed row, opened: whose it is and the values (interned) it needs published to show what it holds back.
struct Sighting {
    person: Option<i64>,
    keys: [u32; 4],
}

const NO_KEY: u32 = u32::MAX;

/// A project's withheld values, numbered.
#[derive(Default)]
struct Values {
    ids: HashMap<(Dimension, String), u32>,
    /// Per id: the value and whether it is published.
    values: Vec<((Dimension, String), bool)>,
}

impl Values {
    fn intern(
        &mut self,
        key: (Dimension, String),
        published: impl FnOnce(&(Dimension, String)) -> bool,
    ) -> u32 {
        if let Some(id) = self.ids.get(&key) {
            return *id;
        }
        let id = self.values.len() as u32;
        let shown = published(&key);
        self.ids.insert(key.clone(), id);
        self.values.push((key, shown));
        id
    }
}

/// The publication state kept by the compactor thread.
pub(crate) struct Publication {
    publisher: Arc<dyn Publisher>,
    /// Sealed segments already opened, by path (never reused, unlike manifest ids).
    opened: HashMap<String, Arc<Vec<Sighting>>>,
    values: HashMap<i64, Values>,
    unreadable: HashMap<String, u64>,
    /// When the next background pass may run.
    next: Instant,
}

/// Background passes take at most a tenth of the compactor thread: a pass that took `d` is followed by a pause of
/// at least `PACE × d` (values that reach `k` meanwhile are published together at the next pass; until then
/// they stay sealed, so pacing costs precision for a while, never privacy).
const PACE: u32 = 10;

impl Publication {
    /// Starts publishing with `publisher`, first telling it which values `meta` records as published with at
    /// least the project's current k (raising k hides values again until they reach the new one).
    pub fn start(publisher: Arc<dyn Publisher>, meta: &Meta) -> Result<Self> {
        let mut by_project: BTreeMap<i64, Vec<(Dimension, String)>> = BTreeMap::new();
        for (project, dimension, key, k) in meta.published()? {
            if k >= publisher.k(project) {
                by_project
                    .entry(project)
                    .or_default()
                    .push((dimension, key));
            }
        }
        for (project, keys) in by_project {
            publisher.publish(project, &keys);
        }
        Ok(Publication::new(publisher))
    }

    fn new(publisher: Arc<dyn Publisher>) -> Self {
        Publication {
            publisher,
            opened: HashMap::new(),
            values: HashMap::new(),
            unreadable: HashMap::new(),
            next: Instant::now(),
        }
    }

    /// Whether a background pass is due.
    pub fn due(&self) -> bool {
        Instant::now() >= self.next
    }

    /// Publishes every withheld value that `k` people now share, in every project.
    pub fn run(
        &mut self,
        shared: &Shared,
        meta: &mut Meta,
        graveyard: &mut Graveyard,
    ) -> Result<PublicationReport> {
        let started = Instant::now();
        let report = self.all(shared, meta, graveyard);
        self.next = Instant::now() + started.elapsed() * PACE;
        report
    }

    fn all(
        &mut self,
        shared: &Shared,
        meta: &mut Meta,
        graveyard: &mut Graveyard,
    ) -> Result<PublicationReport> {
        let version = shared.version.lock().clone();
        let mut by_project: BTreeMap<i64, Vec<Arc<SegmentInfo>>> = BTreeMap::new();
        for s in version.segments.iter().filter(|s| s.sealed > 0) {
            by_project.entry(s.project).or_default().push(s.clone());
        }
        let live: HashSet<&str> = version.segments.iter().map(|s| s.path.as_str()).collect();
        self.opened.retain(|path, _| live.contains(path.as_str()));
        self.unreadable
            .retain(|path, _| live.contains(path.as_str()));
        let mut report = PublicationReport::default();
        for (project, segments) in by_project {
            // One project's failure (an unreadable segment, a full disk) leaves the others' passes alone.
            match self.project(shared, meta, &version, project, &segments, graveyard) {
                Ok(done) => report += done,
                Err(error) => tracing::error!(project, error = %error, "publication failed"),
            }
        }
        report.unreadable = self.unreadable.values().sum();
        Ok(report)
    }

    fn project(
        &mut self,
        shared: &Shared,
        meta: &mut Meta,
        version: &Arc<Version>,
        project: i64,
        segments: &[Arc<SegmentInfo>],
        graveyard: &mut Graveyard,
    ) -> Result<PublicationReport> {
        let started = Instant::now();
        for s in segments {
            if !self.opened.contains_key(&s.path) {
                let sightings = self.open_segment(version, project, s)?;
                self.opened.insert(s.path.clone(), Arc::new(sightings));
            }
        }
        let k = self.publisher.k(project).max(1);
        let remaps = version.remaps_of(project);
        let values = self.values.entry(project).or_default();
        // Distinct people per value not yet published (a value stops counting once it reaches k).
        let mut people: HashMap<u32, HashSet<i64>> = HashMap::new();
        for s in segments {
            for sighting in self.opened[&s.path].iter() {
                let Some(person) = sighting.person else {
                    continue;
                };
                let person = remaps.get(&person).copied().unwrap_or(person);
                for id in sighting.keys.iter().filter(|id| **id != NO_KEY) {
                    if !values.values[*id as usize].1 {
                        let seen = people.entry(*id).or_default();
                        if seen.len() < k {
                            seen.insert(person);
                        }
                    }
                }
            }
        }
        let mut newly: Vec<u32> = people
            .into_iter()
            .filter(|(_, seen)| seen.len() >= k)
            .map(|(id, _)| id)
            .collect();
        newly.sort_unstable();
        let shown = |id: u32, newly: &[u32]| {
            id != NO_KEY && (values.values[id as usize].1 || newly.binary_search(&id).is_ok())
        };
        // Every sealed segment with a row that can now show more (also rows sealed before an earlier
        // publication reached the pipeline).
        let affected: Vec<Arc<SegmentInfo>> = segments
            .iter()
            .filter(|s| {
                self.opened[&s.path]
                    .iter()
                    .any(|sighting| sighting.keys.iter().any(|id| shown(*id, &newly)))
            })
            .cloned()
            .collect();
        if affected.is_empty() {
            return Ok(PublicationReport::default());
        }
        let published: Vec<(Dimension, String)> = newly
            .iter()
            .map(|id| values.values[*id as usize].0.clone())
            .collect();
        let mut newly_published: HashMap<Dimension, HashSet<String>> = HashMap::new();
        for (dimension, key) in &published {
            newly_published
                .entry(*dimension)
                .or_default()
                .insert(key.clone());
        }
        let mut report = PublicationReport {
            published: published.len(),
            segments_rewritten: affected.len(),
            ..Default::default()
        };
        let mut added = Vec::new();
        for s in &affected {
            let batches = segment::read(&version.segment_path(s), None)
                .map_err(|e| StoreError::io(format!("cannot read segment {}", s.path), e))?;
            // Batch by batch (64K rows), each unsealed as the writer reaches it: the rows' text and the
            // rewritten copy are held for one batch at a time.
            let mut unsealed = 0;
            let rewritten = batches.iter().map(|batch| {
                let (batch, n) = self.unseal(project, batch, &newly_published);
                unsealed += n;
                batch
            });
            added.extend(flush::write_segments(
                shared,
                project,
                s.day,
                rewritten,
                s.created_us,
            )?);
            report.rows_unsealed += unsealed;
        }
        swap(
            shared,
            meta,
            version,
            &affected,
            added,
            (project, k, &published),
            graveyard,
        )?;
        // The store shows the values now; from here on the pipeline may store them directly.
        self.publisher.publish(project, &published);
        let values = self.values.get_mut(&project).expect("interned above");
        for id in newly {
            values.values[id as usize].1 = true;
        }
        tracing::info!(
            project,
            published = report.published,
            segments = report.segments_rewritten,
            rows = report.rows_unsealed,
            ms = started.elapsed().as_millis() as u64,
            "published values now shared by k people"
        );
        Ok(report)
    }

    /// Opens the sealed rows of a segment.
    fn open_segment(
        &mut self,
        version: &Version,
        project: i64,
        segment: &SegmentInfo,
    ) -> Result<Vec<Sighting>> {
        let mut columns = vec![PERSON_ID];
        columns.extend(DIMENSIONS..DIMENSIONS + PLACE_AND_CLIENT);
        columns.push(SEALED);
        let batches = segment::read(&version.segment_path(segment), Some(columns))
            .map_err(|e| StoreError::io(format!("cannot read segment {}", segment.path), e))?;
        let publisher = self.publisher.clone();
        let values = self.values.entry(project).or_default();
        let mut sightings = Vec::new();
        let mut unreadable = 0;
        for batch in batches {
            let persons = batch.column(0).as_primitive::<Int64Type>();
            let sealed = batch.column(PLACE_AND_CLIENT + 1).as_binary::<i32>();
            for row in 0..batch.num_rows() {
                let Some((precise, held)) = precise(&publisher, project, &batch, 1, sealed, row)
                else {
                    unreadable += u64::from(sealed.is_valid(row));
                    continue;
                };
                let mut keys = [NO_KEY; 4];
                for (slot, key) in keys.iter_mut().zip(withheld::keys(&precise, &held)) {
                    *slot = values.intern(key, |(d, k)| publisher.is_published(project, *d, k));
                }
                sightings.push(Sighting {
                    person: persons.is_valid(row).then(|| persons.value(row)),
                    keys,
                });
            }
        }
        if unreadable > 0 {
            tracing::warn!(
                segment = %segment.path,
                rows = unreadable,
                "sealed values that this vault cannot open stay sealed"
            );
            self.unreadable.insert(segment.path.clone(), unreadable);
        }
        Ok(sightings)
    }

    /// Shows in `batch` everything that is published, `newly` included; returns the new batch and how many rows
    /// changed.
    fn unseal(
        &self,
        project: i64,
        batch: &RecordBatch,
        newly: &HashMap<Dimension, HashSet<String>>,
    ) -> (RecordBatch, u64) {
        let sealed = batch.column(SEALED).as_binary::<i32>();
        // Each row's place and client columns, as shown now.
        let mut rows: Vec<[Option<Dim>; PLACE_AND_CLIENT]> = (0..batch.num_rows())
            .map(|row| std::array::from_fn(|c| text(batch.column(DIMENSIONS + c), row)))
            .collect();
        let mut blobs = BinaryBuilder::new();
        let mut changed = 0;
        let published = |d: Dimension, k: &str| {
            newly.get(&d).is_some_and(|keys| keys.contains(k))
                || self.publisher.is_published(project, d, k)
        };
        for (row, current) in rows.iter_mut().enumerate() {
            let Some((mut dims, held)) =
                precise(&self.publisher, project, batch, DIMENSIONS, sealed, row)
            else {
                blobs.append_option(sealed.is_valid(row).then(|| sealed.value(row)));
                continue;
            };
            let rest = withheld::withhold(&mut dims, &published);
            let now = place_and_client(&dims);
            if *current != now {
                changed += 1;
                *current = now;
            }
            if rest.is_empty() {
                blobs.append_null();
            } else if rest == held {
                blobs.append_value(sealed.value(row));
            } else {
                blobs.append_value(self.publisher.seal(project, &rest));
            }
        }
        let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
        for c in 0..PLACE_AND_CLIENT {
            let mut builder = StringDictionaryBuilder::<Int32Type>::new();
            for values in &rows {
                builder.append_option(values[c].as_deref());
            }
            arrays[DIMENSIONS + c] = Arc::new(builder.finish());
        }
        arrays[SEALED] = Arc::new(blobs.finish()) as Arc<BinaryArray>;
        let batch = RecordBatch::try_new(batch.schema(), arrays).expect("same schema");
        (batch, changed)
    }
}

/// The precise place and client of a sealed row (its dimension columns, starting at `first`, with the sealed
/// values put back, as far as the project's policy still allows) and what it holds back. `None` for rows without
/// a sealed value, or with one this vault cannot open.
fn precise(
    publisher: &Arc<dyn Publisher>,
    project: i64,
    batch: &RecordBatch,
    first: usize,
    sealed: &BinaryArray,
    row: usize,
) -> Option<(Dimensions, Withheld)> {
    if !sealed.is_valid(row) {
        return None;
    }
    let withheld = publisher.open(project, sealed.value(row))?;
    let at = |c: usize| text(batch.column(first + c), row);
    let mut dims = Dimensions {
        country: at(0),
        region: at(1),
        city: at(2),
        os: at(3),
        os_version: at(4),
        browser: at(5),
        browser_version: at(6),
        device_type: at(7),
        ..Default::default()
    };
    let mut withheld = withheld;
    withheld::restore(&mut dims, withheld.clone());
    withheld::cap(&mut dims, &mut withheld, &|d| publisher.allows(project, d));
    Some((dims, withheld))
}

/// The place and client columns of `dims`, in schema order.
fn place_and_client(dims: &Dimensions) -> [Option<Dim>; PLACE_AND_CLIENT] {
    [
        dims.country.clone(),
        dims.region.clone(),
        dims.city.clone(),
        dims.os.clone(),
        dims.os_version.clone(),
        dims.browser.clone(),
        dims.browser_version.clone(),
        dims.device_type.clone(),
    ]
}

/// A row of a dictionary-encoded text column.
fn text(column: &ArrayRef, row: usize) -> Option<Dim> {
    let dictionary = column.as_dictionary::<Int32Type>();
    if !dictionary.is_valid(row) {
        return None;
    }
    let key = dictionary.keys().value(row) as usize;
    Some(dictionary.values().as_string::<i32>().value(key).into())
}
