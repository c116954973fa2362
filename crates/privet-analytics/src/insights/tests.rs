//! Insights against hand-computed answers.

use serde_json::{Value, json};

use super::*;
use crate::request::OTHER;
use crate::testing::{self, Fixture, ev};

async fn fixture() -> Fixture {
    Fixture::new(&[
        ev(1, "Made API call", "2026-10-01T10:00:00Z")
            .country("DE")
            .browser("Chrome")
            .props(json!({"tokens": 10})),
        ev(1, "Made API call", "2026-10-01T11:00:00Z")
            .country("DE")
            .browser("Chrome")
            .props(json!({"tokens": 30})),
        ev(1, "Made API call", "2026-10-02T09:00:00Z")
            .country("DE")
            .props(json!({"tokens": 20})),
        ev(2, "Made API call", "2026-10-01T23:30:00Z")
            .country("FR")
            .browser("Firefox")
            .props(json!({"tokens": 5})),
        ev(3, "Signed up", "2026-10-02T00:00:00Z").country("US"),
        ev(3, "Made API call", "2026-10-03T00:00:00Z")
            .country("US")
            .props(json!({"tokens": 100})),
        ev(4, "Made API call", "2026-09-30T23:59:59Z"),
    ])
    .await
}

fn base() -> Value {
    json!({"events": ["Made API call"], "from": "2026-10-01", "to": "2026-10-02"})
}

async fn ask(f: &Fixture, value: Value) -> InsightsResult {
    testing::ask::<InsightsRequest>(f, base(), value).await
}

async fn refused(f: &Fixture, value: Value) -> String {
    testing::refused::<InsightsRequest>(f, base(), value).await
}

fn values(series: &Series) -> Vec<Value> {
    series.values.clone()
}

#[tokio::test]
async fn totals_and_uniques_per_day_with_boundaries() {
    let f = fixture().await;
    let r = ask(&f, json!({})).await;
    assert_eq!(
        r.buckets,
        ["2026-10-01T00:00:00+00:00", "2026-10-02T00:00:00+00:00"]
    );
    assert_eq!(r.series.len(), 1);
    // 30 Sep 23:59:59 and 3 Oct 00:00:00 are outside the range.
    assert_eq!(values(&r.series[0]), [json!(3), json!(1)]);
    assert_eq!(r.series[0].total, json!(4));
    assert_eq!(r.series[0].event, "Made API call");

    let r = ask(&f, json!({"measure": "unique"})).await;
    assert_eq!(values(&r.series[0]), [json!(2), json!(1)]);
    // Person 1 is counted once over the range, not once per day.
    assert_eq!(r.series[0].total, json!(2));

    let r = ask(&f, json!({"measure": "per_person"})).await;
    assert_eq!(values(&r.series[0]), [json!(1.5), json!(1.0)]);
    assert_eq!(r.series[0].total, json!(2.0));
}

#[tokio::test]
async fn days_follow_the_time_zone() {
    let f = fixture().await;
    let r = ask(&f, json!({"timezone": "Europe/Berlin"})).await;
    assert_eq!(
        r.buckets,
        ["2026-10-01T00:00:00+02:00", "2026-10-02T00:00:00+02:00"]
    );
    // Berlin's 1 October starts at 30 Sep 22:00 UTC (person 4 is in), and 23:30 UTC is already 2 October.
    assert_eq!(values(&r.series[0]), [json!(3), json!(2)]);
    let r = ask(&f, json!({"bucket": "all"})).await;
    assert_eq!(values(&r.series[0]), [json!(4)]);
    let r = ask(
        &f,
        json!({"bucket": "hour", "from": "2026-10-01T10:00:00Z", "to": "2026-10-01T12:00:00Z"}),
    )
    .await;
    assert_eq!(values(&r.series[0]), [json!(1), json!(1)]);
}

#[tokio::test]
async fn any_event_and_several_events() {
    let f = fixture().await;
    let r = ask(&f, json!({"events": []})).await;
    assert_eq!(r.series[0].event, ANY_EVENT);
    assert_eq!(values(&r.series[0]), [json!(3), json!(2)]);
    let r = ask(&f, json!({"events": ["Signed up", "Made API call"]})).await;
    let names: Vec<&str> = r.series.iter().map(|s| s.event.as_str()).collect();
    assert_eq!(names, ["Made API call", "Signed up"]);
    assert_eq!(values(&r.series[1]), [json!(0), json!(1)]);
}

#[tokio::test]
async fn property_measures() {
    let f = fixture().await;
    let r = ask(&f, json!({"measure": "sum", "property": "tokens"})).await;
    assert_eq!(values(&r.series[0]), [json!(45.0), json!(20.0)]);
    assert_eq!(r.series[0].total, json!(65.0));
    let r = ask(&f, json!({"measure": "median", "property": "tokens"})).await;
    assert_eq!(r.series[0].total, json!(15.0));
    let r = ask(&f, json!({"measure": "p90", "property": "tokens"})).await;
    assert_eq!(r.series[0].total, json!(27.0));
    let r = ask(
        &f,
        json!({"measure": "max", "property": "tokens", "bucket": "all"}),
    )
    .await;
    assert_eq!(r.series[0].total, json!(30.0));
    let r = ask(&f, json!({"measure": "avg", "property": "tokens"})).await;
    assert_eq!(values(&r.series[0]), [json!(15.0), json!(20.0)]);
    // No values in a bucket: no average (not zero).
    let r = ask(&f, json!({"measure": "min", "property": "nothing"})).await;
    assert_eq!(values(&r.series[0]), [Value::Null, Value::Null]);
}

#[tokio::test]
async fn filters() {
    let f = fixture().await;
    let total = |r: InsightsResult| r.series.first().map(|s| s.total.clone());
    let cases = [
        (
            json!({"property": "country", "op": "=", "value": "DE"}),
            json!(3),
        ),
        (
            json!({"property": "country", "op": "!=", "value": "DE"}),
            json!(1),
        ),
        (
            json!({"property": "tokens", "op": ">", "value": 15}),
            json!(2),
        ),
        (
            json!({"property": "tokens", "op": "<=", "value": 10}),
            json!(2),
        ),
        (
            json!({"property": "tokens", "op": "=", "value": 30}),
            json!(1),
        ),
        (
            json!({"property": "browser", "op": "contains", "value": "chr"}),
            json!(2),
        ),
        (
            json!({"property": "browser", "op": "not contains", "value": "chr"}),
            json!(2),
        ),
        (json!({"property": "browser", "op": "is not set"}), json!(1)),
        (json!({"property": "browser", "op": "is set"}), json!(3)),
        (
            json!({"property": "country", "op": "in", "value": ["FR", "US"]}),
            json!(1),
        ),
        (
            json!({"property": "country", "op": "not in", "value": ["FR"]}),
            json!(3),
        ),
        (
            json!({"property": "person_id", "op": "=", "value": 2}),
            json!(1),
        ),
    ];
    for (filter, expected) in cases {
        let r = ask(&f, json!({"filters": [filter.clone()]})).await;
        assert_eq!(total(r), Some(expected), "{filter}");
    }
}

#[tokio::test]
async fn breakdowns_with_top_n_and_other() {
    let f = fixture().await;
    let r = ask(&f, json!({"breakdown": "country", "limit": 1})).await;
    assert_eq!(r.series.len(), 2);
    assert_eq!(r.series[0].breakdown, [Some("DE".to_string())]);
    assert_eq!(values(&r.series[0]), [json!(2), json!(1)]);
    assert_eq!(r.series[1].breakdown, [Some(OTHER.to_string())]);
    assert_eq!(r.series[1].total, json!(1));

    let r = ask(
        &f,
        json!({"breakdown": ["country", "browser"], "measure": "unique"}),
    )
    .await;
    let rows: Vec<(Vec<Option<String>>, Value)> = r
        .series
        .iter()
        .map(|s| (s.breakdown.clone(), s.total.clone()))
        .collect();
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        [
            (vec![s("DE"), s("Chrome")], json!(1)),
            (vec![s("DE"), None], json!(1)),
            (vec![s("FR"), s("Firefox")], json!(1)),
        ]
    );
}

#[tokio::test]
async fn malformed_requests_name_the_field() {
    let f = fixture().await;
    assert_eq!(refused(&f, json!({"events": ["Nope"]})).await, "events[0]");
    assert_eq!(
        refused(&f, json!({"events": ["Made API call", ""]})).await,
        "events[1]"
    );
    assert_eq!(refused(&f, json!({"bucket": "year"})).await, "bucket");
    assert_eq!(refused(&f, json!({"measure": "sum"})).await, "property");
    assert_eq!(refused(&f, json!({"measure": "mode"})).await, "measure");
    assert_eq!(refused(&f, json!({"from": "2026-10-05"})).await, "from");
    assert_eq!(refused(&f, json!({"timezone": "Berlin"})).await, "timezone");
    assert_eq!(refused(&f, json!({"limit": 0})).await, "limit");
    assert_eq!(
        refused(&f, json!({"breakdown": ["a", "b", "c"]})).await,
        "breakdown"
    );
    assert_eq!(
        refused(&f, json!({"filters": [{"cohort": "nobody"}]})).await,
        "filters[0].cohort"
    );
    // An event that exists but not in the range is not an error.
    let r = ask(
        &f,
        json!({"events": ["Signed up"], "from": "2026-09-01", "to": "2026-09-02"}),
    )
    .await;
    assert!(r.series.is_empty());
}
