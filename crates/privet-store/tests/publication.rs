//! k-anonymity at rest: withheld places and clients are published for `k` people at once, never for fewer.
//!
//! The test plays the pipeline's part (it applies `privet_model::withheld` and seals what is withheld with a
//! stand-in publisher) and checks what the store shows through SQL, segment by segment, across restarts.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use privet_config::StorageConfig;
use privet_model::withheld::{self, Dimension, Publisher, Withheld};
use privet_model::{Dimensions, EventIdentity, MinimalEvent, ProjectId, Pseudonym};
use privet_store::{Store, WriteBatch};

mod common;

const P: ProjectId = ProjectId(1);
const T0: i64 = 1_763_000_000_000_000;
const K: usize = 3;

/// "Seals" by keeping the values in a list and handing out the project and the index (the store never looks
/// inside; the vault's real sealing is tested in `privet-vault`).
struct TestPublisher {
    k: usize,
    published: Mutex<HashSet<(i64, Dimension, String)>>,
    /// Set to act as if the project's policy were lowered to region precision (per publisher: tests run in
    /// parallel).
    region_only: Mutex<bool>,
}

impl Default for TestPublisher {
    fn default() -> Self {
        TestPublisher {
            k: K,
            published: Mutex::default(),
            region_only: Mutex::new(false),
        }
    }
}

impl Publisher for TestPublisher {
    fn k(&self, _project: i64) -> usize {
        self.k
    }

    fn seal(&self, project: i64, withheld: &Withheld) -> Vec<u8> {
        let mut sealed = SEALED.lock();
        sealed.push(withheld.clone());
        let mut out = project.to_le_bytes().to_vec();
        out.extend(((sealed.len() - 1) as u64).to_le_bytes());
        out
    }

    fn open(&self, project: i64, sealed: &[u8]) -> Option<Withheld> {
        let (p, index) = sealed.split_at(8);
        (p == project.to_le_bytes()).then_some(())?;
        let index = u64::from_le_bytes(index.try_into().ok()?) as usize;
        SEALED.lock().get(index).cloned()
    }

    fn is_published(&self, project: i64, dimension: Dimension, key: &str) -> bool {
        self.published
            .lock()
            .contains(&(project, dimension, key.to_string()))
    }

    fn publish(&self, project: i64, keys: &[(Dimension, String)]) {
        let mut published = self.published.lock();
        for (d, k) in keys {
            published.insert((project, *d, k.clone()));
        }
    }

    fn allows(&self, _project: i64, dimension: Dimension) -> bool {
        dimension != Dimension::City || !*self.region_only.lock()
    }
}

static SEALED: Mutex<Vec<Withheld>> = Mutex::new(Vec::new());

/// An event of `person` in `city` (Occitanie, France) with Firefox `version` on Linux, minimised as the
/// pipeline would with what `publisher` has published.
fn event(publisher: &TestPublisher, person: i64, city: &str, version: &str) -> MinimalEvent {
    let mut dims = Dimensions {
        country: Some("FR".into()),
        region: Some("Occitanie".into()),
        city: Some(city.into()),
        os: Some("Linux".into()),
        browser: Some("Firefox".into()),
        browser_version: Some(version.into()),
        device_type: Some("desktop".into()),
        url_path: Some("/pricing".into()),
        ..Default::default()
    };
    let rest = withheld::withhold(&mut dims, &|d, k| publisher.is_published(P.0, d, k));
    MinimalEvent {
        name: "Viewed".into(),
        time_us: T0 + person,
        insert_id: None,
        identity: EventIdentity {
            distinct: Some(Pseudonym(person)),
            device: None,
            user: None,
        },
        identity_op: None,
        dims,
        properties: "{}".into(),
        store: true,
        sealed: (!rest.is_empty()).then(|| publisher.seal(P.0, &rest)),
    }
}

async fn write(store: &Store, events: Vec<MinimalEvent>) {
    store
        .write(WriteBatch {
            project: P,
            events,
            profiles: Vec::new(),
        })
        .await
        .unwrap();
}

async fn rows(store: &Store, sql: &str) -> Vec<String> {
    common::query(store.version(), P.0, sql).await
}

/// People per shown (region, city) and per shown browser version.
async fn shown(store: &Store) -> (Vec<String>, Vec<String>) {
    let places = rows(
        store,
        "SELECT region, city, count(DISTINCT person_id) FROM events WHERE region IS NOT NULL \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .await;
    let versions = rows(
        store,
        "SELECT browser, browser_version, count(DISTINCT person_id) FROM events \
         WHERE browser IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .await;
    (places, versions)
}

/// The sealed rows of each segment that holds any, smallest first.
fn sealed(store: &Store) -> Vec<u64> {
    let mut sealed: Vec<u64> = store
        .version()
        .segments
        .iter()
        .map(|s| s.sealed)
        .filter(|n| *n > 0)
        .collect();
    sealed.sort();
    sealed
}

fn open(dir: &Path, publisher: &Arc<TestPublisher>) -> Store {
    let store = Store::open(dir, StorageConfig::default()).unwrap();
    store.set_publisher(publisher.clone()).unwrap();
    store
}

#[tokio::test]
async fn values_appear_for_k_people_at_once_and_never_for_fewer() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = Arc::new(TestPublisher::default());
    let store = open(dir.path(), &publisher);

    // Two people in Albi, each flushed on their own: below k, nothing but the country and device show.
    for person in [1, 2] {
        write(&store, vec![event(&publisher, person, "Albi", "133")]).await;
        store.flush().await.unwrap();
    }
    let report = store.publish().await.unwrap();
    assert_eq!(report.published, 0);
    assert_eq!(shown(&store).await, (vec![], vec![]));
    assert_eq!(
        rows(
            &store,
            "SELECT country, device_type, count(*) FROM events GROUP BY 1, 2"
        )
        .await,
        vec!["FR,desktop,2"]
    );

    // The third person makes k: region, city and the full client combination appear for all three at once,
    // on the rows written before as well. Someone in Rodez, in the same flush, gets the region and client (now
    // published) but not the city.
    write(
        &store,
        vec![
            event(&publisher, 3, "Albi", "133"),
            event(&publisher, 8, "Rodez", "133"),
        ],
    )
    .await;
    // (The pass that follows the flush in the background may do the work before the one asked for here: check
    // the outcome, not which pass produced it.)
    store.publish().await.unwrap();
    assert_eq!(
        shown(&store).await,
        (
            vec!["Occitanie,Albi,3".to_string(), "Occitanie,,1".to_string()],
            vec!["Firefox,133,4".to_string()]
        )
    );
    assert_eq!(sealed(&store), vec![1], "only Rodez stays sealed, apart");
    // A second pass finds nothing more to do (the rewritten segments are new files).
    assert_eq!(
        store.publish().await.unwrap(),
        Default::default(),
        "nothing to publish or rewrite"
    );

    // From now on the pipeline stores Albi directly; a town with two people stays hidden, while its region
    // (published) shows; a version used by two people shows as its family only.
    write(
        &store,
        vec![
            event(&publisher, 4, "Albi", "133"),
            event(&publisher, 5, "Castres", "134"),
            event(&publisher, 6, "Castres", "134"),
        ],
    )
    .await;
    assert!(
        publisher.is_published(P.0, Dimension::City, "Albi|Occitanie|FR"),
        "the pipeline was told"
    );
    store.publish().await.unwrap();
    let (places, versions) = shown(&store).await;
    assert_eq!(places, vec!["Occitanie,Albi,4", "Occitanie,,3"]);
    assert_eq!(versions, vec!["Firefox,133,5", "Firefox,,2"]);
    assert_eq!(sealed(&store), vec![1, 2]);
    drop(store);

    // Restarted with a higher k, values published with the lower one are not published for new events.
    let higher = Arc::new(TestPublisher {
        k: K + 2,
        ..Default::default()
    });
    let store = open(dir.path(), &higher);
    assert!(!higher.is_published(P.0, Dimension::City, "Albi|Occitanie|FR"));
    drop(store);

    // After a restart, a fresh publisher learns what is published; the third person in Castres publishes it.
    let publisher = Arc::new(TestPublisher::default());
    let store = open(dir.path(), &publisher);
    assert!(publisher.is_published(P.0, Dimension::City, "Albi|Occitanie|FR"));
    assert!(!publisher.is_published(P.0, Dimension::City, "Castres|Occitanie|FR"));
    write(&store, vec![event(&publisher, 7, "Castres", "134")]).await;
    store.publish().await.unwrap();
    assert!(publisher.is_published(P.0, Dimension::City, "Castres|Occitanie|FR"));
    let (places, versions) = shown(&store).await;
    assert_eq!(
        places,
        vec!["Occitanie,Albi,4", "Occitanie,Castres,3", "Occitanie,,1"]
    );
    assert_eq!(versions, vec!["Firefox,133,5", "Firefox,134,3"]);
    // A policy lowered to region precision: cities sealed before are neither counted nor shown, however many
    // people share them (three in Rodez now), and are dropped from the seal when a row is rewritten.
    *publisher.region_only.lock() = true;
    write(
        &store,
        vec![
            event(&publisher, 9, "Rodez", "134"),
            event(&publisher, 10, "Rodez", "134"),
        ],
    )
    .await;
    let report = store.publish().await.unwrap();
    *publisher.region_only.lock() = false;
    assert_eq!(report.published, 0, "{report:?}");
    assert_eq!(
        rows(&store, "SELECT count(*) FROM events WHERE city = 'Rodez'").await,
        vec!["0"]
    );
    // Every value shown is shared by at least k people.
    for sql in [
        "SELECT min(n) FROM (SELECT city, count(DISTINCT person_id) AS n FROM events WHERE city IS NOT NULL GROUP BY city)",
        "SELECT min(n) FROM (SELECT browser_version, count(DISTINCT person_id) AS n FROM events \
         WHERE browser_version IS NOT NULL GROUP BY browser_version)",
    ] {
        let min: usize = rows(&store, sql).await[0].parse().unwrap();
        assert!(min >= K, "{sql}: {min}");
    }
}

#[tokio::test]
async fn compaction_keeps_sealed_rows_apart_and_the_same_person_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = Arc::new(TestPublisher::default());
    let store = open(dir.path(), &publisher);
    // One person, many events, many flushes: still one person, nothing published.
    for _ in 0..4 {
        write(
            &store,
            vec![
                event(&publisher, 1, "Rodez", "133"),
                event(&publisher, 1, "Rodez", "133"),
            ],
        )
        .await;
        store.flush().await.unwrap();
    }
    let report = store.compact().await.unwrap();
    assert_eq!(report.segments_out, 1);
    let segments = store.version().segments.clone();
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0].sealed, 8);
    assert_eq!(store.publish().await.unwrap().published, 0);
    assert_eq!(shown(&store).await, (vec![], vec![]));
}

/// A flush streams its rows into segments: the sealed rows of one flush go to segments of at most 50,000 rows
/// (publication rewrites them whole), the others to one segment, and every row arrives once.
#[tokio::test]
async fn a_large_flush_splits_sealed_rows_into_small_segments() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = Arc::new(TestPublisher::default());
    // Albi and the client are published, Rodez is not: the chunks the flush gathers hold both kinds of row.
    let albi = event(&publisher, 0, "Albi", "133");
    let held = publisher
        .open(P.0, albi.sealed.as_deref().unwrap())
        .unwrap();
    let mut precise = albi.dims.clone();
    withheld::restore(&mut precise, held.clone());
    publisher.publish(P.0, &withheld::keys(&precise, &held));
    let store = open(dir.path(), &publisher);
    let n = 120_000i64;
    let events: Vec<MinimalEvent> = (0..n)
        .map(|i| {
            let city = if i % 3 == 0 { "Albi" } else { "Rodez" };
            event(&publisher, i, city, "133")
        })
        .collect();
    let sealed_rows = events.iter().filter(|e| e.sealed.is_some()).count() as u64;
    assert!(sealed_rows > 50_000 && sealed_rows < n as u64);
    for chunk in events.chunks(2000) {
        write(&store, chunk.to_vec()).await;
    }
    store.flush().await.unwrap();
    let segments = store.version().segments.clone();
    let sealed = sealed(&store);
    assert!(sealed.len() >= 2, "{sealed:?}");
    assert!(sealed.iter().all(|&rows| rows <= 50_000), "{sealed:?}");
    assert_eq!(sealed.iter().sum::<u64>(), sealed_rows);
    assert_eq!(segments.iter().map(|s| s.rows).sum::<u64>(), n as u64);
    assert_eq!(
        rows(
            &store,
            "SELECT count(*), count(DISTINCT person_id) FROM events"
        )
        .await,
        vec![format!("{n},{n}")]
    );
}
