//! Unit tests of the notice texts and their outputs: every locale and audience renders, the content Art. 34
//! requires is there (checked by message id, so in every locale), sensitive categories are never called
//! safe, nothing links, values are escaped and cleaned, the bidi policy holds, and overrides work.

use std::path::Path;

use super::catalog::{Dir, Seg};
use super::compose::{Block, Doc, Role, compose};
use super::*;

const BUILT_IN: [&str; 7] = ["en", "de", "es", "fr", "ar", "lv", "id"];
const SENDER: &str = "Example Security <security@example.com>";
const DPO: &str = "Data Protection Officer <dpo@example.com>";
const DOMAINS: [&str; 2] = ["example.com", "mail.example.org"];

/// What the Mixpanel dataset of November 2025 held.
const MIXPANEL: [DataCategory; 10] = [
    DataCategory::Email,
    DataCategory::Name,
    DataCategory::City,
    DataCategory::Region,
    DataCategory::Country,
    DataCategory::Os,
    DataCategory::Browser,
    DataCategory::Referrer,
    DataCategory::UserId,
    DataCategory::OrgId,
];

fn notices() -> Notices {
    Notices::new(None).expect("built-in texts load")
}

fn controller() -> Controller {
    Controller {
        name: "Example AI".into(),
        dpo_contact: DPO.into(),
        official_domains: DOMAINS.iter().map(|d| d.to_string()).collect(),
        sender: SENDER.into(),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn facts() -> IncidentFacts {
    IncidentFacts {
        processor: Some("Mixpanel".into()),
        occurred_on: Some(date(2025, 11, 8)),
        aware_on: date(2025, 11, 27),
        measures: vec![
            "We stopped sending any data to Mixpanel.".into(),
            "We deleted the project that held the exposed data.".into(),
        ],
    }
}

fn person(exposed: &[DataCategory]) -> Audience {
    Audience::Person {
        name: Some("Ana Pérez".into()),
        exposed: exposed.to_vec(),
    }
}

fn org(exposed: &[DataCategory], members: u64) -> Audience {
    Audience::OrgAdmin {
        name: Some("Sam".into()),
        organisation: "Acme Robotics".into(),
        members_affected: members,
        exposed: exposed.to_vec(),
    }
}

fn public(exposed: &[DataCategory]) -> Audience {
    Audience::Public {
        exposed: exposed.to_vec(),
        people: 48_213,
    }
}

fn audiences(exposed: &[DataCategory]) -> Vec<Audience> {
    vec![person(exposed), org(exposed, 37), public(exposed)]
}

fn doc(n: &Notices, locale: &str, audience: &Audience, facts: &IncidentFacts) -> Doc {
    let locale = n.catalog.get(locale).expect("locale exists");
    compose(locale, audience, &controller(), facts).expect("notice composes")
}

/// The ids of the paragraphs and warnings of a notice.
fn para_ids(doc: &Doc) -> Vec<&str> {
    doc.blocks
        .iter()
        .filter_map(|b| match b {
            Block::Para { id, .. } | Block::Warning { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect()
}

fn item_ids(doc: &Doc, role: Role) -> Vec<&str> {
    doc.list(role).iter().map(|i| i.id.as_str()).collect()
}

fn is_bidi_mark(c: char) -> bool {
    compose::is_bidi_control(c)
}

/// Text with bidi marks removed and whitespace (line wrapping) collapsed, for "does it say this" checks.
fn squash(s: &str) -> String {
    let unmarked: String = s.chars().filter(|c| !is_bidi_mark(*c)).collect();
    unmarked.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Notices with the override files `files` (name and content) in the override folder.
fn with_overrides(files: &[(&str, &str)]) -> Result<Notices, NoticeError> {
    let dir = tempfile::tempdir().unwrap();
    for (file, content) in files {
        std::fs::write(dir.path().join(file), content).expect("write override");
    }
    Notices::new(Some(dir.path()))
}

/// The notice to `audience` in `locale` about the incident of [`facts`].
fn render(n: &Notices, locale: &str, audience: &Audience) -> Rendered {
    n.render(locale, audience, &controller(), &facts()).unwrap()
}

/// The notice to a person whose Mixpanel data was exposed, in `locale`.
fn person_notice(n: &Notices, locale: &str) -> Rendered {
    render(n, locale, &person(&MIXPANEL))
}

/// The notices to every audience of `exposed` in every built-in locale, with their locale.
fn every_notice(n: &Notices, exposed: &[DataCategory]) -> Vec<(&'static str, Rendered)> {
    BUILT_IN
        .iter()
        .flat_map(|&locale| {
            audiences(exposed)
                .into_iter()
                .map(move |audience| (locale, render(n, locale, &audience)))
        })
        .collect()
}

#[test]
fn notices_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Notices>();
}

#[test]
fn built_in_locales_are_listed_in_order() {
    assert_eq!(notices().locales(), BUILT_IN);
}

#[test]
fn every_locale_defines_every_message_and_no_other() {
    let n = notices();
    assert_eq!(n.missing(), Vec::<(String, String)>::new());
    assert_eq!(n.catalog.extra(), Vec::<(String, String)>::new());
}

#[test]
fn every_locale_renders_every_audience_in_every_variant() {
    let n = notices();
    let mut own = facts();
    own.processor = None;
    own.occurred_on = None;
    own.measures.clear();
    for locale in BUILT_IN {
        for facts in [facts(), own.clone()] {
            let mut all = audiences(&MIXPANEL);
            all.extend(audiences(&DataCategory::ALL));
            all.push(Audience::Person {
                name: None,
                exposed: vec![DataCategory::Os],
            });
            all.push(Audience::OrgAdmin {
                name: None,
                organisation: "Acme".into(),
                members_affected: 1,
                exposed: vec![DataCategory::Browser],
            });
            for audience in &all {
                let r = n
                    .render(locale, audience, &controller(), &facts)
                    .unwrap_or_else(|e| panic!("{locale} {audience:?}: {e}"));
                assert_eq!(r.locale, locale);
                assert_eq!(r.rtl, locale == "ar");
                assert!(
                    !r.subject.is_empty() && !r.subject.contains('\n'),
                    "{locale}: {:?}",
                    r.subject
                );
                assert!(r.text.len() > 1000, "{locale}: text too short");
                assert!(r.html.starts_with("<!doctype html>\n"), "{locale}");
                for out in [&r.subject, &r.text, &r.html] {
                    assert!(
                        !out.contains('\u{E000}') && !out.contains('\u{E001}'),
                        "{locale}: marker left"
                    );
                }
            }
        }
    }
}

#[test]
fn every_category_has_its_own_label_in_every_locale() {
    let n = notices();
    for locale in BUILT_IN {
        let mut labels = std::collections::BTreeSet::new();
        for c in DataCategory::ALL {
            let d = doc(&n, locale, &person(&[c]), &facts());
            let items = d.list(Role::Exposed);
            assert_eq!(items.len(), 1, "{locale} {c}");
            let label = items[0].text.plain();
            assert!(!label.trim().is_empty(), "{locale} {c}");
            labels.insert(label);
        }
        // City, region and country are all "approximate location (…)", each naming its own part.
        assert_eq!(
            labels.len(),
            DataCategory::ALL.len(),
            "{locale}: two categories share a label"
        );
    }
}

#[test]
fn grouped_categories_make_one_item() {
    let n = notices();
    let d = doc(&n, "en", &person(&MIXPANEL), &facts());
    assert_eq!(
        item_ids(&d, Role::Exposed),
        [
            "cat-email",
            "cat-name",
            "cat-user-id",
            "cat-org-id",
            "cat-location",
            "cat-os-browser",
            "cat-referrer"
        ]
    );
    let location = d.list(Role::Exposed)[4].text.plain();
    assert_eq!(
        location,
        "Your approximate location (city, region, country)"
    );
    let d = doc(
        &n,
        "ar",
        &person(&[DataCategory::City, DataCategory::Country]),
        &facts(),
    );
    assert_eq!(
        d.list(Role::Exposed)[0].text.plain(),
        "موقعك التقريبي (المدينة، البلد)"
    );
}

#[test]
fn person_notice_has_what_article_34_requires_in_every_locale() {
    let n = notices();
    for locale in BUILT_IN {
        let d = doc(&n, locale, &person(&MIXPANEL), &facts());
        let paras = para_ids(&d);
        for id in [
            "greeting-named",
            "happened-person-processor",
            "happened-occurred",
            "exposed-intro-person",
            "not-exposed-intro",
            "consequences-person-targeted",
            "official-domains-intro",
            "sender-statement",
            "dpo-contact",
            "complaint",
            "signoff",
        ] {
            assert!(paras.contains(&id), "{locale}: no {id}");
        }
        assert_eq!(
            item_ids(&d, Role::Advice),
            [
                "advice-check-sender",
                "advice-no-secrets",
                "advice-mfa",
                "advice-urgency",
                "advice-no-links"
            ],
            "{locale}"
        );
        assert_eq!(d.list(Role::Measures).len(), 2, "{locale}");
        assert!(
            d.blocks
                .iter()
                .any(|b| matches!(b, Block::Domains(ds) if ds == &DOMAINS)),
            "{locale}"
        );

        // The processor, the sender and the DPO contact are in it as values, in every locale.
        let values: Vec<(&str, Dir)> = d
            .blocks
            .iter()
            .flat_map(|b| match b {
                Block::Para { text, .. } => text.0.iter().collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .filter_map(|s| match s {
                Seg::Value(v, dir) => Some((v.as_str(), *dir)),
                Seg::Text(_) => None,
            })
            .collect();
        assert!(values.contains(&("Mixpanel", Dir::Auto)), "{locale}");
        assert!(values.contains(&(SENDER, Dir::Ltr)), "{locale}");
        assert!(values.contains(&(DPO, Dir::Ltr)), "{locale}");

        let r = person_notice(&n, locale);
        for measure in &facts().measures {
            assert!(
                squash(&r.text).contains(measure.as_str()),
                "{locale}: {measure}"
            );
        }
        assert!(r.subject.contains("Mixpanel"), "{locale}");
    }
}

#[test]
fn own_systems_and_missing_facts_use_their_own_messages() {
    let n = notices();
    let facts = IncidentFacts {
        processor: None,
        occurred_on: None,
        aware_on: date(2025, 11, 27),
        measures: Vec::new(),
    };
    for locale in BUILT_IN {
        let d = doc(&n, locale, &person(&[DataCategory::Os]), &facts);
        let paras = para_ids(&d);
        assert!(paras.contains(&"happened-person-own"), "{locale}");
        assert!(!paras.contains(&"happened-occurred"), "{locale}");
        assert!(paras.contains(&"measures-empty"), "{locale}");
        assert!(paras.contains(&"consequences-person-general"), "{locale}");
        let d = doc(
            &n,
            locale,
            &Audience::Person {
                name: None,
                exposed: vec![DataCategory::Os],
            },
            &facts,
        );
        assert!(para_ids(&d).contains(&"greeting"), "{locale}");
    }
}

#[test]
fn org_and_public_notices_have_their_own_content() {
    let n = notices();
    for locale in BUILT_IN {
        let d = doc(&n, locale, &org(&MIXPANEL, 37), &facts());
        let paras = para_ids(&d);
        assert!(
            paras.contains(&"org-why") && paras.contains(&"happened-org-processor"),
            "{locale}"
        );
        assert_eq!(
            item_ids(&d, Role::Advice),
            [
                "advice-members-phishing",
                "advice-members-no-secrets",
                "advice-members-mfa",
                "advice-members-report",
                "advice-check-sender"
            ],
            "{locale}"
        );
        assert!(
            item_ids(&d, Role::Exposed)
                .iter()
                .all(|id| id.starts_with("cat-members-")),
            "{locale}"
        );

        let d = doc(&n, locale, &public(&MIXPANEL), &facts());
        let paras = para_ids(&d);
        assert!(
            paras.contains(&"public-why") && paras.contains(&"happened-public-processor"),
            "{locale}"
        );
        assert!(
            paras.contains(&"sender-statement-public") && !paras.contains(&"signoff"),
            "{locale}"
        );
        assert!(
            !paras.iter().any(|p| p.starts_with("greeting")),
            "{locale}: the public notice names no one"
        );
        assert!(
            item_ids(&d, Role::Advice).contains(&"advice-no-links-public"),
            "{locale}"
        );
    }
}

#[test]
fn counts_are_grouped_and_pluralised() {
    let n = notices();
    let text = |locale: &str, members: u64| {
        let r = render(&n, locale, &org(&MIXPANEL, members));
        squash(&r.text)
    };
    assert!(text("en", 1).contains("data about one member of Acme Robotics"));
    assert!(text("en", 12_345).contains("data about 12,345 members of Acme Robotics"));
    assert!(text("de", 12_345).contains("Daten über 12.345 Mitglieder von Acme Robotics"));
    assert!(text("es", 1_234).contains("datos de 1234 miembros"));
    // French groups with a no-break space, so that the number never wraps.
    let fr = render(&n, "fr", &org(&MIXPANEL, 12_345));
    assert!(fr.text.contains("12\u{a0}345"));
    assert!(text("ar", 1).contains("عضوًا واحدًا"));
    assert!(text("ar", 2).contains("عضوين"));
    assert!(text("ar", 5).contains("5 أعضاء"));
    assert!(text("ar", 11).contains("11 عضوًا"));
    assert!(text("ar", 100).contains("100 عضو "));
    assert!(text("lv", 21).contains("Skarto dalībnieku skaits: 21."));
    assert!(text("id", 3).contains("3 anggota Acme Robotics"));
}

#[test]
fn dates_are_written_in_each_language() {
    let n = notices();
    let mut facts = facts();
    facts.aware_on = date(2025, 11, 1);
    let expected = [
        ("en", "On 1 November 2025,"),
        ("de", "Am 1. November 2025 hat"),
        ("es", "El 1 de noviembre de 2025,"),
        ("fr", "Le 1er novembre 2025,"),
        ("ar", "بتاريخ 1 نوفمبر 2025"),
        ("lv", "2025. gada 1. novembrī"),
        ("id", "Pada 1 November 2025,"),
    ];
    for (locale, phrase) in expected {
        let r = n
            .render(locale, &person(&MIXPANEL), &controller(), &facts)
            .unwrap();
        assert!(squash(&r.text).contains(phrase), "{locale}: no {phrase:?}");
    }
}

#[test]
fn sensitive_data_that_leaked_is_not_called_safe_and_gets_advice() {
    let n = notices();
    let mut exposed = MIXPANEL.to_vec();
    exposed.extend([DataCategory::Password, DataCategory::ApiKey]);
    for locale in BUILT_IN {
        let loc = n.catalog.get(locale).unwrap();
        for (audience, prefix, advice) in [
            (person(&exposed), "cat-", "advice-"),
            (public(&exposed), "cat-", "advice-"),
            (org(&exposed, 4), "cat-members-", "advice-members-"),
        ] {
            let d = doc(&n, locale, &audience, &facts());
            let not_exposed = item_ids(&d, Role::NotExposed);
            assert_eq!(
                not_exposed,
                [format!("{prefix}payment"), format!("{prefix}conversation")],
                "{locale}"
            );
            let exposed_ids = item_ids(&d, Role::Exposed);
            assert!(
                exposed_ids.contains(&format!("{prefix}password").as_str()),
                "{locale}"
            );
            assert!(
                exposed_ids.contains(&format!("{prefix}api-key").as_str()),
                "{locale}"
            );
            let advice_ids = item_ids(&d, Role::Advice);
            assert_eq!(
                advice_ids[..2],
                [format!("{advice}password"), format!("{advice}api-key")],
                "{locale}: the secrets come first"
            );
            assert!(
                d.blocks.iter().any(|b| matches!(b, Block::Warning { .. })),
                "{locale}: no warning that sensitive data leaked"
            );

            // The rendered text carries the advice, and the password's label appears once (as exposed).
            let r = render(&n, locale, &audience);
            let text = squash(&r.text);
            for item in d.list(Role::Advice).iter().take(2) {
                assert!(
                    text.contains(&squash(&item.text.plain())),
                    "{locale}: advice missing from text"
                );
            }
            let label = loc.plain(&format!("{prefix}password")).unwrap();
            let item = format!("- {label}");
            let items = r.text.lines().filter(|line| squash(line) == item).count();
            assert_eq!(items, 1, "{locale}: {label:?} listed {items} times");
        }
    }
}

#[test]
fn untouched_secrets_are_all_listed_as_not_exposed() {
    let n = notices();
    for locale in BUILT_IN {
        let d = doc(&n, locale, &person(&MIXPANEL), &facts());
        assert_eq!(
            item_ids(&d, Role::NotExposed),
            [
                "cat-password",
                "cat-api-key",
                "cat-payment",
                "cat-conversation"
            ],
            "{locale}"
        );
        assert!(
            !d.blocks.iter().any(|b| matches!(b, Block::Warning { .. })),
            "{locale}"
        );
        assert!(
            !item_ids(&d, Role::Advice).contains(&"advice-password"),
            "{locale}"
        );

        // Everything leaked: no "not exposed" section at all.
        let d = doc(&n, locale, &person(&DataCategory::SENSITIVE), &facts());
        assert!(d.list(Role::NotExposed).is_empty(), "{locale}");
        assert_eq!(
            item_ids(&d, Role::Advice)[..4],
            [
                "advice-password",
                "advice-api-key",
                "advice-payment",
                "advice-conversation"
            ],
            "{locale}"
        );
    }
}

#[test]
fn no_output_contains_a_link() {
    let n = notices();
    let mut exposed = MIXPANEL.to_vec();
    exposed.push(DataCategory::Password);
    for (locale, r) in every_notice(&n, &exposed) {
        for out in [&r.subject, &r.text, &r.html] {
            let lower = out.to_lowercase();
            for bad in [
                "http://", "https://", "<a ", "href", "mailto:", "<img", "src=", "url(", "<link",
            ] {
                assert!(!lower.contains(bad), "{locale}: {bad:?} in output");
            }
        }
    }
    let page = n
        .public_page(&controller(), &facts(), &MIXPANEL, 48_213)
        .unwrap()
        .to_lowercase();
    for bad in ["http://", "https://", "<a ", "href", "<script", "src="] {
        assert!(!page.contains(bad), "{bad:?} in the public page");
    }
}

#[test]
fn links_in_values_are_refused() {
    let n = notices();
    let mut measures = facts();
    measures
        .measures
        .push("Details at https://status.example.com".into());
    let mut dpo = controller();
    dpo.dpo_contact = "mailto:dpo@example.com".into();
    for (c, facts, expected) in [
        (controller(), measures, "a measures line"),
        (dpo, facts(), "breach.dpo_contact"),
    ] {
        let err = n.render("en", &person(&MIXPANEL), &c, &facts).unwrap_err();
        assert!(
            matches!(err, NoticeError::LinkInValue { field, .. } if field == expected),
            "{err}"
        );
        assert!(err.to_string().contains("plain text"), "{err}");
    }

    let mut c = controller();
    c.official_domains = vec!["example.com/login".into()];
    assert!(n.render("en", &person(&MIXPANEL), &c, &facts()).is_err());

    // A recipient's own name comes from their profile, which anyone can set: one holding a link is left out
    // of the greeting instead of stopping their notice (and everyone else's).
    let linked = Audience::Person {
        name: Some("Eve https://evil.example".into()),
        exposed: MIXPANEL.to_vec(),
    };
    let d = doc(&n, "en", &linked, &facts());
    assert!(para_ids(&d).contains(&"greeting"), "the unnamed greeting");
    let r = render(&n, "en", &linked);
    assert!(!r.text.contains("evil") && !r.html.contains("evil"));
}

#[test]
fn missing_facts_are_errors_that_say_what_to_set() {
    let n = notices();
    let mut no_domains = controller();
    no_domains.official_domains = vec![" ".into()];
    let mut no_sender = controller();
    no_sender.sender = String::new();
    for (locale, exposed, c, expected) in [
        ("en", &MIXPANEL[..], no_domains, "breach.official_domains"),
        ("en", &MIXPANEL[..], no_sender, "breach.sender"),
        ("en", &[][..], controller(), "exposed"),
        ("xx", &MIXPANEL[..], controller(), "negotiate"),
    ] {
        let err = n
            .render(locale, &person(exposed), &c, &facts())
            .unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn values_are_html_escaped() {
    let n = notices();
    let mut facts = facts();
    facts.processor = Some("<script>alert(1)</script>".into());
    facts.measures = vec!["We fixed <b>it</b> & more".into()];
    let audiences = [
        Audience::Person {
            name: Some("<img onerror=x>\"Eve\"".into()),
            exposed: MIXPANEL.to_vec(),
        },
        Audience::OrgAdmin {
            name: None,
            organisation: "Acme <script>".into(),
            members_affected: 2,
            exposed: MIXPANEL.to_vec(),
        },
        public(&MIXPANEL),
    ];
    for locale in BUILT_IN {
        for audience in &audiences {
            let r = n.render(locale, audience, &controller(), &facts).unwrap();
            assert!(
                !r.html.contains("<script") && !r.html.contains("<img") && !r.html.contains("<b>")
            );
            assert!(
                r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{locale}"
            );
            assert!(
                r.html.contains("We fixed &lt;b&gt;it&lt;/b&gt; &amp; more"),
                "{locale}"
            );
            // Plain text is not HTML: values appear as written.
            assert!(r.text.contains("<script>alert(1)</script>"), "{locale}");
        }
        let r = n
            .render(locale, &audiences[0], &controller(), &facts)
            .unwrap();
        // The Latvian greeting leaves the name out (it would need the vocative case).
        assert!(
            locale == "lv" || r.html.contains("&lt;img onerror=x&gt;&quot;Eve&quot;"),
            "{locale}"
        );
        assert!(
            r.html
                .contains("Example Security &lt;security@example.com&gt;"),
            "{locale}"
        );
    }
    let page = n.public_page(&controller(), &facts, &MIXPANEL, 3).unwrap();
    assert!(!page.contains("<script") && page.contains("&lt;script&gt;"));
}

#[test]
fn crafted_values_cannot_reorder_text_or_add_lines() {
    let n = notices();
    let mut facts = facts();
    facts.processor = Some("Mix\u{202E}lenap\r\nBcc: victim@example.net".into());
    let audience = Audience::Person {
        name: Some("Eve\u{2066}\u{200F}".into()),
        exposed: MIXPANEL.to_vec(),
    };
    for locale in BUILT_IN {
        let r = n.render(locale, &audience, &controller(), &facts).unwrap();
        assert!(
            !r.subject.contains(['\r', '\n', '\u{202E}']),
            "{locale}: {:?}",
            r.subject
        );
        assert!(
            r.subject.contains("Mixlenap Bcc: victim@example.net"),
            "{locale}"
        );
        assert!(!r.text.contains(['\r', '\u{202E}', '\u{200F}']), "{locale}");
        assert!(!r.html.contains(['\u{202E}', '\u{200F}']), "{locale}");
    }
}

#[test]
fn negotiate_picks_the_closest_locale() {
    let n = notices();
    for (requested, default, expected) in [
        (Some("de-AT"), "en", "de"),
        (Some("DE_at"), "en", "de"),
        (Some("AR"), "en", "ar"),
        (Some("ar-EG"), "en", "ar"),
        (Some("lv-LV"), "en", "lv"),
        (Some("en-US"), "de", "en"),
        (Some("pt-BR"), "en", "en"),
        (Some("pt-BR"), "fr", "fr"),
        (Some("pt-BR"), "es-MX", "es"),
        (None, "id", "id"),
        (Some(""), "id", "id"),
        (Some("not a locale"), "fr", "fr"),
        (Some("zz"), "xx", "en"),
        (Some("pt-BR, fr;q=0.8, en;q=0.9"), "de", "en"),
        (Some("de;q=0, es"), "en", "es"),
        (Some("*"), "lv", "lv"),
    ] {
        assert_eq!(
            n.negotiate(requested, default),
            expected,
            "{requested:?}, default {default}"
        );
    }
}

#[test]
fn left_to_right_subjects_and_text_carry_no_invisible_marks() {
    let n = notices();
    for (locale, r) in every_notice(&n, &MIXPANEL)
        .into_iter()
        .filter(|(locale, _)| *locale != "ar")
    {
        assert!(
            !r.subject.contains(is_bidi_mark),
            "{locale}: {:?}",
            r.subject
        );
        assert!(!r.text.contains(is_bidi_mark), "{locale}");
        assert!(
            r.html
                .contains(&format!("<html lang=\"{locale}\" dir=\"ltr\">")),
            "{locale}"
        );
    }
    let r = person_notice(&n, "en");
    assert_eq!(
        r.subject,
        "Security notice: some of your data was exposed at Mixpanel"
    );
}

#[test]
fn html_uses_elements_not_invisible_marks() {
    let n = notices();
    for (locale, r) in every_notice(&n, &MIXPANEL) {
        assert!(!r.html.contains(is_bidi_mark), "{locale}");
        assert!(r.html.contains("<bdi>Mixpanel</bdi>"), "{locale}");
        assert!(
            r.html.contains("<bdi dir=\"ltr\">example.com</bdi>"),
            "{locale}"
        );
    }
}

#[test]
fn arabic_isolates_only_left_to_right_values() {
    let n = notices();
    let r = person_notice(&n, "ar");
    assert!(r.rtl);
    assert!(r.html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(r.html.contains("dir=\"rtl\" lang=\"ar\""));
    // Subject: LRM (not isolates) around the Latin processor name.
    assert!(
        r.subject.contains("\u{200E}Mixpanel\u{200E}"),
        "{:?}",
        r.subject
    );
    assert!(!r.subject.contains(['\u{2066}', '\u{2068}', '\u{2069}']));
    // Text: addresses in LRI…PDI, Latin names in LRI…PDI.
    assert!(r.text.contains(&format!("\u{2066}{SENDER}\u{2069}")));
    assert!(r.text.contains(&format!("\u{2066}{DPO}\u{2069}")));
    assert!(r.text.contains("\u{2066}Ana Pérez\u{2069}"));
    // An Arabic name needs nothing; a mixed one is isolated by its first strong character.
    let arabic = Audience::Person {
        name: Some("محمد".into()),
        exposed: MIXPANEL.to_vec(),
    };
    let r = render(&n, "ar", &arabic);
    assert!(r.text.starts_with("مرحبًا محمد،\n"), "{:?}", &r.text[..40]);
    let mixed = Audience::Person {
        name: Some("محمد Smith".into()),
        exposed: MIXPANEL.to_vec(),
    };
    let r = render(&n, "ar", &mixed);
    assert!(r.text.contains("\u{2068}محمد Smith\u{2069}"));
    // An Arabic name in an English notice is isolated in HTML, and left alone in English text.
    let r = render(&n, "en", &arabic);
    assert!(r.html.contains("<bdi>محمد</bdi>"));
    assert!(r.text.starts_with("Hello محمد,\n"));
}

#[test]
fn domains_sender_and_contact_copy_exactly_in_every_locale() {
    let n = notices();
    for (locale, r) in every_notice(&n, &MIXPANEL) {
        for domain in DOMAINS {
            assert!(
                r.text.lines().any(|line| line == format!("  - {domain}")),
                "{locale}: {domain} is not on a line of its own"
            );
        }
        assert!(r.text.contains(SENDER), "{locale}");
        assert!(r.text.contains(DPO), "{locale}");
    }
}

#[test]
fn text_is_wrapped_at_72_columns() {
    let n = notices();
    for (locale, r) in every_notice(&n, &MIXPANEL) {
        for line in r.text.lines() {
            let width = line.chars().filter(|c| !is_bidi_mark(*c)).count();
            assert!(width <= 72, "{locale}: {width} columns: {line}");
        }
        assert!(
            !r.text.contains('<') || r.text.contains(SENDER),
            "{locale}: HTML in text"
        );
    }
}

#[test]
fn subjects_are_calm_and_share_one_structure() {
    let n = notices();
    let own = IncidentFacts {
        processor: None,
        ..facts()
    };
    for locale in BUILT_IN {
        let mut prefixes = std::collections::BTreeSet::new();
        for facts in [facts(), own.clone()] {
            for audience in audiences(&MIXPANEL) {
                let r = n.render(locale, &audience, &controller(), &facts).unwrap();
                assert!(!r.subject.contains(['!', '¡']), "{locale}: {}", r.subject);
                assert!(
                    r.subject.chars().all(|c| (c as u32) < 0x2190),
                    "{locale}: symbol in {}",
                    r.subject
                );
                assert!(
                    r.subject.chars().count() <= 110,
                    "{locale}: long subject {}",
                    r.subject
                );
                prefixes.insert(r.subject.split(':').next().unwrap_or_default().to_string());
            }
        }
        assert_eq!(prefixes.len(), 1, "{locale}: {prefixes:?}");
    }
}

#[test]
fn html_is_a_complete_accessible_document() {
    let n = notices();
    let r = person_notice(&n, "fr");
    for part in [
        "<!doctype html>",
        "<html lang=\"fr\" dir=\"ltr\">",
        "<meta charset=\"utf-8\">",
        "<title>Avis de sécurité : certaines de vos données ont été exposées chez Mixpanel</title>",
        "max-width:640px",
        "role=\"presentation\"",
        "<h1 ",
        "<h2 ",
        "<ul ",
        "</html>",
    ] {
        assert!(r.html.contains(part), "no {part:?}");
    }
    assert!(!r.html.contains("<style") && !r.html.contains("<script"));
}

#[test]
fn public_page_has_every_locale_with_its_direction() {
    let n = notices();
    let page = n
        .public_page(&controller(), &facts(), &MIXPANEL, 48_213)
        .unwrap();
    assert!(page.starts_with("<!doctype html>\n<html lang=\"en\" dir=\"ltr\">"));
    for locale in BUILT_IN {
        let dir = if locale == "ar" { "rtl" } else { "ltr" };
        assert!(
            page.contains(&format!(
                "<details id=\"notice-{locale}\" lang=\"{locale}\" dir=\"{dir}\""
            )),
            "{locale}"
        );
        let name = n
            .catalog
            .get(locale)
            .unwrap()
            .plain("language-name")
            .unwrap();
        assert!(
            page.contains(&format!("<strong>{name}</strong>")),
            "{locale}"
        );
    }
    assert!(page.contains("48,213 people who use"));
    assert!(page.contains("48.213 Personen"));
    assert_eq!(page.matches("<details ").count(), BUILT_IN.len());
    assert_eq!(page.matches("<summary ").count(), BUILT_IN.len());
}

#[test]
fn controller_comes_from_the_breach_configuration() {
    let config = privet_config::BreachConfig::default();
    let c = Controller::from(&config);
    assert_eq!(c.name, config.controller);
    assert_eq!(c.sender, config.sender);
    assert_eq!(c.dpo_contact, config.dpo_contact);
    assert_eq!(c.official_domains, config.official_domains);
    assert!(Notices::from_config(&config).is_ok());
}

#[test]
fn an_override_replaces_only_its_messages() {
    let n = with_overrides(&[
        (
            "de.ftl",
            "# Unsere Wortwahl\nadvice-mfa = Aktivieren Sie die Zwei-Faktor-Anmeldung bei { $controller }.\n",
        ),
        ("README.txt", "not a Fluent file"),
    ])
    .unwrap();
    assert_eq!(n.locales(), BUILT_IN);
    assert!(n.missing().is_empty());
    let de = person_notice(&n, "de");
    assert!(squash(&de.text).contains("Aktivieren Sie die Zwei-Faktor-Anmeldung bei Example AI."));
    assert!(
        !de.text
            .contains("Mehr-Faktor-Authentifizierung (zum Beispiel")
    );
    assert!(de.text.contains("Was passiert ist"), "other messages stay");
    let en = person_notice(&n, "en");
    assert!(squash(&en.text).contains("Turn on multi-factor authentication"));
}

#[test]
fn an_override_syntax_error_names_the_file_and_line() {
    let err = with_overrides(&[(
        "fr.ftl",
        "heading-measures = Nos mesures\n\nceci n'est pas un message\n",
    )])
    .err()
    .expect("syntax error");
    assert!(
        matches!(err, NoticeError::OverrideSyntax { line: 3, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("fr.ftl:3:"), "{message}");
}

#[test]
fn overrides_with_unknown_ids_variables_or_links_are_refused() {
    let cases = [
        (
            "en.ftl",
            "heading-measures = Our steps\nadvise-mfa = Use MFA\n",
            "`advise-mfa` is not a notice message",
            2,
        ),
        (
            "en.ftl",
            "advice-mfa = Turn on MFA for { $company }\n",
            "does not format",
            1,
        ),
        (
            "es.ftl",
            "\n\nadvice-mfa = Vea https://example.com/mfa\n",
            "contains a link",
            3,
        ),
        (
            "en.ftl",
            "advice-mfa = One\nadvice-mfa = Two\n",
            "defined twice",
            2,
        ),
    ];
    for (file, content, expected, line) in cases {
        let err = with_overrides(&[(file, content)])
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains(expected), "{err}");
        assert!(err.contains(&format!("{file}:{line}")), "{err}");
    }
}

#[test]
fn override_file_names_must_be_distinct_language_tags() {
    let err = with_overrides(&[("not a tag.ftl", "advice-mfa = x\n")])
        .err()
        .expect("refused");
    assert!(matches!(err, NoticeError::OverrideName { .. }), "{err}");

    let err = with_overrides(&[
        ("pt_BR.ftl", "advice-mfa = x\n"),
        ("pt-br.ftl", "advice-mfa = y\n"),
    ])
    .err()
    .expect("refused");
    assert!(matches!(err, NoticeError::OverrideTwice { .. }), "{err}");

    let err = Notices::new(Some(Path::new("/nonexistent/privet-notices")))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("breach.templates"), "{err}");
}

#[test]
fn an_override_for_a_new_locale_adds_it() {
    // A complete file (here the English texts with a marker in the subjects, standing in for Portuguese).
    let pt = include_str!("locales/en.ftl").replace("Security notice:", "Aviso de segurança:");
    let n = with_overrides(&[
        ("pt.ftl", &pt),
        // A partial file for a language that is built in, and one for a language that is not.
        (
            "de_CH.ftl",
            "heading-measures = Was wir unternommen haben (Schweiz)\n",
        ),
        ("it.ftl", "heading-measures = Cosa abbiamo fatto\n"),
    ])
    .unwrap();
    assert_eq!(
        n.locales(),
        [&BUILT_IN[..], &["de-CH", "it", "pt"]].concat()
    );

    let r = person_notice(&n, "pt");
    assert_eq!(
        r.subject,
        "Aviso de segurança: some of your data was exposed at Mixpanel"
    );
    assert_eq!(n.negotiate(Some("pt-BR"), "en"), "pt");
    assert_eq!(n.negotiate(Some("de-CH"), "en"), "de-CH");
    assert_eq!(n.negotiate(Some("de_ch"), "en"), "de-CH");
    assert_eq!(n.negotiate(Some("de-AT"), "en"), "de");

    // de-CH falls back to German and misses nothing; Italian falls back to English and says so.
    let r = person_notice(&n, "de-CH");
    assert!(
        r.text.contains("Was wir unternommen haben (Schweiz)")
            && r.text.contains("Was passiert ist")
    );
    let missing = n.missing();
    assert!(
        missing.iter().all(|(locale, _)| locale == "it"),
        "{missing:?}"
    );
    assert!(missing.contains(&("it".into(), "advice-mfa".into())));
    assert!(!missing.contains(&("it".into(), "heading-measures".into())));
    let r = person_notice(&n, "it");
    assert!(r.text.contains("Cosa abbiamo fatto") && r.text.contains("What happened"));
    let page = n
        .public_page(&controller(), &facts(), &MIXPANEL, 5)
        .unwrap();
    assert!(page.contains("<details id=\"notice-pt\" lang=\"pt\" dir=\"ltr\""));
}
