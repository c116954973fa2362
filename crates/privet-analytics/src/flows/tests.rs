//! Flows against hand-computed paths.

use serde_json::{Value, json};

use super::*;
use crate::request::OTHER;
use crate::testing::{self, Fixture, ev};

const S: &str = "Signed up";
const K: &str = "Created API key";
const M: &str = "Made API call";
const D: &str = "Viewed docs";

async fn fixture() -> Fixture {
    Fixture::new(&[
        // 1: D, S, K, M, M — the first S anchors; D is before it.
        ev(1, D, "2026-10-01T09:00:00Z"),
        ev(1, S, "2026-10-01T10:00:00Z"),
        ev(1, K, "2026-10-01T11:00:00Z"),
        ev(1, M, "2026-10-01T12:00:00Z"),
        ev(1, M, "2026-10-01T13:00:00Z"),
        // 2: S, K then nothing.
        ev(2, S, "2026-10-02T10:00:00Z"),
        ev(2, K, "2026-10-02T10:05:00Z"),
        // 3: S, D, S (second S is not an anchor), K.
        ev(3, S, "2026-10-03T10:00:00Z"),
        ev(3, D, "2026-10-03T10:01:00Z"),
        ev(3, S, "2026-10-03T10:02:00Z"),
        ev(3, K, "2026-10-03T10:03:00Z"),
        // 4: only S.
        ev(4, S, "2026-10-04T10:00:00Z"),
        // 5: never signs up.
        ev(5, M, "2026-10-04T10:00:00Z"),
    ])
    .await
}

fn base() -> Value {
    json!({"event": S, "steps": 2, "from": "2026-10-01", "to": "2026-10-05"})
}

async fn ask(f: &Fixture, value: Value) -> FlowResult {
    testing::ask::<FlowRequest>(f, base(), value).await
}

fn edges(r: &FlowResult) -> Vec<(usize, String, String, u64)> {
    r.edges
        .iter()
        .map(|e| (e.step, e.from.clone(), e.to.clone(), e.count))
        .collect()
}

fn nodes(r: &FlowResult) -> Vec<(usize, String, u64, u64)> {
    r.nodes
        .iter()
        .map(|n| (n.step, n.event.clone(), n.count, n.dropoff))
        .collect()
}

fn e(step: usize, from: &str, to: &str, count: u64) -> (usize, String, String, u64) {
    (step, from.into(), to.into(), count)
}

fn n(step: usize, event: &str, count: u64, dropoff: u64) -> (usize, String, u64, u64) {
    (step, event.into(), count, dropoff)
}

#[tokio::test]
async fn next_steps_after_the_first_occurrence() {
    let f = fixture().await;
    let r = ask(&f, json!({})).await;
    assert_eq!(
        edges(&r),
        [e(1, S, K, 2), e(1, S, D, 1), e(2, K, M, 1), e(2, D, S, 1),]
    );
    assert_eq!(
        nodes(&r),
        [
            n(0, S, 4, 1),
            n(1, K, 2, 1),
            n(1, D, 1, 0),
            n(2, M, 1, 0),
            n(2, S, 1, 0),
        ]
    );
    // Top 1 per step: Viewed docs at step 1 becomes $other.
    let r = ask(&f, json!({"limit": 1})).await;
    assert_eq!(edges(&r)[1], e(1, S, OTHER, 1));
}

#[tokio::test]
async fn steps_before() {
    let f = fixture().await;
    let r = ask(&f, json!({"direction": "before", "steps": 1})).await;
    // Only person 1 did something before signing up.
    assert_eq!(edges(&r), [e(1, S, D, 1)]);
    assert_eq!(nodes(&r)[0], n(0, S, 4, 3));
}

#[tokio::test]
async fn malformed_flows_name_the_field() {
    let f = fixture().await;
    for (value, field) in [
        (json!({"event": null}), "event"),
        (json!({"event": "Nope"}), "event"),
        (json!({"direction": "sideways"}), "direction"),
        (json!({"steps": 0}), "steps"),
        (json!({"steps": 11}), "steps"),
        (json!({"limit": 0}), "limit"),
    ] {
        let refused = testing::refused::<FlowRequest>(&f, base(), value.clone()).await;
        assert_eq!(refused, field, "{value}");
    }
}
