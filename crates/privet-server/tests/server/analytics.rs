//! The analytics API over HTTP: insights, funnels, retention, flows, cohorts and profiles, with their errors.

use crate::common::TestServer;
use privet_auth::Role;
use serde_json::{Value, json};

/// 2026-10-01T10:00:00Z in seconds, plus `hours`.
fn at(hours: f64) -> f64 {
    1_790_848_800.0 + hours * 3600.0
}

async fn server_with_product_events() -> TestServer {
    let s = TestServer::start().await;
    let mut events = Vec::new();
    // ada: full funnel; bob: signs up and creates a key; cy: signs up only. All in organisation acme but cy.
    for (who, org, steps) in [
        (
            "ada",
            "acme",
            vec![
                ("Signed up", 0.0),
                ("Created API key", 1.0),
                ("Made API call", 2.0),
                ("Made API call", 26.0),
            ],
        ),
        (
            "bob",
            "acme",
            vec![("Signed up", 0.5), ("Created API key", 3.0)],
        ),
        ("cy", "umbrella", vec![("Signed up", 30.0)]),
    ] {
        for (name, hours) in steps {
            events.push(s.event(
                name,
                who,
                json!({"time": at(hours), "org_id": org, "$browser": "Chrome", "plan": "free"}),
            ));
        }
    }
    let (status, body) = s
        .post_form("/track", &Value::Array(events).to_string())
        .await;
    assert_eq!(status, 200, "{body}");
    s
}

const RANGE: [(&str, &str); 2] = [("from", "2026-10-01"), ("to", "2026-10-07")];

fn with_range(mut body: Value) -> Value {
    for (k, v) in RANGE {
        body[k] = json!(v);
    }
    body
}

#[tokio::test]
async fn the_four_analyses_answer_over_http() {
    let s = server_with_product_events().await;

    let (status, r) = s
        .api(
            "/api/insights",
            with_range(json!({"events": ["Signed up"], "measure": "unique", "bucket": "day"})),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["buckets"].as_array().unwrap().len(), 7);
    assert_eq!(r["series"][0]["values"][0], json!(2));
    assert_eq!(r["series"][0]["values"][1], json!(1));
    assert_eq!(r["series"][0]["total"], json!(3));

    let (status, r) = s
        .api(
            "/api/funnels",
            with_range(json!({"steps": [{"event": "Signed up"}, {"event": "Created API key"}, {"event": "Made API call"}], "window": "1d"})),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let counts: Vec<u64> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [3, 2, 1]);
    // Erasing a person destroys the link to them, not the statistics: their events still count.
    let (status, r) = s
        .api("/api/privacy/erase", json!({"id": "bob", "reason": "test"}))
        .await;
    assert_eq!(status, 200, "{r}");
    let (_, r) = s
        .api(
            "/api/funnels",
            with_range(json!({"steps": [{"event": "Signed up"}, {"event": "Created API key"}, {"event": "Made API call"}], "window": "1d"})),
        )
        .await;
    let after: Vec<u64> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect();
    assert_eq!(after, counts);
    // Per organisation: acme converts fully, umbrella only signs up.
    let (_, r) = s
        .api(
            "/api/funnels",
            with_range(json!({"steps": [{"event": "Signed up"}, {"event": "Made API call"}], "count_by": "org_id"})),
        )
        .await;
    assert_eq!(r["steps"][0]["count"], json!(2));
    assert_eq!(r["steps"][1]["count"], json!(1));

    let (status, r) = s
        .api(
            "/api/retention",
            with_range(json!({"birth_event": "Signed up", "return_event": "Made API call", "bucket": "day", "periods": 3})),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["cohorts"][0]["size"], json!(2));
    assert_eq!(r["cohorts"][0]["retained"], json!([1, 1, 0]));

    let (status, r) = s
        .api(
            "/api/flows",
            with_range(json!({"event": "Signed up", "steps": 1})),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r["edges"],
        json!([{"step": 1, "from": "Signed up", "to": "Created API key", "count": 2}])
    );
    s.stop().await;
}

#[tokio::test]
async fn malformed_queries_and_keys_are_refused() {
    let s = server_with_product_events().await;
    for (path, body, field) in [
        ("/api/insights", json!({"events": ["Nope"]}), "events[0]"),
        ("/api/insights", json!({"evnts": []}), "evnts"),
        ("/api/insights", json!({"events": "Signed up"}), "events"),
        ("/api/insights", json!({"bucket": "fortnight"}), "bucket"),
        (
            "/api/insights",
            json!({"timezone": "Atlantis/Lost"}),
            "timezone",
        ),
        ("/api/funnels", json!({"steps": []}), "steps"),
        (
            "/api/funnels",
            json!({"steps": [{"event": "Signed up"}], "window": 0}),
            "window",
        ),
        (
            "/api/funnels",
            json!({"steps": [{"event": "Signed up", "filters": [{"property": "plan", "op": "~"}]}]}),
            "steps[0].filters[0].op",
        ),
        (
            "/api/retention",
            json!({"birth_event": "Signed up", "from": "2026-10-05", "to": "2026-10-01"}),
            "from",
        ),
        (
            "/api/flows",
            json!({"event": "Signed up", "steps": 99}),
            "steps",
        ),
    ] {
        let (status, r) = s.api(path, body.clone()).await;
        assert_eq!(status, 400, "{path} {body}: {r}");
        assert_eq!(r["field"], json!(field), "{path} {body}: {r}");
        assert!(r["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let response = s
        .client
        .post(format!("{}/api/insights", s.url))
        .body("{not json")
        .bearer_auth(&s.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let anonymous = s
        .client
        .post(format!("{}/api/funnels", s.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let (_, ingest) = s.app.control.create_key(Role::Ingest, None, None).unwrap();
    let refused = s
        .client
        .post(format!("{}/api/insights", s.url))
        .bearer_auth(ingest)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    s.stop().await;
}

#[tokio::test]
async fn cohorts_and_profiles() {
    let s = server_with_product_events().await;
    let (status, r) = s
        .api(
            "/api/cohorts",
            json!({"name": "builders", "did": {"event": "Created API key", "in_last_days": 5000}}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["size"], json!(2));
    let (status, r) = s.api("/api/cohorts", json!({"name": "nothing"})).await;
    assert_eq!(status, 400);
    assert_eq!(r["field"], json!("did"));

    let (_, listed) = s.get("/api/cohorts").await;
    assert_eq!(listed["cohorts"][0]["name"], json!("builders"));

    let (_, r) = s
        .api(
            "/api/insights",
            with_range(json!({"events": ["Signed up"], "bucket": "all", "filters": [{"cohort": "builders"}]})),
        )
        .await;
    assert_eq!(r["series"][0]["total"], json!(2));

    let deleted = s
        .client
        .delete(format!("{}/api/cohorts/builders", s.url))
        .bearer_auth(&s.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let (status, r) = s
        .api(
            "/api/insights",
            with_range(json!({"filters": [{"cohort": "builders"}]})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(r["field"], json!("filters[0].cohort"));

    // Profiles, by the pseudonyms the store shows.
    let person = s
        .scalar("SELECT person_id FROM events WHERE event = 'Made API call' LIMIT 1")
        .await;
    let get = |path: String| {
        let s = &s;
        async move {
            let response = s
                .client
                .get(format!("{}{path}", s.url))
                .bearer_auth(&s.admin_key)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, p) = get(format!("/api/people/{person}")).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["event_count"], json!(4), "{p}");
    assert_eq!(p["events"][0]["event"], json!("Made API call"));
    let (status, _) = get("/api/people/12345".into()).await;
    assert_eq!(status, 404);
    let (status, r) = get("/api/people/ada".into()).await;
    assert_eq!(status, 400);
    assert_eq!(r["field"], json!("person_id"));

    let org = s
        .scalar("SELECT json_get_int(properties, 'org_id') FROM events WHERE event = 'Made API call' LIMIT 1")
        .await;
    let (status, g) = get(format!("/api/groups/org_id/{org}")).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    // acme: two sign-ups, two keys, two calls; ties in name order.
    assert_eq!(
        g["top_events"],
        json!([
            {"event": "Created API key", "count": 2},
            {"event": "Made API call", "count": 2},
            {"event": "Signed up", "count": 2}
        ])
    );
    // The raw organisation id is not how anyone looks it up: pseudonyms only.
    let (status, _) = get("/api/groups/org_id/acme".into()).await;
    assert_eq!(status, 400);
    s.stop().await;
}
