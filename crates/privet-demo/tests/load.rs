//! The demo loader against a real data directory: everything generated is stored through the privacy pipeline,
//! the analytics see the people and events that were generated, and no raw identifier (email, name, address,
//! user, device or organisation id, organisation name or domain) reaches SQL results, the write-ahead log or any
//! file outside the vault. Loading the same seed again stores nothing twice.

use std::collections::BTreeMap;
use std::path::Path;

use aho_corasick::AhoCorasick;
use privet_config::{Config, QueryConfig};
use privet_demo::{DemoOptions, EVENT_NAMES, end_of_day, generate, load, stored_events};
use privet_query::QueryEngine;
use privet_server::App;
use serde_json::{Value, json};

fn options() -> DemoOptions {
    DemoOptions {
        events: 5_000,
        seed: 11,
        days: 30,
        end_ms: end_of_day("2025-11-23").unwrap(),
    }
}

/// Every raw identifier of the dataset.
fn planted(dataset: &privet_demo::Dataset) -> Vec<String> {
    let mut out = Vec::new();
    for p in &dataset.people {
        out.extend([
            p.email.clone(),
            p.name(),
            p.user_id.clone(),
            p.device_id.clone(),
            p.ip.to_string(),
        ]);
    }
    for o in &dataset.organisations {
        out.extend([o.id.clone(), o.name.clone(), o.domain.clone()]);
    }
    out.sort();
    out.dedup();
    out
}

fn leaks<'a>(finder: &AhoCorasick, planted: &'a [String], haystack: &[u8]) -> Vec<&'a str> {
    let mut found: Vec<&str> = finder
        .find_overlapping_iter(haystack)
        .map(|m| planted[m.pattern().as_usize()].as_str())
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_goes_through_the_real_pipeline_and_leaves_no_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = Config {
        data_dir: data_dir.clone(),
        ..Config::default()
    };
    let (app, bootstrap) = App::open(config).unwrap();
    assert!(bootstrap.is_some());
    let project = app.control.project_by_name("default").unwrap().id;
    assert_eq!(stored_events(&app), 0);

    let options = options();
    let dataset = generate(&options);
    let summary = load(&app, project, &options, false).await.unwrap();
    assert_eq!(summary.events, 5_000);
    assert_eq!(summary.stored, 5_000, "{summary}");
    assert_eq!((summary.rejected, summary.duplicates), (0, 0), "{summary}");
    assert_eq!(summary.people, dataset.people.len() as u64);
    assert_eq!(summary.organisations, dataset.organisations.len() as u64);
    assert_eq!(
        summary.profiles,
        (dataset.people.len() + dataset.organisations.len()) as u64
    );
    assert_eq!(stored_events(&app), 5_000);

    let engine = QueryEngine::new(QueryConfig::default());
    let sql = |q: &'static str| {
        let engine = &engine;
        let version = app.store.version();
        async move {
            engine
                .sql_result(version, project.0, q)
                .await
                .unwrap_or_else(|e| panic!("{q}: {e}"))
                .rows
        }
    };
    assert_eq!(
        sql("SELECT count(*) FROM events").await,
        vec![vec![json!(5_000)]]
    );
    // The events per name are what was generated, and the dataset has all nine names.
    let mut generated: BTreeMap<String, i64> = BTreeMap::new();
    for e in &dataset.events {
        *generated
            .entry(e["event"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(generated.len(), EVENT_NAMES.len(), "{generated:?}");
    let stored: BTreeMap<String, i64> = sql("SELECT event, count(*) FROM events GROUP BY event")
        .await
        .into_iter()
        .map(|row| {
            (
                row[0].as_str().unwrap().to_string(),
                row[1].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(stored, generated);
    // One person per generated person: anonymous visits before sign-up were merged into the person.
    assert_eq!(
        sql("SELECT count(DISTINCT person_id) FROM events").await,
        vec![vec![json!(dataset.people.len())]]
    );
    assert_eq!(
        sql("SELECT count(*) FROM events WHERE person_id IS NULL").await,
        vec![vec![json!(0)]]
    );
    // Organisations are pseudonymised consistently in events and the groups table.
    assert_eq!(
        sql("SELECT count(DISTINCT json_get_int(properties, 'org_id')) FROM events").await,
        vec![vec![json!(dataset.organisations.len())]]
    );
    assert_eq!(
        sql("SELECT count(*) FROM groups WHERE group_key = 'org_id'").await,
        vec![vec![json!(dataset.organisations.len())]]
    );
    // Browsers and URLs are minimised, not dropped.
    let browsers = sql("SELECT count(*) FROM events WHERE browser IS NOT NULL").await;
    assert!(browsers[0][0].as_i64().unwrap() > 2_500, "{browsers:?}");
    let paths =
        sql("SELECT DISTINCT url_path FROM events WHERE url_path LIKE '/org/%' ORDER BY 1").await;
    assert!(paths.contains(&vec![json!("/org/:id/keys")]), "{paths:?}");

    // No raw identifier in what SQL shows.
    let planted = planted(&dataset);
    let finder = AhoCorasick::new(&planted).unwrap();
    let sent = Value::from(dataset.events.clone()).to_string();
    assert!(
        leaks(&finder, &planted, sent.as_bytes()).len() > dataset.people.len() * 2,
        "the finder finds the ids and addresses that were sent"
    );
    for table in [
        "SELECT * FROM events",
        "SELECT * FROM people",
        "SELECT * FROM groups",
    ] {
        let rows = Value::from(sql(table).await).to_string();
        assert!(rows.len() > 1_000, "{table} is empty");
        assert_eq!(
            leaks(&finder, &planted, rows.as_bytes()),
            Vec::<&str>::new(),
            "{table}"
        );
    }
    // Nor in the write-ahead log, decoded record by record.
    let mut wal = String::new();
    let replayed = privet_store::wal::replay(
        &privet_store::store_dir(&data_dir).join("wal"),
        0,
        1,
        privet_store::wal::ReplayMode::Live,
        |lsn, entry| {
            wal.push_str(&json!({"lsn": lsn, "entry": entry}).to_string());
            Ok(())
        },
    )
    .unwrap();
    // The load's final publication flushes, so the log keeps only its newest file with records (the breach drill,
    // `tests/python/test_breach_drill.py`, decodes a log that holds a whole dataset).
    assert!(replayed.records > 0 && wal.len() > 1_000, "{replayed:?}");
    assert_eq!(
        leaks(&finder, &planted, wal.as_bytes()),
        Vec::<&str>::new(),
        "WAL"
    );

    // Loading the same seed again stores nothing twice.
    let again = load(&app, project, &options, false).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 5_000), "{again}");
    assert_eq!(stored_events(&app), 5_000);

    // Nor in any file outside the vault, once everything is flushed to segments.
    app.store.flush().await.unwrap();
    let store = app.store.clone();
    drop(app);
    tokio::task::spawn_blocking(move || store.shutdown())
        .await
        .unwrap();
    let mut all = Vec::new();
    files(&data_dir, &mut all);
    let vault = data_dir.join("vault");
    let mut checked = 0;
    for path in all.iter().filter(|p| !p.starts_with(&vault)) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            leaks(&finder, &planted, &bytes),
            Vec::<&str>::new(),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(
        all.iter()
            .any(|p| p.extension().is_some_and(|e| e == "parquet")),
        "{all:?}"
    );
    assert!(checked >= 3);
}
