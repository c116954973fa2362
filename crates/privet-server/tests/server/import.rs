//! `/import` and `/v1/events`: secret keys, the answer shapes callers expect, strict validation.

use std::io::Write;

use crate::common::TestServer;
use privet_auth::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn json_body_with_basic_auth() {
    let s = TestServer::start().await;
    let events = json!([
        s.event(
            "Imported",
            "u1",
            json!({"time": 1_700_000_000, "$insert_id": "i-1"})
        ),
        s.event(
            "Imported",
            "u2",
            json!({"time": 1_700_000_001, "$insert_id": "i-2"})
        ),
    ]);
    let response = s
        .client
        .post(format!("{}/import", s.url))
        .basic_auth(&s.admin_key, Some(""))
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"code": 200, "num_records_imported": 2, "status": "OK"})
    );
    assert_eq!(s.scalar("SELECT count(*) FROM events").await, json!(2));
}

#[tokio::test]
async fn strict_reports_failed_records_and_keeps_the_good() {
    let s = TestServer::start().await;
    let events = json!([
        s.event(
            "Ok",
            "u1",
            json!({"time": 1_700_000_000, "$insert_id": "ok-1"})
        ),
        s.event("No time", "u1", json!({"$insert_id": "bad-1"})),
        s.event(
            "Bad id",
            "u1",
            json!({"time": 1_700_000_000, "$insert_id": "has spaces"})
        ),
        s.event(
            "Ok",
            "u2",
            json!({"time": 1_700_000_000, "$insert_id": "ok-2"})
        ),
    ]);
    let ndjson: String = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{e}\n"))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(ndjson.as_bytes()).unwrap();
    let response = s
        .client
        .post(format!("{}/import?strict=1", s.url))
        .basic_auth(&s.admin_key, None::<&str>)
        .header("content-type", "application/x-ndjson")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 400);
    assert_eq!(body["num_records_imported"], 2);
    assert_eq!(
        body["failed_records"],
        json!([
            {"index": 1, "$insert_id": "bad-1", "field": "properties.time", "message": "`time` is required for /import (seconds or milliseconds since 1970)"},
            {"index": 2, "field": "properties.$insert_id", "message": "`$insert_id` must be 1 to 36 letters, digits or `-`"}
        ])
    );
    assert_eq!(s.scalar("SELECT count(*) FROM events").await, json!(2));
}

#[tokio::test]
async fn form_body_gets_the_sdk_shape() {
    let s = TestServer::start().await;
    let event = s.event("Legacy import", "u1", json!({"time": 1_700_000_000}));
    let response = s
        .client
        .post(format!("{}/import", s.url))
        .basic_auth(&s.admin_key, Some(""))
        .form(&[
            ("data", event.to_string().as_str()),
            ("verbose", "1"),
            ("ip", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": 1, "error": null})
    );
}

#[tokio::test]
async fn keys_are_checked() {
    let s = TestServer::start().await;
    let body = json!([s.event("x", "u", json!({"time": 1_700_000_000}))]);
    let send = |auth: Option<(String, Option<String>)>| {
        let mut request = s.client.post(format!("{}/import", s.url)).json(&body);
        if let Some((user, password)) = auth {
            request = request.basic_auth(user, password);
        }
        request.send()
    };
    let response = send(None).await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(
        send(Some(("pvt_nope".into(), None)))
            .await
            .unwrap()
            .status(),
        401
    );
    let project = s.app.control.project_by_name("default").unwrap();
    let (_, analyst) = s
        .app
        .control
        .create_key(Role::Analyst, Some(project.id), None)
        .unwrap();
    assert_eq!(send(Some((analyst, None))).await.unwrap().status(), 403);
    let (_, ingest) = s
        .app
        .control
        .create_key(Role::Ingest, Some(project.id), None)
        .unwrap();
    // Service-account style: any user name, the key as the password, the project named in the query.
    let response = s
        .client
        .post(format!("{}/import?project_id=default", s.url))
        .basic_auth("robot", Some(&ingest))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // A key of one project cannot write into another through a token.
    let (other, other_token) = s.app.control.create_project("other").unwrap();
    let foreign =
        json!([{"event": "x", "properties": {"token": other_token, "time": 1_700_000_000}}]);
    let response = s
        .client
        .post(format!("{}/import", s.url))
        .basic_auth(&ingest, None::<&str>)
        .json(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["failed_records"][0]["field"],
        "properties.token"
    );
    let _ = other;
}

#[tokio::test]
async fn native_ndjson_endpoint() {
    let s = TestServer::start().await;
    let project = s.app.control.project_by_name("default").unwrap();
    let (_, key) = s
        .app
        .control
        .create_key(Role::Ingest, Some(project.id), None)
        .unwrap();
    let lines = (0..100)
        .map(|i| {
            json!({"event": "Native", "time": "2026-11-23T10:00:00Z", "distinct_id": format!("u{}", i % 10), "insert_id": format!("n-{i}"), "properties": {"i": i}})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(lines.as_bytes()).unwrap();
    let compressed = gz.finish().unwrap();
    let send = || {
        s.client
            .post(format!("{}/v1/events", s.url))
            .bearer_auth(&key)
            .header("content-type", "application/x-ndjson")
            .header("content-encoding", "gzip")
            .body(compressed.clone())
            .send()
    };
    let body: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (body["accepted"].clone(), body["stored"].clone()),
        (json!(100), json!(100))
    );
    let body: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(body["duplicates"], 100, "a retried batch is stored once");
    assert_eq!(
        s.scalar("SELECT count(DISTINCT person_id) FROM events WHERE event = 'Native'")
            .await,
        json!(10)
    );
    let response = s
        .client
        .post(format!("{}/v1/events", s.url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let value: Value = response.json().await.unwrap();
    assert!(value["error"].as_str().unwrap().contains("Bearer"));
}
