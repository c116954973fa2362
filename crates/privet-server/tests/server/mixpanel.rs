//! The Mixpanel wire format as SDKs send it: every body shape, flags, routes, identity and profiles.

use std::io::Write;

use crate::common::TestServer;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

#[tokio::test]
async fn every_body_shape_is_accepted() {
    let s = TestServer::start().await;
    let event = |n: u32| s.event("Shape", &format!("u{n}"), json!({"n": n}));

    // Form with JSON, non-verbose: plain "1".
    let (status, body) = s.post_form("/track", &event(1).to_string()).await;
    assert_eq!((status, body.as_str()), (200, "1"));
    // Form with base64, as mixpanel-browser sends it, to `track/` with its query parameters.
    let b64 = STANDARD.encode(json!([event(2)]).to_string());
    let response = s
        .client
        .post(format!("{}/track/?ip=1&_=1700000000000&verbose=1", s.url))
        .form(&[("data", b64.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": 1, "error": null})
    );
    // GET with data in the query string.
    let response = s
        .client
        .get(format!("{}/track", s.url))
        .query(&[("data", STANDARD.encode(event(3).to_string()))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "1");
    // sendBeacon: the form body labelled text/plain.
    let beacon = form_urlencoded_body(&STANDARD.encode(event(4).to_string()));
    let response = s
        .client
        .post(format!("{}/track/", s.url))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(beacon)
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "1");
    // Raw JSON body (Swift SDK), an array.
    let response = s
        .client
        .post(format!("{}/track?verbose=1", s.url))
        .json(&json!([event(5), event(6)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["status"], 1);
    // Gzip-compressed form body.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(form_urlencoded_body(&event(7).to_string()).as_bytes())
        .unwrap();
    let response = s
        .client
        .post(format!("{}/track", s.url))
        .header("content-encoding", "gzip")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "1");
    // Base64 without padding, with `+` turned into spaces.
    let sloppy = STANDARD
        .encode(format!("{} ", event(8)))
        .trim_end_matches('=')
        .replace('+', " ");
    let (status, _) = s.post_form("/track", &sloppy).await;
    assert_eq!(status, 200);

    assert_eq!(
        s.scalar("SELECT count(*) FROM events WHERE event = 'Shape'")
            .await,
        json!(8)
    );
    assert_eq!(
        s.scalar("SELECT sum(json_get_int(properties, 'n')) FROM events")
            .await,
        json!(36)
    );
}

fn form_urlencoded_body(data: &str) -> String {
    let mut out = String::from("data=");
    for byte in data.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[tokio::test]
async fn jsonp_and_img_transports() {
    let s = TestServer::start().await;
    let data = STANDARD.encode(s.event("Legacy", "u1", json!({})).to_string());
    let response = s
        .client
        .get(format!("{}/track", s.url))
        .query(&[("data", data.as_str()), ("callback", "mp.cb_3")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "mp.cb_3(1);");
    let response = s
        .client
        .get(format!("{}/track", s.url))
        .query(&[("data", data.as_str()), ("img", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "image/gif");
    assert!(response.bytes().await.unwrap().starts_with(b"GIF89a"));
}

#[tokio::test]
async fn sdk_side_routes_answer_harmlessly() {
    let s = TestServer::start().await;
    for path in [
        "/decide",
        "/decide/",
        "/flags",
        "/flags/",
        "/settings/",
        "/record/",
    ] {
        let response = s
            .client
            .post(format!("{}{path}?verbose=1", s.url))
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.json::<Value>().await.is_ok(), "{path}");
        let response = s
            .client
            .get(format!("{}{path}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn cors_preflight_echoes_the_origin_with_credentials() {
    let s = TestServer::start().await;
    let response = s
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/track/", s.url))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let (status, _) = s
        .post_form("/track", &s.event("x", "u", json!({})).to_string())
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cors_can_be_limited_to_listed_origins() {
    let s = TestServer::start_with(|c| {
        c.ingest.cors_allowed_origins = vec!["https://good.example".into()]
    })
    .await;
    let preflight = |origin: &'static str| {
        s.client
            .request(reqwest::Method::OPTIONS, format!("{}/track", s.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let good = preflight("https://good.example").await.unwrap();
    assert_eq!(
        good.headers()["access-control-allow-origin"],
        "https://good.example"
    );
    let bad = preflight("https://evil.example").await.unwrap();
    assert!(bad.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn identity_merges_span_the_sign_up() {
    let s = TestServer::start().await;
    // Simplified ID merge: anonymous device, then the sign-up event carrying both ids.
    let anon = |name: &str| json!({"event": name, "properties": {"token": s.token, "distinct_id": "$device:d-1", "$device_id": "d-1"}});
    let signed = |name: &str| json!({"event": name, "properties": {"token": s.token, "distinct_id": "user-1", "$device_id": "d-1", "$user_id": "user-1"}});
    for event in [anon("Landing"), anon("Pricing"), signed("Signed up")] {
        assert_eq!(s.post_form("/track", &event.to_string()).await.0, 200);
    }
    // Server-side event for the same user, by user id only.
    let server_side = s.event("Created API key", "user-1", json!({}));
    assert_eq!(s.post_form("/track", &server_side.to_string()).await.0, 200);
    assert_eq!(
        s.scalar("SELECT count(DISTINCT person_id) FROM events")
            .await,
        json!(1)
    );

    // Original ID merge: $identify joins an earlier anonymous id, whose events are already stored.
    for event in [
        s.event("Landing", "anon-2", json!({})),
        json!({"event": "$identify", "properties": {"token": s.token, "distinct_id": "user-2", "$identified_id": "user-2", "$anon_distinct_id": "anon-2"}}),
        s.event("Upgraded", "user-2", json!({})),
    ] {
        assert_eq!(s.post_form("/track", &event.to_string()).await.0, 200);
    }
    assert_eq!(
        s.scalar("SELECT count(DISTINCT person_id) FROM events")
            .await,
        json!(2)
    );
    // $create_alias and $merge are applied but not stored.
    for event in [
        json!({"event": "$create_alias", "properties": {"token": s.token, "distinct_id": "user-2", "alias": "alias-2"}}),
        s.event("Via alias", "alias-2", json!({})),
        s.event("Third person", "user-3", json!({})),
        json!({"event": "$merge", "properties": {"token": s.token, "$distinct_ids": ["user-2", "user-3"]}}),
    ] {
        assert_eq!(s.post_form("/track", &event.to_string()).await.0, 200);
    }
    assert_eq!(
        s.scalar("SELECT count(*) FROM events WHERE event IN ('$create_alias', '$merge')")
            .await,
        json!(0)
    );
    assert_eq!(
        s.scalar("SELECT count(DISTINCT person_id) FROM events")
            .await,
        json!(2)
    );
    // The merged persons survive a flush and compaction.
    s.app.store.flush().await.unwrap();
    s.app.store.compact().await.unwrap();
    assert_eq!(
        s.scalar("SELECT count(DISTINCT person_id) FROM events")
            .await,
        json!(2)
    );
}

#[tokio::test]
async fn placeholders_ignore_and_time_units() {
    let s = TestServer::start().await;
    let events = json!([
        s.event("A", "undefined", json!({"time": 1_700_000_000})),
        s.event("B", "u1", json!({"time": 1_700_000_000_123i64})),
        s.event("C", "u1", json!({"time": 1_700_000_000.25})),
        s.event("Dropped", "u1", json!({"$ignore": true})),
    ]);
    let (status, _) = s.post_form("/track", &events.to_string()).await;
    assert_eq!(status, 200);
    let rows = s
        .sql("SELECT event, person_id IS NULL, CAST(time AS VARCHAR) FROM events ORDER BY event")
        .await;
    assert_eq!(
        rows,
        vec![
            vec![json!("A"), json!(true), json!("2023-11-14T22:13:20Z")],
            vec![json!("B"), json!(false), json!("2023-11-14T22:13:20.123Z")],
            vec![json!("C"), json!(false), json!("2023-11-14T22:13:20.250Z")],
        ]
    );
}

#[tokio::test]
async fn insert_id_deduplicates_retries() {
    let s = TestServer::start().await;
    let event = s.event(
        "Paid",
        "u1",
        json!({"time": 1_700_000_000, "$insert_id": "retry-1"}),
    );
    for _ in 0..3 {
        assert_eq!(s.post_form("/track", &event.to_string()).await.0, 200);
    }
    // A different time is a different event even with the same $insert_id (Mixpanel's rule).
    let later = s.event(
        "Paid",
        "u1",
        json!({"time": 1_700_000_001, "$insert_id": "retry-1"}),
    );
    assert_eq!(s.post_form("/track", &later.to_string()).await.0, 200);
    assert_eq!(s.scalar("SELECT count(*) FROM events").await, json!(2));
}

#[tokio::test]
async fn engage_and_groups_apply_every_operation() {
    let s = TestServer::start().await;
    let people = json!([
        {"$token": s.token, "$distinct_id": "u1", "$set": {"plan": "free", "seats": 1, "$email": "u1@example.com"}},
        {"$token": s.token, "$distinct_id": "u1", "$set_once": {"plan": "pro", "source": "ads"}},
        {"$token": s.token, "$distinct_id": "u1", "$add": {"seats": 2}},
        {"$token": s.token, "$distinct_id": "u1", "$append": {"log": "a"}},
        {"$token": s.token, "$distinct_id": "u1", "$union": {"features": ["sso", "sso", "api"]}},
        {"$token": s.token, "$distinct_id": "u1", "$remove": {"features": "api"}},
        {"$token": s.token, "$distinct_id": "u1", "$unset": ["source"]},
        {"$token": s.token, "$distinct_id": "u2", "$set": {"plan": "x"}},
        {"$token": s.token, "$distinct_id": "u2", "$delete": ""},
    ]);
    let response = s
        .client
        .post(format!("{}/engage?verbose=1", s.url))
        .form(&[("data", people.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": 1, "error": null})
    );
    let props: Vec<Value> = s
        .sql("SELECT properties FROM people ORDER BY properties")
        .await
        .into_iter()
        .map(|r| serde_json::from_str(r[0].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        props,
        vec![
            json!({"plan": "free", "seats": 3, "log": ["a"], "features": ["sso"]}),
            json!({})
        ]
    );

    let groups = json!([
        {"$token": s.token, "$group_key": "company_id", "$group_id": "org-1", "$set": {"tier": "gold"}},
        {"$token": s.token, "$group_key": "company_id", "$group_id": "org-1", "$set_once": {"tier": "x", "region": "eu"}},
        {"$token": s.token, "$group_key": "company_id", "$group_id": "org-1", "$union": {"tags": ["a"]}},
        {"$token": s.token, "$group_key": "company_id", "$group_id": "org-1", "$remove": {"tags": "a"}},
        {"$token": s.token, "$group_key": "company_id", "$group_id": "org-1", "$unset": ["region"]},
        {"$token": s.token, "$group_key": "company_id", "$group_id": "org-2", "$set": {"tier": "x"}},
        {"$token": s.token, "$group_key": "company_id", "$group_id": "org-2", "$delete": null},
    ]);
    let (status, body) = s.post_form("/groups", &groups.to_string()).await;
    assert_eq!((status, body.as_str()), (200, "1"));
    let rows = s.sql("SELECT group_key, properties FROM groups").await;
    assert_eq!(
        rows,
        vec![vec![
            json!("company_id"),
            json!(r#"{"tags":[],"tier":"gold"}"#)
        ]]
    );
    // Events of an organisation carry the same group pseudonym as its profile.
    let event = s.event("Called API", "u1", json!({"company_id": "org-1"}));
    assert_eq!(s.post_form("/track", &event.to_string()).await.0, 200);
    assert_eq!(
        s.scalar(
            "SELECT count(*) FROM events e JOIN groups g ON json_get_int(e.properties, 'company_id') = g.group_id"
        )
        .await,
        json!(1)
    );
}
