//! `/api/sql`, health, metrics, and what ends up on disk.

use crate::common::TestServer;
use privet_auth::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn sql_needs_a_query_key_and_sees_one_project() {
    let s = TestServer::start().await;
    assert_eq!(
        s.post_form("/track", &s.event("Seen", "u1", json!({})).to_string())
            .await
            .0,
        200
    );
    let (other, other_token) = s.app.control.create_project("other").unwrap();
    let foreign =
        json!({"event": "Other", "properties": {"token": other_token, "distinct_id": "x"}});
    assert_eq!(s.post_form("/track", &foreign.to_string()).await.0, 200);

    let ask = |key: Option<String>, body: Value| {
        let mut request = s.client.post(format!("{}/api/sql", s.url)).json(&body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    let query = json!({"sql": "SELECT event FROM events"});
    assert_eq!(ask(None, query.clone()).await.unwrap().status(), 401);
    let (_, ingest) = s.app.control.create_key(Role::Ingest, None, None).unwrap();
    assert_eq!(
        ask(Some(ingest), query.clone()).await.unwrap().status(),
        403
    );
    let (_, analyst) = s
        .app
        .control
        .create_key(Role::Analyst, Some(other.id), None)
        .unwrap();
    let body: Value = ask(Some(analyst.clone()), query.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["rows"], json!([["Other"]]));
    assert_eq!(body["columns"], json!([{"name": "event", "type": "Utf8"}]));
    // An analyst of one project cannot name another.
    let response = ask(
        Some(analyst.clone()),
        json!({"sql": "SELECT 1", "project": "default"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 403);
    // The admin key covers every project, so it must say which.
    let response = ask(Some(s.admin_key.clone()), query.clone()).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["field"], "project");
    // Read-only, with DataFusion's message for mistakes.
    let response = ask(Some(analyst.clone()), json!({"sql": "DELETE FROM events"}))
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = ask(
        Some(analyst.clone()),
        json!({"sql": "SELECT nope FROM events"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
    let response = ask(Some(analyst), json!({"query": "SELECT 1"}))
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["field"], "sql");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let s = TestServer::start().await;
    assert_eq!(
        s.client
            .get(format!("{}/healthz", s.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        s.client
            .get(format!("{}/readyz", s.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    s.post_form("/track", &s.event("Counted", "u1", json!({})).to_string())
        .await;
    s.post_form("/track", "not json").await;
    let text = s
        .client
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "privet_ingest_records_accepted_total{endpoint=\"track\"} 1",
        "privet_ingest_records_rejected_total{endpoint=\"track\",reason=\"bad_json\"} 1",
        "privet_store_wal_fsync_seconds_count",
        "privet_store_segments",
        "privet_store_column_cache_bytes",
        "privet_pipeline_spans_redacted_total",
        "privet_pipeline_fields_vaulted_total",
        "privet_query_seconds",
        "privet_http_requests_total{route=\"/track\",status=\"200\"} 1",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    let response = s
        .client
        .get(format!("{}/nope?data=x", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.json::<Value>().await.unwrap()["error"].is_string());
}

#[tokio::test]
async fn identifiers_never_reach_the_data_directory() {
    let s = TestServer::start().await;
    let planted = [
        "alice@example.com",
        "Alice Liddell",
        "203.0.113.77",
        "user-90210",
        "org-31337",
        "+15551234567",
    ];
    let event = json!({"event": "Signed up", "properties": {
        "token": s.token, "distinct_id": "user-90210", "$user_id": "user-90210", "$email": "alice@example.com",
        "$name": "Alice Liddell", "ip": "203.0.113.77", "company_id": "org-31337", "$phone": "+15551234567",
        "$current_url": "https://app.example.com/?email=alice@example.com",
        "$referrer": "https://mail.example.com/inbox/alice@example.com"
    }});
    assert_eq!(s.post_form("/track?ip=1", &event.to_string()).await.0, 200);
    let profile = json!({"$token": s.token, "$distinct_id": "user-90210", "$set": {"$email": "alice@example.com", "$name": "Alice Liddell", "$phone": "+15551234567"}});
    assert_eq!(s.post_form("/engage", &profile.to_string()).await.0, 200);
    let group = json!({"$token": s.token, "$group_key": "company_id", "$group_id": "org-31337", "$set": {"name": "Wonderland"}});
    assert_eq!(s.post_form("/groups", &group.to_string()).await.0, 200);
    s.app.store.flush().await.unwrap();
    let mut files = vec![s.dir.path().to_path_buf()];
    let mut scanned = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        for needle in planted {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} found in {}",
                path.display()
            );
        }
    }
    assert!(scanned >= 5, "scanned {scanned} files");
    // And the analytics still work.
    assert_eq!(
        s.scalar("SELECT count(*) FROM events WHERE url_path = '/'")
            .await,
        json!(1)
    );
    assert_eq!(
        s.scalar("SELECT referrer_domain FROM events").await,
        json!("mail.example.com")
    );
}
