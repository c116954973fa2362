//! Bad input of every kind gets a 4xx with a JSON body naming the problem, never a crash or a hang, and never
//! damages what is already stored.

use std::io::Write;

use crate::common::TestServer;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

async fn post(s: &TestServer, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = s
        .client
        .post(format!("{}{path}", s.url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
    (status, value)
}

fn form(data: &str) -> Vec<u8> {
    format!("data={}", urlencode(data)).into_bytes()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn every_kind_of_bad_input_is_a_clear_4xx() {
    let s = TestServer::start_with(|c| {
        c.ingest.max_body_bytes = 256 * 1024;
        c.ingest.max_string_bytes = 1024;
    })
    .await;
    // Some good data first, which must survive everything below.
    let good = s.event("Good", "u1", json!({"$insert_id": "g1"}));
    assert_eq!(s.post_form("/track", &good.to_string()).await.0, 200);

    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let nested = {
        let mut v = json!("x");
        for _ in 0..40 {
            v = json!({"a": v});
        }
        v
    };
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("broken base64", FORM, form("!!!not base64!!!"), 400, "data"),
        (
            "broken JSON in base64",
            FORM,
            form(&STANDARD.encode("{\"event\": ")),
            400,
            "data",
        ),
        (
            "broken JSON body",
            "application/json",
            b"{\"event\": [".to_vec(),
            400,
            "body",
        ),
        ("no data", FORM, b"foo=bar".to_vec(), 400, "data"),
        ("a number as data", FORM, form("42"), 400, "data"),
        ("empty batch", FORM, form("[]"), 400, "data"),
        (
            "event of the wrong type",
            FORM,
            form(&json!({"event": 5, "properties": {"token": s.token}}).to_string()),
            400,
            "event",
        ),
        (
            "properties of the wrong type",
            FORM,
            form(&json!({"event": "x", "properties": [1]}).to_string()),
            400,
            "properties",
        ),
        (
            "bad time",
            FORM,
            form(&s.event("x", "u", json!({"time": "yesterday"})).to_string()),
            400,
            "properties.time",
        ),
        (
            "huge string",
            FORM,
            form(
                &s.event("x", "u", json!({"note": "y".repeat(5000)}))
                    .to_string(),
            ),
            400,
            "properties.note",
        ),
        (
            "deep nesting",
            FORM,
            form(&s.event("x", "u", json!({"deep": nested})).to_string()),
            400,
            "properties.deep",
        ),
        // A record that is a 5,000-deep array is skipped without recursion and refused as not an object.
        (
            "pathological nesting",
            "application/json",
            deep.clone().into_bytes(),
            400,
            "event",
        ),
        (
            "pathological nesting in a property",
            "application/json",
            format!(
                r#"{{"event": "x", "properties": {{"token": "{}", "deep": {deep}}}}}"#,
                s.token
            )
            .into_bytes(),
            400,
            "properties.deep",
        ),
        (
            "unknown token",
            FORM,
            form(&json!({"event": "x", "properties": {"token": "nope"}}).to_string()),
            401,
            "properties.token",
        ),
        (
            "missing token",
            FORM,
            form(&json!({"event": "x", "properties": {}}).to_string()),
            401,
            "properties.token",
        ),
        (
            "too many events",
            "application/json",
            serde_json::to_vec(&vec![good.clone(); 2001]).unwrap(),
            413,
            "data",
        ),
        ("body too large", FORM, vec![b'a'; 300 * 1024], 413, ""),
    ];
    for (name, content_type, body, status, field) in cases {
        let (got, value) = post(&s, "/track?verbose=1", content_type, body).await;
        assert_eq!(got, status, "{name}: {value}");
        assert_eq!(value["status"], 0, "{name}: {value}");
        assert!(
            value["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{name}: {value}"
        );
        if !field.is_empty() {
            let named = value["field"].as_str() == Some(field)
                || value["failed_records"][0]["field"]
                    .as_str()
                    .is_some_and(|f| f.starts_with(field));
            assert!(named, "{name}: expected field {field}: {value}");
        }
    }
    // A gzip bomb is stopped at the limit.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 10 * 1024 * 1024]).unwrap();
    let response = s
        .client
        .post(format!("{}/track", s.url))
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // Profiles.
    let (status, value) = post(
        &s,
        "/engage?verbose=1",
        FORM,
        form(&json!({"$token": s.token, "$set": {"a": 1}}).to_string()),
    )
    .await;
    assert_eq!(
        (status, value["failed_records"][0]["field"].as_str()),
        (400, Some("$distinct_id"))
    );
    let (status, value) = post(
        &s,
        "/groups?verbose=1",
        FORM,
        form(&json!({"$token": s.token, "$group_key": "company_id", "$set": {"a": 1}}).to_string()),
    )
    .await;
    assert_eq!(
        (status, value["failed_records"][0]["field"].as_str()),
        (400, Some("$group_id"))
    );

    // The server is healthy and the good data is intact.
    assert_eq!(
        s.client
            .get(format!("{}/readyz", s.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        s.sql("SELECT event, insert_id FROM events").await,
        vec![vec![json!("Good"), json!("g1")]]
    );
}

#[tokio::test]
async fn a_bad_event_never_loses_the_good_ones() {
    let s = TestServer::start().await;
    let batch = json!([
        s.event("Kept 1", "u1", json!({})),
        {"event": 7},
        s.event("Kept 2", "u2", json!({"time": "not a time", "$insert_id": "bad-2"})),
        s.event("Kept 3", "u3", json!({})),
    ]);
    // Lenient /track: 200, the failures reported.
    let (status, value) = post(&s, "/track?verbose=1", FORM, form(&batch.to_string())).await;
    assert_eq!(status, 200);
    assert_eq!(value["status"], 1);
    assert_eq!(value["num_records_imported"], 2);
    let failed: Vec<(u64, &str)> = value["failed_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(failed, vec![(1, "event"), (2, "properties.time")]);
    assert_eq!(value["failed_records"][1]["$insert_id"], "bad-2");
    // strict=1: a 400, but the good events are kept all the same.
    let (status, value) = post(
        &s,
        "/track?verbose=1&strict=1",
        FORM,
        form(&batch.to_string()),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(value["num_records_imported"], 2);
    assert_eq!(s.scalar("SELECT count(*) FROM events").await, json!(4));
}

#[tokio::test]
async fn error_messages_do_not_echo_identifiers() {
    let s = TestServer::start().await;
    let secret = "alice.secret@example.com";
    let bodies = [
        form(&STANDARD.encode(format!("{{\"event\": \"{secret}"))),
        form(&json!({"event": "x", "properties": {"token": s.token, "time": secret}}).to_string()),
        form(
            &json!({"event": "x", "properties": {"token": s.token, secret: "y".repeat(70_000)}})
                .to_string(),
        ),
        form(
            &json!({"event": "x", "properties": {"token": s.token, "$insert_id": secret}})
                .to_string(),
        ),
    ];
    for body in bodies {
        let (status, value) = post(&s, "/track?verbose=1&strict=1", FORM, body).await;
        assert!(status >= 400);
        assert!(!value.to_string().contains("alice"), "{value}");
    }
}
