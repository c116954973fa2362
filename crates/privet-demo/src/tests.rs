//! Tests of the generated dataset: determinism, the event names, one browser and address per person, the
//! funnel's shape and order, retention, times inside the span, and the profile updates.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::behaviour::*;
use crate::{DemoOptions, EVENT_NAMES, end_of_day, generate};

const DAY: i64 = 86_400_000;

fn options(events: u64, seed: u64) -> DemoOptions {
    DemoOptions {
        events,
        seed,
        days: 90,
        end_ms: end_of_day("2025-11-23").unwrap(),
    }
}

fn props(event: &Value) -> &serde_json::Map<String, Value> {
    event["properties"].as_object().expect("properties")
}

fn name(event: &Value) -> &str {
    event["event"].as_str().expect("a name")
}

fn time(event: &Value) -> i64 {
    event["properties"]["time"].as_i64().expect("time in ms")
}

/// Each person's events, by `$device_id` (which every event carries, anonymous or not).
fn by_person(events: &[Value]) -> HashMap<&str, Vec<&Value>> {
    let mut people: HashMap<&str, Vec<&Value>> = HashMap::new();
    for e in events {
        people
            .entry(props(e)["$device_id"].as_str().unwrap())
            .or_default()
            .push(e);
    }
    people
}

#[test]
fn the_same_seed_gives_the_same_events_and_another_seed_others() {
    let a = generate(&options(5_000, 1));
    let b = generate(&options(5_000, 1));
    assert_eq!(a.events, b.events);
    assert_eq!(a.people_updates, b.people_updates);
    assert_eq!(a.group_updates, b.group_updates);
    let c = generate(&options(5_000, 2));
    assert_ne!(a.events, c.events);
    let emails = |d: &crate::Dataset| d.people.iter().map(|p| p.email.clone()).collect::<Vec<_>>();
    assert_ne!(emails(&a), emails(&c));
}

#[test]
fn exactly_the_target_with_unique_insert_ids_and_times_inside_the_span() {
    let opts = options(20_000, 3);
    let span = opts.span();
    let data = generate(&opts);
    assert_eq!(data.events.len(), 20_000);
    let mut ids = HashSet::new();
    for e in &data.events {
        let t = time(e);
        assert!(span.start_ms < t && t < span.end_ms, "{t} outside the span");
        assert!(
            ids.insert(props(e)["$insert_id"].as_str().unwrap()),
            "insert ids repeat"
        );
    }
    // The last person may be cut short, but everyone else is whole: people are emitted one after the other.
    assert!(data.events.len() as u64 >= opts.events);
    assert_eq!(generate(&options(1, 3)).events.len(), 1);
    assert!(generate(&options(0, 3)).events.is_empty());
}

#[test]
fn the_event_names_are_exactly_the_documented_nine_and_api_calls_dominate() {
    let data = generate(&options(30_000, 1));
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for e in &data.events {
        *counts.entry(name(e)).or_default() += 1;
    }
    let names: BTreeSet<&str> = counts.keys().copied().collect();
    assert_eq!(names, EVENT_NAMES.into_iter().collect::<BTreeSet<_>>());
    let most = counts.iter().max_by_key(|(_, n)| **n).unwrap();
    assert_eq!(*most.0, MADE_API_CALL, "{counts:?}");
}

#[test]
fn each_person_keeps_one_browser_one_address_and_one_organisation() {
    let data = generate(&options(20_000, 4));
    let people = by_person(&data.events);
    assert_eq!(people.len(), data.people.len());
    for (device, events) in &people {
        let one = |key: &str| -> HashSet<String> {
            events
                .iter()
                .filter_map(|e| props(e).get(key))
                .map(|v| v.to_string())
                .collect()
        };
        assert_eq!(one("$user_agent").len(), 1, "{device}");
        assert_eq!(one("ip").len(), 1, "{device}");
        assert_eq!(one("$user_id").len(), 1, "{device}");
        assert_eq!(one("org_id").len(), 1, "{device}");
    }
    // Many browsers and countries overall, popular ones more often.
    let agents: HashSet<&str> = data.people.iter().map(|p| p.user_agent).collect();
    let countries: HashSet<&str> = data.people.iter().map(|p| p.country).collect();
    assert!(
        agents.len() >= 10 && countries.len() >= 20,
        "{} {}",
        agents.len(),
        countries.len()
    );
    let us = data.people.iter().filter(|p| p.country == "US").count();
    let cl = data.people.iter().filter(|p| p.country == "CL").count();
    assert!(us > cl * 3, "US {us}, CL {cl}");
}

#[test]
fn the_funnel_narrows_and_its_steps_are_in_order() {
    let data = generate(&options(60_000, 5));
    let (mut signed, mut keys, mut calls, mut upgrades) = (0, 0, 0, 0);
    let (mut within_week, mut after_week) = (0, 0);
    for (device, events) in by_person(&data.events) {
        let first = |n: &str| events.iter().find(|e| name(e) == n).map(|e| time(e));
        let count = |n: &str| events.iter().filter(|e| name(e) == n).count();
        assert_eq!(count(SIGNED_UP), 1, "{device} signs up once");
        assert!(count(CREATED_API_KEY) <= 1 && count(UPGRADED_PLAN) <= 1);
        let signup = first(SIGNED_UP).unwrap();
        let key = first(CREATED_API_KEY);
        let call = first(MADE_API_CALL);
        let upgrade = first(UPGRADED_PLAN);
        // Nothing the product sees happens before sign-up, except anonymous visits to the docs.
        for e in &events {
            if time(e) < signup {
                assert_eq!(name(e), VIEWED_DOCS);
                assert!(props(e).get("$user_id").is_none());
            }
        }
        if let Some(call) = call {
            assert!(
                key.is_some_and(|k| k <= call),
                "{device}: an API call before a key"
            );
        }
        if let Some(upgrade) = upgrade {
            assert!(
                call.is_some_and(|c| c <= upgrade),
                "{device}: an upgrade before a call"
            );
            assert!(signup < upgrade);
            if upgrade - signup <= 7 * DAY {
                within_week += 1;
            } else {
                after_week += 1;
            }
        }
        signed += 1;
        keys += usize::from(key.is_some());
        calls += usize::from(call.is_some());
        upgrades += usize::from(upgrade.is_some());
    }
    assert!(signed > keys && keys > calls && calls > upgrades && upgrades > 0);
    let rate = |a: usize, b: usize| a as f64 / b as f64;
    assert!(
        (0.45..0.70).contains(&rate(keys, signed)),
        "{keys}/{signed}"
    );
    assert!((0.55..0.80).contains(&rate(calls, keys)), "{calls}/{keys}");
    assert!(
        (0.05..0.20).contains(&rate(upgrades, calls)),
        "{upgrades}/{calls}"
    );
    assert!(
        within_week > 0 && after_week > 0,
        "{within_week} {after_week}"
    );
}

#[test]
fn retention_decays_week_by_week() {
    let opts = options(100_000, 6);
    let data = generate(&opts);
    // People who signed up in the span's first month, active in week w after sign-up.
    let mut active = [0usize; 9];
    let mut cohort = 0;
    for events in by_person(&data.events).values() {
        let signup = events
            .iter()
            .find(|e| name(e) == SIGNED_UP)
            .map(|e| time(e))
            .unwrap();
        if signup > opts.span().start_ms + 30 * DAY {
            continue;
        }
        cohort += 1;
        let weeks: HashSet<i64> = events
            .iter()
            .map(|e| (time(e) - signup) / (7 * DAY))
            .collect();
        for (w, n) in active.iter_mut().enumerate() {
            *n += usize::from(weeks.contains(&(w as i64)));
        }
    }
    assert!(cohort > 100, "{cohort}");
    assert_eq!(active[0], cohort);
    assert!(
        active[1] > active[4] && active[4] > active[8] && active[8] > 0,
        "{active:?}"
    );
}

#[test]
fn events_carry_what_the_pipeline_minimises() {
    let data = generate(&options(10_000, 7));
    for e in &data.events {
        let p = props(e);
        for key in [
            "distinct_id",
            "$device_id",
            "$user_agent",
            "ip",
            "$current_url",
            "$insert_id",
        ] {
            assert!(
                p.get(key).is_some_and(Value::is_string),
                "{key} missing: {e}"
            );
        }
        assert!(p["time"].is_i64());
        if p.contains_key("$user_id") {
            assert!(p["org_id"].as_str().unwrap().starts_with("org-"));
            assert!(["free", "pro", "enterprise"].contains(&p["plan"].as_str().unwrap()));
        }
        if let Some(r) = p.get("$referrer").and_then(Value::as_str) {
            assert!(r.starts_with("https://"));
        }
        let url = p["$current_url"].as_str().unwrap();
        assert!(url.starts_with("https://platform.example.com/"));
    }
    assert!(
        data.events
            .iter()
            .any(|e| props(e).contains_key("utm_source"))
    );
    assert!(data.events.iter().any(|e| {
        props(e)["$current_url"]
            .as_str()
            .unwrap()
            .contains("/org/org-")
    }));
    // Profiles: one /engage update per person with the personal fields, one /groups update per organisation.
    assert_eq!(data.people_updates.len(), data.people.len());
    for (update, person) in data.people_updates.iter().zip(&data.people) {
        assert_eq!(update["$distinct_id"], person.user_id.as_str());
        assert_eq!(update["$set"]["$email"], person.email.as_str());
        assert_eq!(update["$set"]["$name"], person.name().as_str());
    }
    assert_eq!(data.group_updates.len(), data.organisations.len());
    let seats: u64 = data
        .group_updates
        .iter()
        .map(|g| {
            assert_eq!(g["$group_key"], "org_id");
            assert!(g["$set"]["name"].is_string());
            g["$set"]["seats"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(seats, data.people.len() as u64);
    let plans: HashSet<&str> = data
        .group_updates
        .iter()
        .map(|g| g["$set"]["plan"].as_str().unwrap())
        .collect();
    assert!(plans.contains("free") && plans.contains("pro"), "{plans:?}");
}

#[test]
fn end_dates_are_parsed_and_checked() {
    assert_eq!(end_of_day("1970-01-01"), Ok(DAY));
    assert!(end_of_day("23/11/2025").unwrap_err().contains("YYYY-MM-DD"));
}
