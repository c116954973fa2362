//! Data-subject requests through the admin API: export (Art. 15/20), erasure by crypto-shredding (Art. 17),
//! anonymisation; and the policy's per-property actions end to end.

use crate::common::TestServer;
use serde_json::{Value, json};

async fn send_alice(s: &TestServer) {
    let events = json!([
        {"event": "Visited", "properties": {"token": s.token, "distinct_id": "$device:d-1", "$device_id": "d-1", "time": 1_700_000_000}},
        {"event": "Signed up", "properties": {"token": s.token, "distinct_id": "user-1", "$device_id": "d-1", "$user_id": "user-1", "$email": "Alice@Example.com", "time": 1_700_000_100}},
        {"event": "Visited", "properties": {"token": s.token, "distinct_id": "user-2", "time": 1_700_000_200}},
    ]);
    assert_eq!(s.post_form("/track", &events.to_string()).await.0, 200);
    let profile = json!({"$token": s.token, "$distinct_id": "user-1", "$set": {"$name": "Alice Liddell", "plan": "pro"}});
    assert_eq!(s.post_form("/engage", &profile.to_string()).await.0, 200);
}

#[tokio::test]
async fn export_then_erase_by_email() {
    let s = TestServer::start().await;
    send_alice(&s).await;

    let (status, export) = s
        .api("/api/privacy/export", json!({"id": "alice@example.com"}))
        .await;
    assert_eq!(status, 200, "{export}");
    let person = &export["people"][0];
    let ids: Vec<&str> = person["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"user-1") && ids.contains(&"$device:d-1"),
        "{ids:?}"
    );
    assert_eq!(person["personal_fields"]["$email"], "Alice@Example.com");
    assert_eq!(person["personal_fields"]["$name"], "Alice Liddell");
    assert_eq!(
        person["events"]["rows"].as_array().unwrap().len(),
        2,
        "both of Alice's events, merged"
    );
    assert!(
        person["profile"]["rows"][0][2]
            .as_str()
            .unwrap()
            .contains("pro")
    );
    let person_id = person["person_id"].as_i64().unwrap();

    let (status, erased) = s
        .api(
            "/api/privacy/erase",
            json!({"id": "user-1", "reason": "Art. 17 request #12"}),
        )
        .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["erased"][0]["person_id"], person_id);
    assert!(erased["erased"][0]["identifiers"].as_u64().unwrap() >= 2);

    // The link is gone: nothing finds Alice any more.
    for id in ["user-1", "d-1", "alice@example.com"] {
        let (status, body) = s.api("/api/privacy/export", json!({"id": id})).await;
        assert_eq!(status, 404, "{id}: {body}");
        assert_eq!(body["field"], "id");
    }
    // Her events remain, anonymous; her profile's properties are gone; Bob is untouched.
    assert_eq!(
        s.scalar(&format!(
            "SELECT count(*) FROM events WHERE person_id = {person_id}"
        ))
        .await,
        json!(2)
    );
    assert_eq!(
        s.scalar(&format!(
            "SELECT properties FROM people WHERE person_id = {person_id}"
        ))
        .await,
        json!("{}")
    );
    let (status, _) = s.api("/api/privacy/export", json!({"id": "user-2"})).await;
    assert_eq!(status, 200);
    // A returning `user-1` is a new, unlinked person.
    let again =
        json!({"event": "Visited", "properties": {"token": s.token, "distinct_id": "user-1"}});
    assert_eq!(s.post_form("/track", &again.to_string()).await.0, 200);
    let new_id = s
        .scalar("SELECT person_id FROM events ORDER BY time DESC LIMIT 1")
        .await;
    assert_ne!(new_id, json!(person_id));
}

#[tokio::test]
async fn anonymize_keeps_the_profile_and_requests_are_checked() {
    let s = TestServer::start().await;
    send_alice(&s).await;
    let (status, body) = s
        .api("/api/privacy/anonymize", json!({"id": "user-1"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let person_id = body["anonymized"][0]["person_id"].as_i64().unwrap();
    assert_eq!(
        s.scalar(&format!(
            "SELECT properties FROM people WHERE person_id = {person_id}"
        ))
        .await,
        json!(r#"{"plan":"pro"}"#)
    );
    assert_eq!(
        s.api("/api/privacy/export", json!({"id": "user-1"}))
            .await
            .0,
        404
    );
    // Bad requests name the field; analyst keys may not do this.
    let (status, body) = s.api("/api/privacy/erase", json!({})).await;
    assert_eq!((status, body["field"].clone()), (400, json!("id")));
    let analyst = s
        .app
        .control
        .create_key(privet_auth::Role::Analyst, None, None)
        .unwrap()
        .1;
    let response = s
        .client
        .post(format!("{}/api/privacy/export", s.url))
        .bearer_auth(analyst)
        .json(&json!({"id": "user-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn the_policy_applies_per_property_and_per_project() {
    let s = TestServer::start_with(|c| {
        c.privacy.policy.k = 1;
        c.privacy.projects.insert(
            "default".into(),
            privet_config::ProjectPolicyConfig {
                properties: [
                    ("comment", privet_config::PropertyAction::Redact),
                    ("employee_no", privet_config::PropertyAction::Vault),
                    ("raw_note", privet_config::PropertyAction::Keep),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
                ..Default::default()
            },
        );
    })
    .await;
    let event = json!({"event": "e", "properties": {"token": s.token, "distinct_id": "u-1",
        "comment": "hello", "employee_no": "E-1", "raw_note": "see +44 20 7946 0958", "note": "see +44 20 7946 0958",
        "password": "hunter2", "$user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
        "$current_url": "https://app.example.com/orgs/org-4f9a2c/members?x=1"}});
    assert_eq!(s.post_form("/track", &event.to_string()).await.0, 200);
    let row = &s
        .sql("SELECT properties, browser, os, url_path FROM events")
        .await[0];
    let props: Value = serde_json::from_str(row[0].as_str().unwrap()).unwrap();
    assert_eq!(
        props,
        json!({"comment": "[redacted]", "raw_note": "see +44 20 7946 0958", "note": "see [phone]"})
    );
    assert_eq!(row[1], "Firefox");
    assert_eq!(row[2], "Linux");
    assert_eq!(row[3], "/orgs/:id/members");
    let (_, export) = s.api("/api/privacy/export", json!({"id": "u-1"})).await;
    assert_eq!(export["people"][0]["personal_fields"]["employee_no"], "E-1");
}

#[tokio::test]
async fn events_can_be_deleted_and_retention_applies() {
    let s = TestServer::start_with(|c| c.privacy.policy.retention_days = Some(30)).await;
    let now = privet_model::time::now_us() / 1_000_000;
    let events = json!([
        {"event": "Old", "properties": {"token": s.token, "distinct_id": "u", "time": now - 40 * 86_400, "$insert_id": "old"}},
        {"event": "Oops", "properties": {"token": s.token, "distinct_id": "u", "time": now, "$insert_id": "oops"}},
        {"event": "Fine", "properties": {"token": s.token, "distinct_id": "u", "time": now, "$insert_id": "fine"}},
    ]);
    assert_eq!(s.post_form("/track", &events.to_string()).await.0, 200);
    let (status, body) = s
        .api("/api/events/delete", json!({"insert_ids": ["oops"]}))
        .await;
    assert_eq!((status, body["deleted"].clone()), (200, json!(1)));
    let (status, body) = s
        .api(
            "/api/events/delete",
            json!({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!((status, body["field"].clone()), (400, json!("from")));
    let (status, body) = s.api("/api/events/delete", json!({"insert_ids": []})).await;
    assert_eq!((status, body["field"].clone()), (400, json!("insert_ids")));
    assert_eq!(s.app.apply_retention().await.unwrap(), 1);
    assert_eq!(
        s.sql("SELECT insert_id FROM events").await,
        vec![vec![json!("fine")]]
    );
}
