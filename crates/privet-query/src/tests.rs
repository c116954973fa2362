//! Tests of the SQL engine on a real store.

use privet_config::{QueryConfig, StorageConfig};
use privet_model::{Dimensions, EventIdentity, MinimalEvent, ProjectId, Pseudonym};
use privet_store::{Store, WriteBatch};
use serde_json::json;

use super::*;

async fn store_with_events(dir: &std::path::Path) -> Store {
    let store = Store::open(dir, StorageConfig::default()).unwrap();
    let events: Vec<MinimalEvent> = (0..10)
        .map(|i| MinimalEvent {
            name: if i % 2 == 0 { "Signed up" } else { "Viewed" }.into(),
            time_us: 1_700_000_000_000_000 + i,
            insert_id: None,
            identity: EventIdentity {
                distinct: Some(Pseudonym(100 + i % 3)),
                ..Default::default()
            },
            identity_op: None,
            dims: Dimensions::default(),
            properties: json!({"n": i}).to_string(),
            store: true,
            sealed: None,
        })
        .collect();
    for project in [1, 2] {
        store
            .write(WriteBatch {
                project: ProjectId(project),
                events: if project == 1 {
                    events.clone()
                } else {
                    Vec::new()
                },
                profiles: Vec::new(),
            })
            .await
            .unwrap();
    }
    store
}

/// A store with events and an engine with default limits (the directory must outlive the store).
async fn setup() -> (tempfile::TempDir, Store, QueryEngine) {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_events(dir.path()).await;
    (dir, store, QueryEngine::new(QueryConfig::default()))
}

#[tokio::test]
async fn queries_see_their_project_only() {
    let (_dir, store, engine) = setup().await;
    let result = engine
        .sql_result(
            store.version(),
            1,
            "SELECT event, count(*) AS n FROM events GROUP BY event ORDER BY event",
        )
        .await
        .unwrap();
    assert_eq!(result.columns[1].name, "n");
    assert_eq!(
        result.rows,
        vec![
            vec![json!("Signed up"), json!(5)],
            vec![json!("Viewed"), json!(5)]
        ]
    );
    let other = engine
        .sql_result(store.version(), 2, "SELECT count(*) FROM events")
        .await
        .unwrap();
    assert_eq!(other.rows, vec![vec![json!(0)]]);
}

#[tokio::test]
async fn json_properties_and_timestamps() {
    let (_dir, store, engine) = setup().await;
    let result = engine
        .sql_result(
            store.version(),
            1,
            "SELECT time, properties FROM events ORDER BY time LIMIT 1",
        )
        .await
        .unwrap();
    assert_eq!(result.rows[0][0], json!("2023-11-14T22:13:20Z"));
    assert_eq!(result.rows[0][1], json!("{\"n\":0}"));
}

#[tokio::test]
async fn json_functions_read_properties() {
    let (_dir, store, engine) = setup().await;
    let result = engine
        .sql_result(
            store.version(),
            1,
            "SELECT sum(json_get_int(properties, 'n')), max(properties->>'n') FROM events",
        )
        .await
        .unwrap();
    assert_eq!(result.rows, vec![vec![json!(45), json!("9")]]);
}

#[tokio::test]
async fn writes_are_refused() {
    let (_dir, store, engine) = setup().await;
    for sql in [
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO events SELECT * FROM events",
        "DROP TABLE events",
        "COPY (SELECT 1) TO '/tmp/privet-copy-test.csv'",
        "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let err = engine.sql(store.version(), 1, sql).await.unwrap_err();
        assert!(matches!(err, QueryError::NotReadOnly(_)), "{sql}: {err}");
    }
    let err = engine
        .sql(store.version(), 1, "SELECT nope FROM events")
        .await
        .unwrap_err();
    assert!(
        matches!(err, QueryError::Invalid(ref m) if m.contains("nope")),
        "{err}"
    );
}

#[tokio::test]
async fn results_are_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_events(dir.path()).await;
    let engine = QueryEngine::new(QueryConfig {
        max_result_rows: 3,
        ..QueryConfig::default()
    });
    let result = engine
        .sql_result(store.version(), 1, "SELECT * FROM events")
        .await
        .unwrap();
    assert_eq!(result.rows.len(), 3);
    assert!(result.truncated);
    assert_eq!(result.columns.len(), 21);
}

#[tokio::test]
async fn schema_is_discoverable() {
    let (_dir, store, engine) = setup().await;
    let result = engine
        .sql_result(
            store.version(),
            1,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        )
        .await
        .unwrap();
    assert_eq!(
        result.rows,
        vec![
            vec![json!("events")],
            vec![json!("groups")],
            vec![json!("people")]
        ]
    );
}
