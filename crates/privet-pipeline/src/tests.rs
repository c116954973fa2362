//! Tests of the whole pipeline on realistic Mixpanel events.

use privet_config::{PolicyConfig, PrivacyConfig};
use privet_model::{
    IdentityOp, ProfileOpKind, ProfileTarget, ProjectId, RawEvent, RawProfileTarget,
    RawProfileUpdate,
};
use serde_json::{Value, json};

use super::*;

const P: ProjectId = ProjectId(1);

/// A pipeline with an in-memory vault.
struct Fixture {
    pipeline: Pipeline,
    vault: MemoryVault,
}

impl Fixture {
    fn event(&self, raw: RawEvent) -> Option<MinimalEvent> {
        self.event_with(&EventContext::default(), raw)
    }

    fn event_with(&self, ctx: &EventContext, raw: RawEvent) -> Option<MinimalEvent> {
        self.pipeline.event(P, ctx, raw, &self.vault)
    }

    fn profile(&self, raw: RawProfileUpdate) -> Result<ProfileUpdate, PipelineError> {
        self.pipeline.profile(P, raw, &self.vault)
    }
}

/// k = 1, so that single test events keep their city, region and client.
fn pipeline() -> Fixture {
    with_policy(PolicyConfig {
        k: 1,
        ..Default::default()
    })
}

fn with_policy(policy: PolicyConfig) -> Fixture {
    let config = PrivacyConfig {
        policy,
        ..Default::default()
    };
    Fixture {
        pipeline: Pipeline::new(config, Box::new(|_| None)).unwrap(),
        vault: MemoryVault::default(),
    }
}

fn raw(name: &str, props: Value) -> RawEvent {
    RawEvent::from_json(name, 1, Some("abc"), &props)
}

/// An event `e` whose properties are spans of a request's text, as ingestion parses them.
fn raw_spans(properties: privet_model::RawProperties) -> RawEvent {
    RawEvent {
        name: "e".into(),
        time_us: 1,
        insert_id: None,
        properties,
    }
}

const PLANTED: &[&str] = &[
    "alice@example.com",
    "Alice Liddell",
    "+44 20 7946 0958",
    "203.0.113.9",
    "user-1234",
    "org-777",
    "secret-token",
    "dev-42",
];

fn assert_clean(event: &MinimalEvent) {
    let text = format!("{event:?}");
    for planted in PLANTED {
        assert!(!text.contains(planted), "{planted} leaked into {text}");
    }
}

#[test]
fn browser_event_is_minimised() {
    let event = pipeline()
        .event(raw(
            "Viewed pricing",
            json!({
                "token": "abc123",
                "distinct_id": "user-1234",
                "$device_id": "dev-42",
                "$user_id": "user-1234",
                "$email": "alice@example.com",
                "$name": "Alice Liddell",
                "$phone": "+44 20 7946 0958",
                "ip": "203.0.113.9",
                "$os": "Mac OS X",
                "$browser": "Chrome",
                "$browser_version": 120.5,
                "mp_lib": "web",
                "mp_country_code": "gb",
                "$referrer": "https://www.google.com/search?q=alice@example.com",
                "$current_url": "https://app.example.com/billing/plans?token=secret-token#x",
                "utm_source": "newsletter",
                "company_id": "org-777",
                "plan": "pro"
            }),
        ))
        .unwrap();
    assert_clean(&event);
    assert!(event.identity.device.is_some());
    assert_eq!(event.identity.distinct, event.identity.user);
    assert_eq!(event.dims.os.as_deref(), Some("Mac OS X"));
    assert_eq!(event.dims.browser_version.as_deref(), Some("120"));
    assert_eq!(event.dims.country.as_deref(), Some("GB"));
    assert_eq!(
        event.dims.referrer_domain.as_deref(),
        Some("www.google.com")
    );
    assert_eq!(event.dims.url_path.as_deref(), Some("/billing/plans"));
    assert_eq!(event.dims.utm_source.as_deref(), Some("newsletter"));
    let props: Value = serde_json::from_str(&event.properties).unwrap();
    assert_eq!(props["plan"], "pro");
    assert!(
        props["company_id"].is_i64(),
        "group ids become pseudonyms: {props}"
    );
    assert!(props.get("token").is_none());
}

#[test]
fn browser_page_views_lose_their_query_string() {
    // mixpanel-browser's `$mp_web_page_view` carries the URL in parts besides `$current_url`.
    let event = pipeline()
        .event(raw(
            "$mp_web_page_view",
            json!({
                "distinct_id": "$device:dev-1",
                "$os": "Linux",
                "$browser": "Chrome",
                "current_url_path": "/pricing/plan-123",
                "current_url_search": "?utm_source=newsletter&email=bob@example.org",
                "current_url_protocol": "http:",
                "current_page_title": "Pricing",
            }),
        ))
        .unwrap();
    assert_eq!(event.dims.url_path.as_deref(), Some("/pricing/:id"));
    let props: Value = serde_json::from_str(&event.properties).unwrap();
    assert!(props.get("current_url_search").is_none(), "{props}");
    assert!(props.get("current_url_path").is_none(), "{props}");
    assert_eq!(props["current_page_title"], "Pricing");
}

#[test]
fn referrers_are_classified_the_same_from_the_url_cache() {
    let f = pipeline();
    let kind = |props: Value| {
        let event = f.event(raw("e", props)).unwrap();
        (
            event.dims.referrer_domain.map(|d| d.to_string()),
            event.dims.referrer_type.map(|d| d.to_string()),
        )
    };
    let page = "https://app.example.com/home";
    let long = format!("https://www.bing.com/search?q=x#{}", "a".repeat(600));
    let long_path = format!("https://www.bing.com/{}", "a".repeat(600));
    for _ in 0..2 {
        // The second round finds each URL in the cache, with the kind of site found the first time.
        for (page, referrer, host, expected) in [
            (
                page,
                "https://www.google.co.uk/search?q=ada",
                "www.google.co.uk",
                "search",
            ),
            (page, "https://WWW.Google.com/", "www.google.com", "search"),
            (
                page,
                "https://u@www.google.com/x",
                "www.google.com",
                "search",
            ),
            (page, &long, "www.bing.com", "search"),
            (page, &long_path, "www.bing.com", "search"),
            (
                page,
                "https://mail.google.com/mail/u/0/#inbox",
                "mail.google.com",
                "email",
            ),
            (page, "https://t.co/abc", "t.co", "social"),
            ("https://t.co/home", "https://t.co/abc", "t.co", "internal"),
            (
                page,
                "https://app.example.com/settings?x=1",
                "app.example.com",
                "internal",
            ),
            (
                page,
                "https://blog.somebody.dev/post",
                "blog.somebody.dev",
                "other",
            ),
        ] {
            let props = json!({"$current_url": page, "$referrer": referrer});
            assert_eq!(
                kind(props),
                (Some(host.to_string()), Some(expected.to_string())),
                "{referrer}"
            );
        }
        let props = json!({
            "$current_url": page,
            "$referrer": "https://www.google.com/",
            "utm_medium": "Email",
        });
        assert_eq!(
            kind(props),
            (Some("www.google.com".into()), Some("email".into())),
            "a campaign's medium comes first"
        );
    }
    // Without a referrer URL, the referring domain is classified on its own.
    let props = json!({"$current_url": page, "$referring_domain": "Mail.Google.com"});
    assert_eq!(
        kind(props),
        (Some("mail.google.com".into()), Some("email".into()))
    );
    let props = json!({"$current_url": page, "$referrer": "$direct"});
    assert_eq!(kind(props), (None, Some("direct".into())));
}

#[test]
fn desktop_browsers_get_their_device_type_from_the_user_agent() {
    let ctx = EventContext {
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".into()),
        ..Default::default()
    };
    let event = pipeline()
        .event_with(
            &ctx,
            raw(
                "e",
                json!({"distinct_id": "u1", "$os": "Linux", "$browser": "Chrome"}),
            ),
        )
        .unwrap();
    assert_eq!(
        event.dims.os.as_deref(),
        Some("Linux"),
        "what the SDK reported stays"
    );
    assert_eq!(event.dims.device_type.as_deref(), Some("desktop"));
}

#[test]
fn device_spellings_share_a_pseudonym_and_placeholders_are_missing() {
    let p = pipeline();
    let a = p
        .event(raw("e", json!({"distinct_id": "$device:dev-42"})))
        .unwrap();
    let b = p
        .event(raw(
            "e",
            json!({"$device_id": "dev-42", "distinct_id": "undefined"}),
        ))
        .unwrap();
    assert_eq!(a.identity.distinct, b.identity.device);
    assert_eq!(b.identity.distinct, None);
    let c = p
        .event(raw("e", json!({"distinct_id": "$device:null"})))
        .unwrap();
    assert!(c.identity.is_empty());
}

#[test]
fn identity_events() {
    let p = pipeline();
    let identify = p
        .event(raw(
            "$identify",
            json!({"distinct_id": "u1", "$identified_id": "u1", "$anon_distinct_id": "anon-9"}),
        ))
        .unwrap();
    assert!(matches!(
        identify.identity_op,
        Some(IdentityOp::Identify { .. })
    ));
    assert!(identify.store);
    let alias = p
        .event(raw(
            "$create_alias",
            json!({"distinct_id": "u1", "alias": "a1"}),
        ))
        .unwrap();
    assert!(matches!(alias.identity_op, Some(IdentityOp::Alias { .. })));
    assert!(!alias.store);
    let merge = p
        .event(raw("$merge", json!({"$distinct_ids": ["u1", "u2"]})))
        .unwrap();
    assert!(matches!(merge.identity_op, Some(IdentityOp::Merge { ref ids }) if ids.len() == 2));
}

#[test]
fn identity_fields_off_their_own_events_follow_the_policy() {
    // `alias` means something only on `$create_alias`; elsewhere it is a property like any other, so a policy
    // that calls it an identifier still pseudonymises it.
    let f = with_policy(PolicyConfig {
        k: 1,
        identifier_properties: vec!["alias".into()],
        properties: [(
            "$anon_distinct_id".to_string(),
            privet_config::PropertyAction::Drop,
        )]
        .into_iter()
        .collect(),
        ..Default::default()
    });
    let event = f
        .event(raw(
            "Viewed page",
            json!({"distinct_id": "u1", "alias": "user-1234", "$anon_distinct_id": "dev-42"}),
        ))
        .unwrap();
    assert_clean(&event);
    let props: Value = serde_json::from_str(&event.properties).unwrap();
    assert!(props["alias"].is_i64(), "{props}");
    assert!(props.get("$anon_distinct_id").is_none(), "{props}");
}

#[test]
fn ignore_drops_the_event() {
    for flag in [json!(true), json!("true"), json!(1)] {
        assert!(
            pipeline()
                .event(raw("e", json!({"$ignore": flag})))
                .is_none()
        );
    }
    assert!(
        pipeline()
            .event(raw("e", json!({"$ignore": false})))
            .is_some()
    );
}

#[test]
fn profile_updates_lose_personal_fields() {
    let update = pipeline()
        .profile(RawProfileUpdate {
                target: RawProfileTarget::Person {
                    distinct_id: Some("user-1234".into()),
                    device_id: None,
                    user_id: None,
                },
                time_us: 1,
                ops: vec![(
                    ProfileOpKind::Set,
                    json!({"$email": "alice@example.com", "$name": "Alice Liddell", "plan": "pro", "$ip": "203.0.113.9",
                           "$browser": "Firefox", "$browser_version": 133.0, "$os": "Linux", "$os_version": "6.8",
                           "$user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                           "$model": "Pixel 9", "$screen_width": 1920}),
                )],
            },
        )
        .unwrap();
    let text = format!("{update:?}");
    for planted in PLANTED {
        assert!(!text.contains(planted), "{planted} leaked into {text}");
    }
    // Families stay on the profile (as browser SDKs send them); versions, user agents and device details, which
    // narrow a person down, do not.
    assert_eq!(
        update.ops[0].payload,
        r#"{"$browser":"Firefox","$os":"Linux","plan":"pro"}"#
    );

    let group = pipeline()
        .profile(RawProfileUpdate {
            target: RawProfileTarget::Group {
                key: "company_id".into(),
                id: "org-777".into(),
            },
            time_us: 1,
            ops: vec![(ProfileOpKind::Unset, json!(["plan"]))],
        })
        .unwrap();
    assert!(matches!(group.target, ProfileTarget::Group { ref key, .. } if key == "company_id"));
    assert!(!format!("{group:?}").contains("org-777"));

    let err = pipeline()
        .profile(RawProfileUpdate {
            target: RawProfileTarget::Person {
                distinct_id: Some("undefined".into()),
                device_id: None,
                user_id: None,
            },
            time_us: 1,
            ops: vec![],
        })
        .unwrap_err();
    assert_eq!(err, PipelineError::NoProfileId);
}

#[test]
fn organisation_names_are_vaulted_and_found_in_other_fields() {
    let f = pipeline();
    let update = f
        .profile(RawProfileUpdate {
            target: RawProfileTarget::Group {
                key: "org_id".into(),
                id: "org-4f9a2c".into(),
            },
            time_us: 1,
            ops: vec![(
                ProfileOpKind::Set,
                json!({"$name": "Werner", "domain": "werner.com", "tier": "enterprise"}),
            )],
        })
        .unwrap();
    assert_eq!(
        update.ops[0].payload,
        r#"{"domain":"[personal].com","tier":"enterprise"}"#
    );
}

#[test]
fn names_are_scanned_but_the_sdks_own_and_configured_ones() {
    let f = with_policy(PolicyConfig {
        k: 1,
        identifier_properties: vec!["width_owner".into()],
        ..Default::default()
    });
    let event = f
        .event(raw(
            "e",
            json!({
                "distinct_id": "u1",
                "$name": "Ada Lovelace",
                "$last_name": "Width",
                "$screen_width": "call +44 20 7946 0958",
                "width_owner": "u2",
                "from ada@example.com": true,
                "ada lovelace's width": "pro",
            }),
        ))
        .unwrap();
    let props: Value = serde_json::from_str(&event.properties).unwrap();
    let owner = f.vault.pseudonym(P, IdKind::Person, "u2").0;
    assert_eq!(
        props,
        json!({
            // An SDK's property: the value is scanned, the name (a fixed word, though it holds the person's
            // "Width") is not.
            "$screen_width": "call [phone]",
            // A configured identifier property: its name is not scanned either.
            "width_owner": owner,
            // Any other name is, for the built-in kinds and for the person's own values.
            "from [email]": true,
            "[personal]'s [personal]": "pro",
        })
    );
}

/// One batch serves records of several projects, each with its own policy, and adds its counts to the
/// pipeline's counters once, when it ends.
#[test]
fn a_batch_keeps_each_projects_policy_and_counts_once() {
    let strict = privet_config::ProjectPolicyConfig {
        properties: [("plan".to_string(), privet_config::PropertyAction::Drop)].into(),
        ..Default::default()
    };
    let config = PrivacyConfig {
        policy: PolicyConfig {
            k: 1,
            ..Default::default()
        },
        projects: [("strict".to_string(), strict)].into(),
        ..Default::default()
    };
    let pipeline = Pipeline::new(
        config,
        Box::new(|p| (p == ProjectId(2)).then(|| "strict".to_string())),
    )
    .unwrap();
    let vault = MemoryVault::default();
    let ctx = EventContext::default();
    let event = || {
        raw(
            "e",
            json!({"distinct_id": "u1", "plan": "pro", "note": "mail ada@example.com"}),
        )
    };
    let mut batch = pipeline.batch();
    let plans: Vec<bool> = [P, ProjectId(2), P, ProjectId(2)]
        .into_iter()
        .map(|project| {
            let stored = batch.event(project, &ctx, event(), &vault).unwrap();
            stored.properties.contains("\"plan\"")
        })
        .collect();
    assert_eq!(plans, [true, false, true, false]);
    assert_eq!(pipeline.stats().spans_redacted.get(), 0, "not yet counted");
    drop(batch);
    assert_eq!(pipeline.stats().spans_redacted.get(), 4);
}

#[test]
fn untouched_values_are_copied_verbatim_and_nested_ones_scanned() {
    // Properties as the ingestion layer hands them over: spans of the request's text.
    let event = pipeline()
        .event(raw_text(
            r#"{"distinct_id":"u1","plan":"pro","n":1.50,"esc":"caf\u00e9","list":[1, 2],"nested":{"who":"alice@example.com"},"$os":"Linux"}"#,
        ))
        .unwrap();
    assert_clean(&event);
    assert_eq!(event.dims.os.as_deref(), Some("Linux"));
    for verbatim in [r#""n":1.50"#, r#""esc":"caf\u00e9""#, r#""plan":"pro""#] {
        assert!(
            event.properties.contains(verbatim),
            "{verbatim} in {}",
            event.properties
        );
    }
    let props: Value = serde_json::from_str(&event.properties).unwrap();
    assert_eq!(props["nested"], json!({"who": "[email]"}));
    assert_eq!(props["list"], json!([1, 2]));
    assert!(props.get("distinct_id").is_none() && props.get("$os").is_none());
}

/// An event whose properties are exactly `text` (a JSON object), as the ingestion parser would hand them over.
fn raw_text(text: &str) -> RawEvent {
    let text: privet_model::JsonText = std::sync::Arc::from(text);
    let object: std::collections::BTreeMap<&str, &serde_json::value::RawValue> =
        serde_json::from_str(&text).unwrap();
    let mut properties = privet_model::RawProperties::new(text.clone());
    for (name, value) in object {
        properties.push(name, value.get());
    }
    raw_spans(properties)
}

#[test]
fn nested_values_without_findings_are_kept_as_sent() {
    // Keys out of order and a float written as the sender wrote it: re-serialising would change both.
    let event = pipeline()
        .event(raw_text(
            r#"{"cart": {"z": 1.50, "a": [2, {"y": "ok", "b": null}]}}"#,
        ))
        .unwrap();
    assert_eq!(
        event.properties,
        r#"{"cart":{"z": 1.50, "a": [2, {"y": "ok", "b": null}]}}"#
    );
    // With a finding, the value is rewritten.
    let event = pipeline()
        .event(raw_text(
            r#"{"cart": {"z": 1, "who": "alice@example.com"}}"#,
        ))
        .unwrap();
    assert!(!event.properties.contains("alice"), "{}", event.properties);
}

#[test]
fn many_repeated_names_keep_their_last_value() {
    // More than 32 properties (the map path), every name twice.
    let mut text = String::from("{");
    let mut spans = Vec::new();
    for round in 0..2 {
        for i in 0..40 {
            if text.len() > 1 {
                text.push(',');
            }
            let name = text.len() + 1..text.len() + 1 + format!("p{i}").len();
            text.push_str(&format!(r#""p{i}":"#));
            spans.push((name, text.len()..text.len() + 1));
            text.push_str(&round.to_string());
        }
    }
    text.push('}');
    let text: privet_model::JsonText = std::sync::Arc::from(text.as_str());
    let mut properties = privet_model::RawProperties::new(text.clone());
    for (name, value) in spans {
        properties.push(&text[name], &text[value]);
    }
    let event = pipeline().event(raw_spans(properties)).unwrap();
    let stored: serde_json::Map<String, Value> = serde_json::from_str(&event.properties).unwrap();
    assert_eq!(stored.len(), 40);
    assert!(
        stored.values().all(|v| v == &json!(1)),
        "{}",
        event.properties
    );
    assert_eq!(event.properties.matches("\"p7\"").count(), 1);
}

/// With k > 1, a place or client combination not yet published is stored sealed, not shown; once published it
/// shows, and the sealed blob holds exactly what was held back.
#[test]
fn unpublished_places_and_clients_are_sealed_until_published() {
    let fixture = with_policy(PolicyConfig {
        k: 3,
        location_precision: privet_config::LocationPrecision::City,
        ..Default::default()
    });
    let props = json!({"distinct_id": "u1", "mp_country_code": "FR", "$region": "Occitanie", "$city": "Albi",
        "$os": "Linux", "$browser": "Firefox", "$browser_version": "133.0"});
    let first = fixture.event(raw("Viewed", props.clone())).unwrap();
    assert_eq!(first.dims.country.as_deref(), Some("FR"));
    assert_eq!(
        (first.dims.region.as_deref(), first.dims.city.as_deref()),
        (None, None)
    );
    assert_eq!(
        (first.dims.os.as_deref(), first.dims.browser.as_deref()),
        (None, None)
    );
    let held = fixture
        .vault
        .open(first.sealed.as_deref().unwrap())
        .unwrap();
    assert_eq!(held.city.as_deref(), Some("Albi"));
    assert_eq!(held.browser.as_deref(), Some("Firefox"));

    let mut precise = first.dims.clone();
    privet_model::withheld::restore(&mut precise, held.clone());
    fixture
        .vault
        .publish(P, &privet_model::withheld::keys(&precise, &held));
    let later = fixture.event(raw("Viewed", props)).unwrap();
    assert_eq!(later.dims.city.as_deref(), Some("Albi"));
    assert_eq!(later.dims.browser.as_deref(), Some("Firefox"));
    assert_eq!(later.sealed, None);
}
