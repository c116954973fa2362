//! Funnels against hand-computed answers.

use serde_json::{Value, json};

use super::*;
use crate::request::OTHER;
use crate::testing::{self, Fixture, ev};

const A: &str = "Signed up";
const B: &str = "Created API key";
const C: &str = "Made API call";

async fn fixture() -> Fixture {
    Fixture::new(&[
        // Converts fully: B after 2 h, C after 23 h.
        ev(1, A, "2026-10-01T10:00:00Z").browser("Chrome"),
        ev(1, B, "2026-10-01T12:00:00Z"),
        ev(1, C, "2026-10-02T09:00:00Z"),
        // First attempt too slow (25 h), the second converts to B in 30 minutes.
        ev(2, A, "2026-10-01T10:00:00Z").browser("Firefox"),
        ev(2, B, "2026-10-02T11:00:00Z"),
        ev(2, A, "2026-10-03T10:00:00Z").browser("Safari"),
        ev(2, B, "2026-10-03T10:30:00Z"),
        // B before A does not count.
        ev(3, B, "2026-10-01T09:00:00Z"),
        ev(3, A, "2026-10-01T10:00:00Z").browser("Chrome"),
        // All three in the same instant: they count in step order.
        ev(4, C, "2026-10-01T10:00:00Z"),
        ev(4, B, "2026-10-01T10:00:00Z"),
        ev(4, A, "2026-10-01T10:00:00Z").browser("Chrome"),
        // Started before the range: not in the funnel.
        ev(5, A, "2026-09-30T23:00:00Z").browser("Chrome"),
        ev(5, B, "2026-10-01T01:00:00Z"),
        // Started on the last day; step 2 after the range but inside the window still counts.
        ev(6, A, "2026-10-10T23:00:00Z").browser("Firefox"),
        ev(6, B, "2026-10-11T05:00:00Z"),
    ])
    .await
}

fn base() -> Value {
    json!({"steps": [{"event": A}, {"event": B}, {"event": C}], "window": "1d", "from": "2026-10-01", "to": "2026-10-10"})
}

async fn ask(f: &Fixture, value: Value) -> FunnelResult {
    testing::ask::<FunnelRequest>(f, base(), value).await
}

fn counts(steps: &[StepResult]) -> Vec<u64> {
    steps.iter().map(|s| s.count).collect()
}

#[tokio::test]
async fn window_order_ties_and_range() {
    let f = fixture().await;
    let r = ask(&f, json!({})).await;
    assert_eq!(counts(&r.steps), [5, 4, 2]);
    assert_eq!(r.steps[1].conversion, 0.8);
    assert_eq!(r.steps[2].step_conversion, 0.5);
    assert_eq!(r.steps[2].conversion, 0.4);
    assert_eq!(r.steps[0].median_seconds, None);
    // Times to step 2: 0 s, 1800 s, 7200 s, 21600 s.
    assert_eq!(r.steps[1].median_seconds, Some(4500.0));
    assert_eq!(r.steps[1].p90_seconds, Some(17280.0));
    assert_eq!(r.steps[2].median_seconds, Some(41400.0));
    assert!(r.breakdown.is_empty());

    // A 25-hour window lets person 2's first attempt through too (same level, so same counts), and a
    // 1-hour window loses person 1's step 2 (2 h) and person 6's (6 h).
    let r = ask(&f, json!({"window": "25h"})).await;
    assert_eq!(counts(&r.steps), [5, 4, 2]);
    let r = ask(&f, json!({"window": 3600})).await;
    assert_eq!(counts(&r.steps), [5, 2, 1]);
}

#[tokio::test]
async fn breakdown_by_the_first_steps_value() {
    let f = fixture().await;
    let r = ask(&f, json!({"breakdown": "browser"})).await;
    let rows: Vec<(Option<String>, Vec<u64>)> = r
        .breakdown
        .iter()
        .map(|b| (b.value.clone(), counts(&b.steps)))
        .collect();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        [
            (s("Chrome"), vec![3, 2, 2]),
            (s("Firefox"), vec![1, 1, 0]),
            (s("Safari"), vec![1, 1, 0]),
        ]
    );
    let r = ask(&f, json!({"breakdown": "browser", "limit": 1})).await;
    assert_eq!(r.breakdown.len(), 2);
    assert_eq!(r.breakdown[1].value.as_deref(), Some(OTHER));
    assert_eq!(counts(&r.breakdown[1].steps), [2, 2, 0]);
}

#[tokio::test]
async fn step_filters() {
    let f = fixture().await;
    let r = ask(
        &f,
        json!({"steps": [
            {"event": A, "filters": [{"property": "browser", "op": "=", "value": "Chrome"}]},
            {"event": B}
        ]}),
    )
    .await;
    assert_eq!(counts(&r.steps), [3, 2]);
}

#[tokio::test]
async fn exclusions_hold_constant_and_organisations() {
    let f = Fixture::new(&[
        // Views the docs between steps 1 and 2: excluded.
        ev(7, A, "2026-10-05T10:00:00Z"),
        ev(7, "Viewed docs", "2026-10-05T11:00:00Z"),
        ev(7, B, "2026-10-05T12:00:00Z"),
        // Views the docs after step 2: kept.
        ev(8, A, "2026-10-05T10:00:00Z"),
        ev(8, B, "2026-10-05T11:00:00Z"),
        ev(8, "Viewed docs", "2026-10-05T12:00:00Z"),
        // Views the docs after step 1 and never converts: excluded too.
        ev(9, A, "2026-10-05T10:00:00Z").props(json!({"plan": "free", "org_id": 77})),
        ev(9, "Viewed docs", "2026-10-05T10:30:00Z"),
        // Changes plan between the steps.
        ev(10, A, "2026-10-05T10:00:00Z").props(json!({"plan": "free", "org_id": 77})),
        ev(10, B, "2026-10-05T11:00:00Z").props(json!({"plan": "pro", "org_id": 77})),
        // Another member of organisation 77 does step 2 later.
        ev(11, C, "2026-10-05T15:00:00Z").props(json!({"org_id": 77})),
    ])
    .await;
    let r = ask(
        &f,
        json!({"steps": [{"event": A}, {"event": B}],
               "exclusions": [{"event": "Viewed docs", "from_step": 1, "to_step": 2}]}),
    )
    .await;
    assert_eq!(counts(&r.steps), [2, 2]);
    let r = ask(&f, json!({"steps": [{"event": A}, {"event": B}]})).await;
    assert_eq!(counts(&r.steps), [4, 3]);
    let r = ask(
        &f,
        json!({"steps": [{"event": A}, {"event": B}], "hold_constant": ["plan"]}),
    )
    .await;
    assert_eq!(counts(&r.steps), [4, 2]);
    // Per organisation: 77 signs up (persons 9, 10), creates a key (10) and makes a call (11).
    let r = ask(&f, json!({"count_by": "org_id"})).await;
    assert_eq!(counts(&r.steps), [1, 1, 1]);
}

#[tokio::test]
async fn malformed_funnels_name_the_field() {
    let f = fixture().await;
    let refused = |value: Value| testing::refused::<FunnelRequest>(&f, base(), value);
    assert_eq!(refused(json!({"steps": []})).await, "steps");
    assert_eq!(
        refused(json!({"steps": [{"event": A}, {}]})).await,
        "steps[1].event"
    );
    assert_eq!(refused(json!({"window": 0})).await, "window");
    assert_eq!(refused(json!({"window": "-1d"})).await, "window");
    assert_eq!(refused(json!({"to": "2026-09-01"})).await, "from");
    assert_eq!(
        refused(json!({"steps": [{"event": "Nope"}, {"event": B}]})).await,
        "steps[0].event"
    );
    assert_eq!(
        refused(json!({"steps": [{"event": A}, {"event": "Nope"}]})).await,
        "steps[1].event"
    );
    assert_eq!(
        refused(json!({"exclusions": [{"event": "X", "from_step": 2, "to_step": 2}]})).await,
        "exclusions[0].to_step"
    );
    assert_eq!(
        refused(json!({"steps": [{"event": A, "filters": [{"property": "x", "op": "??"}]}]})).await,
        "steps[0].filters[0].op"
    );
}

#[tokio::test]
async fn times_come_from_the_earliest_start_and_earliest_steps() {
    let f = Fixture::new(&[
        // Two keys before the call: time to step 2 is the first key's, however many steps follow.
        ev(1, A, "2026-10-01T10:00:00Z"),
        ev(1, B, "2026-10-01T10:10:00Z"),
        ev(1, B, "2026-10-01T10:20:00Z"),
        ev(1, C, "2026-10-01T10:30:00Z"),
        // Two sign-ups: timed from the first, which reaches the same level.
        ev(2, A, "2026-10-01T10:00:00Z"),
        ev(2, A, "2026-10-01T10:50:00Z"),
        ev(2, B, "2026-10-01T11:00:00Z"),
    ])
    .await;
    let r = ask(&f, json!({"steps": [{"event": A}, {"event": B}]})).await;
    assert_eq!(r.steps[1].median_seconds, Some(2100.0));
    let r = ask(&f, json!({})).await;
    assert_eq!(counts(&r.steps), [2, 2, 1]);
    assert_eq!(r.steps[1].median_seconds, Some(2100.0));
    assert_eq!(r.steps[2].median_seconds, Some(1800.0));
}

#[tokio::test]
async fn the_window_end_is_inclusive() {
    let f = Fixture::new(&[
        // Exactly one hour later: in. One hour and a millisecond: out.
        ev(1, A, "2026-10-01T10:00:00Z"),
        ev(1, B, "2026-10-01T11:00:00Z"),
        ev(2, A, "2026-10-01T10:00:00Z"),
        ev(2, B, "2026-10-01T11:00:00.001Z"),
        // Step 2 before step 1 at the same millisecond still counts (step order), step 2 a millisecond
        // before does not.
        ev(3, B, "2026-10-01T09:59:59.999Z"),
        ev(3, A, "2026-10-01T10:00:00Z"),
    ])
    .await;
    let r = ask(
        &f,
        json!({"steps": [{"event": A}, {"event": B}], "window": "1h"}),
    )
    .await;
    assert_eq!(counts(&r.steps), [3, 1]);
    assert_eq!(r.steps[1].median_seconds, Some(3600.0));
}
