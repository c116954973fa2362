//! Retention against hand-computed triangles.

use serde_json::{Value, json};

use super::*;
use crate::request::OTHER;
use crate::testing::{self, Fixture, ev};

const S: &str = "Signed up";
const M: &str = "Made API call";

async fn fixture() -> Fixture {
    Fixture::new(&[
        ev(1, M, "2026-10-01T09:00:00Z"),
        ev(1, S, "2026-10-01T10:00:00Z").country("DE"),
        ev(1, M, "2026-10-01T12:00:00Z"),
        ev(1, M, "2026-10-03T10:00:00Z"),
        ev(2, S, "2026-10-01T23:00:00Z").country("FR"),
        ev(2, M, "2026-10-02T01:00:00Z"),
        ev(3, S, "2026-09-28T10:00:00Z").country("DE"),
        ev(3, S, "2026-10-02T10:00:00Z").country("DE"),
        ev(3, M, "2026-10-02T12:00:00Z"),
        ev(4, S, "2026-10-02T10:00:00Z").country("DE"),
        ev(4, S, "2026-10-04T10:00:00Z").country("DE"),
        ev(4, M, "2026-10-04T12:00:00Z"),
        ev(5, S, "2026-10-05T10:00:00Z").country("US"),
        ev(5, M, "2026-10-06T10:00:00Z"),
    ])
    .await
}

fn base() -> Value {
    json!({"birth_event": S, "return_event": M, "bucket": "day", "periods": 3, "from": "2026-10-01", "to": "2026-10-05"})
}

async fn ask(f: &Fixture, value: Value) -> RetentionResult {
    testing::ask::<RetentionRequest>(f, base(), value).await
}

type Cells = Vec<(u64, Vec<Option<u64>>)>;

fn cells(rows: &[CohortRow]) -> Cells {
    rows.iter().map(|r| (r.size, r.retained.clone())).collect()
}

#[tokio::test]
async fn first_time_triangle() {
    let f = fixture().await;
    let r = ask(&f, json!({})).await;
    assert_eq!(r.cohorts[0].start, "2026-10-01T00:00:00+00:00");
    assert_eq!(
        cells(&r.cohorts),
        [
            (2, vec![Some(1), Some(1), Some(1)]),
            (1, vec![Some(0), Some(0), Some(1)]),
            (0, vec![Some(0), Some(0), Some(0)]),
            (0, vec![Some(0), Some(0), None]),
            (1, vec![Some(0), None, None]),
        ]
    );
}

#[tokio::test]
async fn recurring_triangle() {
    let f = fixture().await;
    let r = ask(&f, json!({"mode": "recurring"})).await;
    assert_eq!(
        cells(&r.cohorts),
        [
            (2, vec![Some(1), Some(1), Some(1)]),
            (2, vec![Some(1), Some(0), Some(1)]),
            (0, vec![Some(0), Some(0), Some(0)]),
            (1, vec![Some(1), Some(0), None]),
            (1, vec![Some(0), None, None]),
        ]
    );
}

#[tokio::test]
async fn any_return_event_weeks_and_breakdown() {
    let f = fixture().await;
    // Any event counts as a return: person 4's second sign-up on 4 October is a return on day 2.
    let r = ask(&f, json!({"return_event": null})).await;
    assert_eq!(r.cohorts[1].retained, [Some(0), Some(0), Some(1)]);
    let r = ask(&f, json!({"bucket": "week", "periods": 2})).await;
    assert_eq!(r.cohorts.len(), 2);
    assert_eq!(r.cohorts[0].start, "2026-09-28T00:00:00+00:00");
    // Week of 28 Sep: persons 1, 2, 4 (3 was born before the range); all return the same week.
    assert_eq!(cells(&r.cohorts)[0], (3, vec![Some(3), Some(0)]));
    let r = ask(&f, json!({"breakdown": "country", "limit": 1})).await;
    let rows: Vec<(Option<String>, u64)> = r
        .breakdown
        .iter()
        .map(|b| (b.value.clone(), b.cohorts.iter().map(|c| c.size).sum()))
        .collect();
    assert_eq!(
        rows,
        [(Some("DE".to_string()), 2), (Some(OTHER.to_string()), 2)]
    );
}

#[tokio::test]
async fn malformed_retention_names_the_field() {
    let f = fixture().await;
    let refused = |value: Value| testing::refused::<RetentionRequest>(&f, base(), value);
    assert_eq!(refused(json!({"birth_event": null})).await, "birth_event");
    assert_eq!(refused(json!({"mode": "sometimes"})).await, "mode");
    assert_eq!(refused(json!({"bucket": "hour"})).await, "bucket");
    assert_eq!(refused(json!({"periods": 0})).await, "periods");
    assert_eq!(refused(json!({"birth_event": "Nope"})).await, "birth_event");
    assert_eq!(refused(json!({"timezone": "Nowhere"})).await, "timezone");
}

#[tokio::test]
async fn a_misspelt_return_event_is_named() {
    let f = fixture().await;
    let refused =
        testing::refused::<RetentionRequest>(&f, base(), json!({"return_event": "Made API cal"}))
            .await;
    assert_eq!(refused, "return_event");
}
