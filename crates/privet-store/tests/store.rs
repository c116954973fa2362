//! End-to-end tests of the store: durability, recovery, deduplication, identity merges, profiles and queries.

use std::path::Path;
use std::sync::Arc;

use datafusion::prelude::SessionContext;
use privet_config::StorageConfig;
use privet_model::{
    Dimensions, EventIdentity, MinimalEvent, ProfileOp, ProfileOpKind, ProfileTarget,
    ProfileUpdate, ProjectId, Pseudonym,
};
use privet_store::{Store, Version, WriteBatch, open_read_only, table};

mod common;

const P: ProjectId = ProjectId(1);
const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_763_000_000_000_000;

fn event(
    name: &str,
    time_us: i64,
    device: i64,
    user: Option<i64>,
    insert_id: Option<&str>,
) -> MinimalEvent {
    MinimalEvent {
        name: name.into(),
        time_us,
        insert_id: insert_id.map(str::to_string),
        identity: EventIdentity {
            distinct: Some(Pseudonym(user.unwrap_or(device))),
            device: Some(Pseudonym(device)),
            user: user.map(Pseudonym),
        },
        identity_op: None,
        dims: Dimensions {
            country: Some("DE".into()),
            ..Default::default()
        },
        properties: "{\"plan\":\"pro\"}".into(),
        store: true,
        sealed: None,
    }
}

fn batch(events: Vec<MinimalEvent>) -> WriteBatch {
    WriteBatch {
        project: P,
        events,
        profiles: Vec::new(),
    }
}

/// Writes event number `i` of a device: at `T0 + i`, with `$insert_id` `e{i}`.
async fn write_numbered(store: &Store, name: &str, device: i64, i: i64) {
    let id = format!("e{i}");
    store
        .write(batch(vec![event(name, T0 + i, device, None, Some(&id))]))
        .await
        .unwrap();
}

async fn query(version: Arc<Version>, sql: &str) -> Vec<String> {
    common::query(version, P.0, sql).await
}

fn open(dir: &Path) -> Store {
    Store::open(dir, StorageConfig::default()).unwrap()
}

#[tokio::test]
async fn acknowledged_events_are_queryable_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let outcome = store
        .write(batch(vec![
            event("Signed up", T0, 10, None, Some("a1")),
            event("Signed up", T0 + DAY, 11, None, Some("a2")),
        ]))
        .await
        .unwrap();
    assert_eq!(outcome.stored, 2);
    // Visible at once, before any flush.
    assert_eq!(
        query(store.version(), "SELECT count(*) FROM events").await,
        vec!["2"]
    );
    drop(store);

    // Simulate a crash: reopen without a flush having happened is covered by the next test; here the clean
    // shutdown flushed to segments.
    let store = open(dir.path());
    assert_eq!(store.version().segments.len(), 2, "one segment per day");
    assert_eq!(
        query(
            store.version(),
            "SELECT event, country, count(*) FROM events GROUP BY 1, 2"
        )
        .await,
        vec!["Signed up,DE,2"]
    );
}

#[tokio::test]
async fn log_is_replayed_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .write(batch(vec![event("Viewed", T0, 10, None, Some("x"))]))
        .await
        .unwrap();
    // A crash: the process disappears without flushing (forget skips the shutdown in Drop).
    std::mem::forget(store);
    // The crashed process still holds the lock in this test process; read the directory read-only first.
    let version = open_read_only(dir.path()).unwrap();
    assert_eq!(
        query(version, "SELECT count(*) FROM events").await,
        vec!["1"]
    );
}

#[tokio::test]
async fn duplicates_are_dropped_across_flushes_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let e = event("Purchase", T0, 10, None, Some("same-id"));
    assert_eq!(
        store
            .write(batch(vec![e.clone(), e.clone()]))
            .await
            .unwrap()
            .stored,
        1
    );
    store.flush().await.unwrap();
    assert_eq!(
        store
            .write(batch(vec![e.clone()]))
            .await
            .unwrap()
            .duplicates,
        1
    );
    drop(store);
    let store = open(dir.path());
    let outcome = store.write(batch(vec![e.clone()])).await.unwrap();
    assert_eq!(
        outcome.duplicates, 1,
        "the dedup window is rebuilt from recent segments"
    );
    // Events without an $insert_id are never deduplicated.
    let mut no_id = e.clone();
    no_id.insert_id = None;
    assert_eq!(
        store
            .write(batch(vec![no_id.clone(), no_id]))
            .await
            .unwrap()
            .stored,
        2
    );
    assert_eq!(
        query(store.version(), "SELECT count(*) FROM events").await,
        vec!["3"]
    );
}

#[tokio::test]
async fn merged_people_share_one_person_id_in_every_layer() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // A known user on their laptop, then an anonymous phone that later logs in.
    store
        .write(batch(vec![event("Login", T0, 10, Some(20), None)]))
        .await
        .unwrap();
    store
        .write(batch(vec![event("Page view", T0 + 1, 30, None, None)]))
        .await
        .unwrap();
    store.flush().await.unwrap(); // the phone's event is now in a segment with its own person
    store
        .write(batch(vec![event("Login", T0 + 2, 30, Some(20), None)]))
        .await
        .unwrap();
    assert_eq!(
        query(
            store.version(),
            "SELECT count(DISTINCT person_id) FROM events"
        )
        .await,
        vec!["1"]
    );
    store.flush().await.unwrap();
    store.compact().await.unwrap();
    assert_eq!(
        query(
            store.version(),
            "SELECT count(DISTINCT person_id), count(*) FROM events"
        )
        .await,
        vec!["1,3"]
    );
    drop(store);
    let store = open(dir.path());
    assert_eq!(
        query(
            store.version(),
            "SELECT count(DISTINCT person_id) FROM events"
        )
        .await,
        vec!["1"]
    );
    assert_eq!(
        query(store.version(), "SELECT count(*) FROM people").await,
        vec!["1"]
    );
}

#[tokio::test]
async fn profiles_and_groups_apply_operations() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let person = ProfileTarget::Person(EventIdentity {
        distinct: Some(Pseudonym(42)),
        ..Default::default()
    });
    let op = |kind, payload: &str| ProfileOp {
        kind,
        payload: payload.into(),
    };
    store
        .write(WriteBatch {
            project: P,
            events: vec![],
            profiles: vec![
                ProfileUpdate {
                    target: person.clone(),
                    time_us: T0,
                    ops: vec![op(ProfileOpKind::Set, r#"{"plan":"free","seats":1}"#)],
                },
                ProfileUpdate {
                    target: person,
                    time_us: T0,
                    ops: vec![op(ProfileOpKind::Add, r#"{"seats":2}"#)],
                },
                ProfileUpdate {
                    target: ProfileTarget::Group {
                        key: "company_id".into(),
                        id: Pseudonym(7),
                    },
                    time_us: T0,
                    ops: vec![op(ProfileOpKind::Set, r#"{"tier":"enterprise"}"#)],
                },
            ],
        })
        .await
        .unwrap();
    assert_eq!(
        query(store.version(), "SELECT person_id, properties FROM people").await,
        vec![r#"42,{"plan":"free","seats":3}"#]
    );
    assert_eq!(
        query(
            store.version(),
            "SELECT group_key, group_id, properties FROM groups"
        )
        .await,
        vec![r#"company_id,7,{"tier":"enterprise"}"#]
    );
}

#[tokio::test]
async fn time_filters_prune_days_and_stay_correct() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for day in 0..5 {
        store
            .write(batch(vec![event("Tick", T0 + day * DAY, 10, None, None)]))
            .await
            .unwrap();
    }
    store.flush().await.unwrap();
    let version = store.version();
    let sql = format!(
        "SELECT count(*) FROM events WHERE time >= to_timestamp_micros({}) AND time < to_timestamp_micros({})",
        T0 + DAY,
        T0 + 3 * DAY
    );
    assert_eq!(query(version, &sql).await, vec!["2"]);
}

#[tokio::test]
async fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _store = open(dir.path());
    let err = Store::open(dir.path(), StorageConfig::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("another Privet process"), "{err}");
}

#[tokio::test]
async fn deletions_rewrite_segments_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .write(batch(vec![
            event("Old", T0 - 40 * DAY, 1, None, Some("old-1")),
            event("Old", T0 - 35 * DAY, 2, None, Some("old-2")),
            event("Kept", T0, 3, None, Some("keep-1")),
            event("Mistake", T0, 4, None, Some("oops")),
        ]))
        .await
        .unwrap();
    // One event by insert id, from the memtable (flushed first).
    let n = store
        .delete(P, privet_store::Deletion::InsertIds(vec!["oops".into()]))
        .await
        .unwrap();
    assert_eq!(n, 1);
    // Retention: everything older than 30 days.
    let n = store
        .delete(
            P,
            privet_store::Deletion::TimeRange {
                from_us: i64::MIN,
                to_us: T0 - 30 * DAY,
            },
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        query(store.version(), "SELECT insert_id FROM events").await,
        vec!["keep-1"]
    );
    assert_eq!(
        store.version().segments.len(),
        1,
        "emptied segments are gone"
    );
    // Another project is untouched by a deletion.
    assert_eq!(
        store
            .delete(
                ProjectId(2),
                privet_store::Deletion::InsertIds(vec!["keep-1".into()])
            )
            .await
            .unwrap(),
        0
    );
    drop(store);
    let store = open(dir.path());
    assert_eq!(
        query(store.version(), "SELECT insert_id FROM events").await,
        vec!["keep-1"]
    );
}

#[tokio::test]
async fn compaction_bounds_segment_size() {
    let dir = tempfile::tempdir().unwrap();
    let options = StorageConfig {
        compaction_max_rows: 4,
        ..StorageConfig::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    for i in 0..6 {
        write_numbered(&store, "e", 1, i).await;
        store.flush().await.unwrap();
    }
    assert_eq!(store.version().segments.len(), 6);
    let report = store.compact().await.unwrap();
    // Six one-row segments become segments of at most four rows: 4 + 2.
    assert_eq!((report.segments_in, report.segments_out), (6, 2));
    let mut rows: Vec<u64> = store.version().segments.iter().map(|s| s.rows).collect();
    rows.sort();
    assert_eq!(rows, vec![2, 4]);
    assert_eq!(
        query(store.version(), "SELECT count(*) FROM events").await,
        vec!["6"]
    );
}

/// Events over three days for the column-cache tests: three names, two countries, people 0..40.
/// A literal `time` the way the analytics crate writes one (microseconds, UTC).
fn at(us: i64) -> String {
    format!("arrow_cast({us}, 'Timestamp(Microsecond, Some(\"UTC\"))')")
}

async fn plan(version: Arc<Version>, sql: &str) -> String {
    let ctx = SessionContext::new();
    ctx.register_table("events", table::events(version, P.0).unwrap())
        .unwrap();
    let batches = ctx
        .sql(&format!("EXPLAIN {sql}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn time_bounds_are_applied_by_the_scan_only_where_they_cut_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // Four days of events every 3 hours, in segments; then half a day more, not yet flushed.
    let step = DAY / 8;
    let flushed: Vec<i64> = (0..32).map(|i| T0 + i * step).collect();
    let buffered: Vec<i64> = (32..36).map(|i| T0 + i * step).collect();
    let events = |times: &[i64]| {
        times
            .iter()
            .map(|t| event("Tick", *t, 10 + t % 7, None, None))
            .collect::<Vec<_>>()
    };
    store.write(batch(events(&flushed))).await.unwrap();
    store.flush().await.unwrap();
    store.write(batch(events(&buffered))).await.unwrap();
    let all: Vec<i64> = flushed.iter().chain(&buffered).copied().collect();
    let count = |keep: &dyn Fn(i64) -> bool| all.iter().filter(|t| keep(**t)).count().to_string();

    let (a, b) = (T0 + DAY + 2 * step, T0 + 3 * DAY);
    let cases: Vec<(String, String)> = vec![
        // The projection without `time`, with it, the literal on the left, BETWEEN, equality, an open end.
        (
            format!(
                "SELECT count(*) FROM events WHERE time >= {} AND time < {}",
                at(a),
                at(b)
            ),
            count(&|t| t >= a && t < b),
        ),
        (
            format!(
                "SELECT count(*) FROM events WHERE {} < time AND {} >= time",
                at(a),
                at(b)
            ),
            count(&|t| t > a && t <= b),
        ),
        (
            format!(
                "SELECT count(*) FROM events WHERE time BETWEEN {} AND {}",
                at(a),
                at(b)
            ),
            count(&|t| t >= a && t <= b),
        ),
        (
            format!("SELECT count(*) FROM events WHERE time = {}", at(a)),
            count(&|t| t == a),
        ),
        (
            format!(
                "SELECT count(*) FROM events WHERE time > {}",
                at(T0 + 4 * DAY)
            ),
            count(&|t| t > T0 + 4 * DAY),
        ),
        (
            format!(
                "SELECT count(*) FROM events WHERE time >= {} AND time < {} AND event = 'Tick' AND person_id % 2 = 0",
                at(a),
                at(b)
            ),
            all.iter()
                .filter(|t| **t >= a && **t < b && (10 + **t % 7) % 2 == 0)
                .count()
                .to_string(),
        ),
    ];
    for (sql, expected) in &cases {
        assert_ne!(expected, "0", "{sql}");
        assert_eq!(
            query(store.version(), sql).await,
            vec![expected.clone()],
            "{sql}"
        );
    }
    // Rows come back with their own times, also under a LIMIT.
    let sql = format!("SELECT time FROM events WHERE time >= {} LIMIT 5", at(b));
    let rows = query(store.version(), &sql).await;
    assert_eq!(rows.len(), 5);
    let sql = format!(
        "SELECT min(time), max(time) FROM events WHERE time >= {} AND time < {}",
        at(a),
        at(b)
    );
    let expected = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    assert_eq!(
        query(store.version(), &sql).await,
        vec![format!("{},{}", expected(a), expected(b - step))]
    );

    // Whole days and no buffered rows: no per-row comparison at all.
    store.flush().await.unwrap();
    let whole = format!(
        "SELECT count(*) FROM events WHERE time >= {} AND time < {}",
        at(T0 + DAY),
        at(T0 + 3 * DAY)
    );
    assert!(!plan(store.version(), &whole).await.contains("FilterExec"));
    assert_eq!(query(store.version(), &whole).await, vec!["16"]);
    let cut = format!("SELECT count(*) FROM events WHERE time >= {}", at(a));
    assert!(plan(store.version(), &cut).await.contains("FilterExec"));
}

async fn write_three_days(store: &Store) {
    let mut events = Vec::new();
    for i in 0..600i64 {
        let name = ["Signed up", "Made API call", "Upgraded plan"][(i % 3) as usize];
        let mut e = event(name, T0 + (i % 3) * DAY + i, 100 + i % 40, None, None);
        if i % 4 == 0 {
            e.dims.country = Some("FR".into());
        }
        events.push(e);
    }
    store.write(batch(events)).await.unwrap();
    store.flush().await.unwrap();
}

const CACHE_QUESTIONS: [&str; 4] = [
    "SELECT event, country, count(*), count(DISTINCT person_id), min(time), max(time) FROM events GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT date_trunc('day', time), count(*) FROM events WHERE event = 'Made API call' GROUP BY 1 ORDER BY 1",
    "SELECT person_id, count(*) FROM events WHERE country = 'FR' GROUP BY 1 ORDER BY 1 LIMIT 5",
    // `properties` is never cached: this one reads Parquet beside cached columns of the same scan.
    "SELECT count(*), min(properties) FROM events WHERE time >= to_timestamp_micros(1763086400000000)",
];

#[tokio::test]
async fn cached_columns_answer_like_parquet_and_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    write_three_days(&store).await;
    // A read-only snapshot has no cache: it reads every column from Parquet.
    let parquet = open_read_only(dir.path()).unwrap();
    assert_eq!(parquet.columns.stats().columns, 0);
    for sql in CACHE_QUESTIONS {
        let expected = query(parquet.clone(), sql).await;
        assert!(!expected.is_empty(), "{sql}");
        assert_eq!(query(store.version(), sql).await, expected, "first: {sql}");
        let before = store.version().columns.stats();
        assert_eq!(query(store.version(), sql).await, expected, "again: {sql}");
        let after = store.version().columns.stats();
        assert_eq!(after.misses, before.misses, "nothing decoded twice: {sql}");
        if !sql.contains("properties") {
            assert!(after.hits > before.hits, "served from memory: {sql}");
        }
    }
    let stats = store.version().columns.stats();
    // time, event, person_id and country of three segments.
    assert_eq!(stats.columns, 4 * 3);
    assert!(stats.bytes > 0);
    let metrics = store.metrics();
    assert_eq!(metrics.column_cache_bytes.get(), stats.bytes as i64);
    assert_eq!(metrics.column_cache_hits.get(), stats.hits);
    assert_eq!(metrics.column_cache_misses.get(), stats.misses);
}

#[tokio::test]
async fn cached_columns_of_replaced_segments_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for round in 0..4 {
        store
            .write(batch(vec![event("Tick", T0 + round, round, None, None)]))
            .await
            .unwrap();
        store.flush().await.unwrap();
    }
    let sql = "SELECT count(DISTINCT person_id), max(time) FROM events";
    let expected = vec![format!(
        "4,{}",
        chrono::DateTime::from_timestamp_micros(T0 + 3)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
    )];
    assert_eq!(query(store.version(), sql).await, expected);
    assert_eq!(store.version().columns.stats().columns, 2 * 4);
    store.compact().await.unwrap();
    assert_eq!(store.version().segments.len(), 1);
    assert_eq!(
        store.version().columns.stats(),
        privet_store::columns::CacheStats {
            columns: 0,
            bytes: 0,
            ..store.version().columns.stats()
        },
        "the four merged segments' columns are gone"
    );
    assert_eq!(store.metrics().column_cache_bytes.get(), 0);
    assert_eq!(query(store.version(), sql).await, expected);
    assert_eq!(store.version().columns.stats().columns, 2);
}

#[tokio::test]
async fn a_small_column_cache_keeps_what_fits_and_answers_the_rest_from_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let budget = 3_000;
    let options = StorageConfig {
        column_cache_bytes: budget,
        ..StorageConfig::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    write_three_days(&store).await;
    let parquet = open_read_only(dir.path()).unwrap();
    for sql in CACHE_QUESTIONS {
        let expected = query(parquet.clone(), sql).await;
        for _ in 0..2 {
            assert_eq!(query(store.version(), sql).await, expected, "{sql}");
        }
    }
    let stats = store.version().columns.stats();
    assert!(stats.bytes <= budget, "{stats:?}");
    assert!(stats.columns > 0 && stats.columns < 4 * 3, "{stats:?}");

    // Off means off.
    drop(store);
    let options = StorageConfig {
        column_cache_bytes: 0,
        ..StorageConfig::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    assert_eq!(
        query(store.version(), CACHE_QUESTIONS[0]).await,
        query(parquet, CACHE_QUESTIONS[0]).await
    );
    assert_eq!(store.version().columns.stats().columns, 0);
}

/// Group commits without identity or profile changes write nothing to the metadata database; the flush records
/// how far their state is applied, so the log files a flush covers are still deleted.
#[tokio::test]
async fn a_flush_truncates_the_log_of_event_only_commits() {
    let dir = tempfile::tempdir().unwrap();
    let options = StorageConfig {
        wal_file_bytes: 4096,
        ..Default::default()
    };
    let store = Store::open(dir.path(), options.clone()).unwrap();
    for i in 0..200 {
        write_numbered(&store, "Viewed", 10, i).await;
    }
    let wal = privet_store::store_dir(dir.path()).join("wal");
    // Log files with records (prepared, empty files wait after them).
    let wal_files = || {
        privet_store::wal::list_files(&wal)
            .unwrap()
            .iter()
            .filter(|(_, path)| privet_store::wal::read_first_lsn(path).unwrap().is_some())
            .count()
    };
    assert!(wal_files() >= 3, "{} log files", wal_files());
    store.flush().await.unwrap();
    assert_eq!(wal_files(), 1, "only the newest log file is kept");
    drop(store);
    // Nothing is replayed twice: the restarted store holds each event once.
    let store = Store::open(dir.path(), options).unwrap();
    assert_eq!(
        query(
            store.version(),
            "SELECT count(*), count(DISTINCT insert_id) FROM events"
        )
        .await,
        vec!["200,200"]
    );
}
