//! Tests of the Art. 33(3) draft: a complete report, each missing item, phased updates, escaping, the EEA table.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use privet_config::BreachConfig;

use super::*;
use crate::{
    AffectedOrganisation, AffectedPerson, CanaryFinding, DataCategory, MatchRule, Risk, RiskLevel,
    SourceSummary,
};

fn aware() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 9, 15, 0, 0).unwrap()
}

fn config() -> BreachConfig {
    BreachConfig {
        controller: "Example AI, Inc.".into(),
        controller_address: "1 Market Street, San Francisco, CA 94105, USA".into(),
        dpo_contact: "Jane Doe, privacy@example.ai".into(),
        lead_authority: "Data Protection Commission (Ireland)".into(),
        ..BreachConfig::default()
    }
}

fn incident() -> Incident {
    Incident {
        id: 7,
        title: "Analytics vendor export".into(),
        description: "An attacker downloaded an export of analytics profiles from the vendor.\nThe export held \
                      profiles of our users."
            .into(),
        processor: Some("Mixpanel".into()),
        occurred_at: Some(aware() - Duration::days(3)),
        detected_at: Some(aware() - Duration::days(1)),
        aware_at: aware(),
        aware_reason: "the vendor sent us the affected dataset".into(),
        processor_notified_at: Some(aware() - Duration::hours(2)),
        authority_notified_at: None,
        people_notified_at: None,
        measures: vec![
            "Stopped sending data to the vendor".into(),
            "Revoked the vendor's API credentials".into(),
        ],
        delay_reason: None,
        created_at: aware(),
        salt: vec![0; 32],
    }
}

fn person(n: usize, country: Option<&str>, level: RiskLevel, reason: &str) -> AffectedPerson {
    AffectedPerson {
        key: format!("{n:064x}"),
        pseudonym: Some(900_000 + n as i64),
        in_accounts: true,
        matched_by: vec![MatchRule::Email],
        exposed: vec![DataCategory::Email, DataCategory::Name, DataCategory::City],
        records: 1,
        country: country.map(str::to_string),
        locale: None,
        contact: Some(format!("u***{n}@example.com")),
        organisations: vec!["org-a".into()],
        admin: false,
        risk: Risk {
            level,
            reasons: vec![reason.into()],
        },
    }
}

/// 12 people: DE 5, FR 3, IE 1, EL 1 (Greece), US 1, GB 1, unknown 1 … plus one more DE via `de`.
fn assessment() -> Assessment {
    let countries = [
        Some("DE"),
        Some("DE"),
        Some("DE"),
        Some("DE"),
        Some("de"),
        Some("FR"),
        Some("FR"),
        Some("FR"),
        Some("IE"),
        Some("EL"),
        Some("US"),
        Some("GB"),
        None,
    ];
    let people: Vec<AffectedPerson> = countries
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let (level, reason) = if n < 2 {
                (RiskLevel::High, "organisation administrator")
            } else {
                (RiskLevel::Medium, "email address with name and city")
            };
            person(n, *c, level, reason)
        })
        .collect();
    let mut people_by_country: BTreeMap<String, u64> = BTreeMap::new();
    for c in countries {
        *people_by_country
            .entry(c.unwrap_or("??").to_string())
            .or_default() += 1;
    }
    Assessment {
        incident: 7,
        assessed_at: aware() + Duration::hours(5),
        sources: vec![SourceSummary {
            file: "export.csv".into(),
            format: "csv".into(),
            records: 20,
            columns: vec![],
        }],
        records: 20,
        matched_records: 15,
        unmatched_records: 4,
        canary_records: 1,
        records_by_category: BTreeMap::from([
            (DataCategory::Email, 19),
            (DataCategory::Name, 17),
            (DataCategory::City, 11),
            (DataCategory::UserId, 20),
        ]),
        people_by_category: BTreeMap::from([
            (DataCategory::Email, 13),
            (DataCategory::Name, 12),
            (DataCategory::City, 9),
            (DataCategory::UserId, 13),
        ]),
        people_by_country,
        people,
        organisations: vec![AffectedOrganisation {
            key: "org-a".into(),
            pseudonym: Some(42),
            members: vec![],
            admins: vec!["a".into()],
            admin_contacts: vec!["a***@example.com".into()],
            exposed: vec![DataCategory::Email],
            records: 20,
        }],
        canaries: vec![CanaryFinding {
            canary: 3,
            planted_for: "mixpanel-export".into(),
            planted_at: aware() - Duration::days(30),
            records: 1,
            matched_on: vec![DataCategory::Email, DataCategory::Name],
        }],
    }
}

fn draft_with(
    incident: &Incident,
    updates: &[IncidentUpdate],
    assessment: Option<&Assessment>,
    config: &BreachConfig,
    now: DateTime<Utc>,
) -> Report {
    draft(&ReportInput {
        incident,
        updates,
        assessment,
        config,
        now,
    })
}

/// The draft for `incident`, with the test assessment and configuration, made at [`aware`].
fn draft_for(incident: &Incident) -> Report {
    draft_with(incident, &[], Some(&assessment()), &config(), aware())
}

/// The text between `heading` and the next `## ` heading of the Markdown.
fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in\n{markdown}"));
    let rest = &markdown[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[test]
fn a_complete_report_has_every_section_and_nothing_missing() {
    let (incident, assessment, config) = (incident(), assessment(), config());
    let report = draft_with(
        &incident,
        &[],
        Some(&assessment),
        &config,
        aware() + Duration::hours(20),
    );
    assert_eq!(report.missing, Vec::<String>::new());
    let md = &report.markdown;
    for heading in [
        "## Before sending",
        "## Timeline",
        "## (a) Nature of the breach",
        "## (b) Data protection officer",
        "## (c) Likely consequences",
        "## (d) Measures taken or proposed",
        "## Data subjects per member state",
    ] {
        assert!(md.contains(heading), "{heading} missing in\n{md}");
        assert!(
            report.html.contains(&heading[3..]),
            "{heading} missing in the HTML"
        );
    }
    assert!(md.contains("- [x] Every required item is filled in"));
    assert!(md.contains("Initial notification"));
    assert!(!md.contains("TO BE COMPLETED"), "{md}");
    assert!(!md.contains("Phased updates"));

    // Header and timeline.
    assert!(md.contains("| Controller | Example AI, Inc. |"));
    assert!(md.contains("Data Protection Commission (Ireland)"));
    assert!(md.contains("| Incident | 7: Analytics vendor export |"));
    assert!(md.contains("Reason: the vendor sent us the affected dataset"));
    assert!(md.contains("| 72-hour deadline (Art. 33(1)) | 2025-11-12 15:00 UTC |"));
    assert!(md.contains("2 d 4 h left to notify the authority"), "{md}");
    assert!(!md.contains("Reasons for the delay"));

    // (a): processor, categories with counts, numbers, canary, what was not involved.
    let a = section(md, "## (a) Nature of the breach");
    assert!(a.contains("a breach at a processor: **Mixpanel**"));
    assert!(a.contains("| Email addresses | 13 | 19 |"), "{a}");
    assert!(a.contains("| Names | 12 | 17 |"));
    assert!(a.contains("| Cities | 9 | 11 |"));
    assert!(a.contains("| Internal user IDs | 13 | 20 |"));
    assert!(a.contains("approximately **13** people"));
    assert!(a.contains("approximately **20** records"));
    assert!(
        a.contains("15 matched a known person or organisation, 4 matched nobody, 1 was a canary")
    );
    assert!(a.contains("Organisations affected: 1"));
    assert!(a.contains("The data left through **mixpanel-export**"));
    assert!(a.contains("2025-10-10 15:00 UTC"));
    assert!(a.contains("**Not involved:** passwords, API keys, payment data and conversations."));
    assert!(!a.contains("Sensitive categories involved"));

    // (b), (c), (d).
    assert!(section(md, "## (b)").contains("Jane Doe, privacy@example.ai"));
    let c = section(md, "## (c)");
    assert!(c.contains("Targeted phishing"), "{c}");
    assert!(c.contains("Linkage"));
    assert!(c.contains("No passwords, API keys, payment data or conversations were involved"));
    assert!(
        c.contains("| High | 2 |") && c.contains("| Medium | 11 |") && c.contains("| Low | 0 |")
    );
    assert!(c.contains("- email address with name and city (11 people)"));
    let d = section(md, "## (d)");
    assert!(d.contains("- Stopped sending data to the vendor"));
    assert!(d.contains("2 people at high risk will be notified without undue delay"));

    // Member states: DE 5 (DE + de), FR 3, GR 1 (from EL), IE 1; outside 2 (GB, US); unknown 1.
    let codes: Vec<(&str, u64)> = report
        .member_states
        .iter()
        .map(|m| (m.code.as_str(), m.people))
        .collect();
    assert_eq!(codes, [("DE", 5), ("FR", 3), ("GR", 1), ("IE", 1)]);
    assert_eq!((report.outside_eea, report.unknown_country), (2, 1));
    let states = section(md, "## Data subjects per member state");
    assert!(
        states.contains("| DE | Germany | BfDI / Landesdatenschutzbehörde | 5 |"),
        "{states}"
    );
    assert!(states.contains("| FR | France | CNIL | 3 |"));
    assert!(states.contains("| GR | Greece | Hellenic Data Protection Authority (HDPA) | 1 |"));
    assert!(states.contains("| IE | Ireland | Data Protection Commission | 1 |"));
    assert!(states.contains("In EU/EEA member states: 10 people."));
    assert!(states.contains("Outside the EEA: 2 people (GB 1, US 1)."));
    assert!(states.contains("United Kingdom (not in the EEA; UK GDPR): 1 person;"));
    assert!(states.contains("Information Commissioner's Office (ICO)"));
    assert!(states.contains("Country unknown: 1 person."));

    // Same content in the HTML, as a self-contained A4 document.
    let html = &report.html;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("@page { size: A4; margin: 2cm }"));
    assert!(!html.contains("<link") && !html.contains("<script") && !html.contains("src="));
    assert!(html.contains("<td>CNIL</td>"));
    assert!(html.contains("<th scope=\"col\">Supervisory authority</th>"));
    assert!(html.contains("Jane Doe, privacy@example.ai"));
}

#[test]
fn no_identifier_of_a_person_is_printed() {
    let (incident, assessment, config) = (incident(), assessment(), config());
    let report = draft_with(&incident, &[], Some(&assessment), &config, aware());
    for p in &assessment.people {
        for text in [&report.markdown, &report.html] {
            assert!(!text.contains(&p.key));
            assert!(!text.contains(&p.pseudonym.unwrap().to_string()));
            assert!(!text.contains(p.contact.as_deref().unwrap()));
        }
    }
    assert!(!report.markdown.contains("a***@example.com"));
}

fn assert_missing(report: &Report, item: &str) {
    assert!(
        report.missing.iter().any(|m| m == item),
        "{item:?} not in {:?}",
        report.missing
    );
    let checklist = section(&report.markdown, "## Before sending");
    assert!(
        checklist.contains(&format!("- [ ] {item}")),
        "{item:?} not in the checklist:\n{checklist}"
    );
    let html_item = format!("<li>{}</li>", minijinja::HtmlEscape(item));
    assert!(
        report.html.contains(&html_item),
        "{html_item} not in the HTML"
    );
}

#[test]
fn without_an_assessment_the_assessment_is_missing() {
    let (incident, config) = (incident(), config());
    let report = draft_with(&incident, &[], None, &config, aware());
    assert_eq!(report.missing, [MISSING_ASSESSMENT]);
    assert_missing(&report, MISSING_ASSESSMENT);
    assert!(report.member_states.is_empty());
    let a = section(&report.markdown, "## (a)");
    assert!(a.contains("TO BE COMPLETED: categories and approximate numbers"));
    assert!(!a.contains("Not involved"));
}

#[test]
fn the_default_or_an_empty_dpo_contact_is_missing() {
    let (incident, assessment) = (incident(), assessment());
    for dpo in ["dpo@example.com", "", "  "] {
        let config = BreachConfig {
            dpo_contact: dpo.into(),
            ..config()
        };
        let report = draft_with(&incident, &[], Some(&assessment), &config, aware());
        assert_eq!(report.missing, [MISSING_DPO], "{dpo:?}");
        assert_missing(&report, MISSING_DPO);
        assert!(section(&report.markdown, "## (b)").contains("TO BE COMPLETED"));
    }
}

#[test]
fn empty_measures_are_missing() {
    let report = draft_for(&Incident {
        measures: vec![],
        ..incident()
    });
    assert_eq!(report.missing, [MISSING_MEASURES]);
    assert_missing(&report, MISSING_MEASURES);
    assert!(section(&report.markdown, "## (d)").contains("TO BE COMPLETED: measures taken"));
}

#[test]
fn unset_header_fields_are_missing() {
    let (incident, assessment) = (incident(), assessment());
    let report = draft_with(
        &incident,
        &[],
        Some(&assessment),
        &BreachConfig::default(),
        aware(),
    );
    for item in [
        MISSING_CONTROLLER,
        MISSING_CONTROLLER_ADDRESS,
        MISSING_LEAD_AUTHORITY,
        MISSING_DPO,
    ] {
        assert_missing(&report, item);
    }
    let md = &report.markdown;
    assert!(md.contains("| Lead supervisory authority | not set"));
}

#[test]
fn a_late_report_needs_the_reasons_for_the_delay() {
    let (assessment, config) = (assessment(), config());
    let past = aware() + Duration::hours(80);

    // Past the deadline, authority not notified yet, no reason.
    let report = draft_with(&incident(), &[], Some(&assessment), &config, past);
    assert_eq!(report.missing, [MISSING_DELAY_REASON]);
    assert_missing(&report, MISSING_DELAY_REASON);
    let (html, md) = (&report.html, &report.markdown);
    assert!(md.contains("past the 72-hour deadline by 8 h 0 min"));
    assert!(md.contains(
        "**[TO BE COMPLETED: reasons for the delay (Art. 33(1)); the 72-hour deadline was 2025-11-12 15:00 UTC]**"
    ));
    assert!(html.contains("<span class=\"todo\">TO BE COMPLETED: reasons for the delay"));

    // Notified after the deadline, drafted before it: still late.
    let notified_late = Incident {
        authority_notified_at: Some(past),
        ..incident()
    };
    assert_eq!(draft_for(&notified_late).missing, [MISSING_DELAY_REASON]);

    // With the reason: not missing, and quoted.
    let with_reason = Incident {
        delay_reason: Some("The vendor's dataset arrived <incomplete> | twice".into()),
        ..notified_late
    };
    let report = draft_with(&with_reason, &[], Some(&assessment), &config, past);
    assert!(report.missing.is_empty(), "{:?}", report.missing);
    let (html, md) = (&report.html, &report.markdown);
    assert!(md.contains("### Reasons for the delay (Art. 33(1))"));
    assert!(md.contains("> The vendor's dataset arrived \\<incomplete\\> \\| twice"));
    assert!(html.contains(
        "<blockquote>The vendor&#x27;s dataset arrived &lt;incomplete&gt; | twice</blockquote>"
    ));
    assert!(md.contains("authority notified 8 h 0 min after the deadline"));
}

#[test]
fn a_processor_breach_needs_the_time_the_processor_told_the_controller() {
    let incident = Incident {
        processor_notified_at: None,
        ..incident()
    };
    assert_eq!(draft_for(&incident).missing, [MISSING_PROCESSOR_NOTIFIED]);
    let report = draft_for(&Incident {
        processor: None,
        ..incident
    });
    assert!(report.missing.is_empty());
    let md = &report.markdown;
    assert!(md.contains("The breach concerns the controller's own systems."));
    assert!(md.contains("| Processor notified the controller (Art. 33(2)) | not applicable |"));
}

#[test]
fn phased_updates_are_numbered_oldest_first() {
    let (incident, assessment, config) = (incident(), assessment(), config());
    let updates = [
        IncidentUpdate {
            at: aware() + Duration::hours(30),
            text: "Second: the canary points to the vendor export.".into(),
        },
        IncidentUpdate {
            at: aware() + Duration::hours(10),
            text: "First: the dataset was\nassessed.".into(),
        },
    ];
    let report = draft_with(
        &incident,
        &updates,
        Some(&assessment),
        &config,
        aware() + Duration::hours(40),
    );
    let md = &report.markdown;
    assert!(md.contains("**Update 2** to the notification of incident 7"));
    assert!(md.contains("| Type | update 2 (Art. 33(4)) |"));
    let phased = section(md, "## Phased updates (Art. 33(4))");
    let first = phased
        .find("- Update 1, 2025-11-10 01:00 UTC: First: the dataset was assessed.")
        .expect(phased);
    let second = phased
        .find("- Update 2, 2025-11-10 21:00 UTC: Second: the canary points to the vendor export.")
        .expect(phased);
    assert!(first < second);
    let html = &report.html;
    assert!(html.contains("Update 2 to the notification of incident 7"));
    assert!(html.contains("<li value=\"2\">Update 2, 2025-11-10 21:00 UTC"));
}

#[test]
fn html_and_markdown_escape_values() {
    let report = draft_for(&Incident {
        title: "<script>alert(1)</script> & [link](http://evil)".into(),
        ..incident()
    });
    let (html, md) = (&report.html, &report.markdown);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp;"));
    assert!(!md.contains("<script>"));
    assert!(md.contains("\\<script\\>alert(1)\\</script\\> & \\[link\\](http://evil)"));
}

#[test]
fn sensitive_categories_exposed_change_the_consequences() {
    let (incident, config) = (incident(), config());
    let mut assessment = assessment();
    for (category, n) in [(DataCategory::Password, 3), (DataCategory::Payment, 2)] {
        assessment.records_by_category.insert(category, n);
        assessment.people_by_category.insert(category, n);
    }
    let report = draft_with(&incident, &[], Some(&assessment), &config, aware());
    let md = &report.markdown;
    assert!(md.contains("**Not involved:** API keys and conversations."));
    assert!(md.contains("**Sensitive categories involved:** passwords and payment data."));
    assert!(md.contains("| Passwords (sensitive) | 3 | 3 |"));
    let c = section(md, "## (c)");
    assert!(c.contains("Account takeover") && c.contains("Financial harm"));
    assert!(!c.contains("No passwords"));
}

#[test]
fn the_eea_has_30_states_with_unique_codes_and_authorities() {
    assert_eq!(EEA.len(), 30);
    let codes: BTreeSet<&str> = EEA.iter().map(|(c, _, _)| *c).collect();
    assert_eq!(codes.len(), 30);
    for (code, country, authority) in EEA {
        assert!(
            code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()),
            "{code}"
        );
        assert!(!country.is_empty() && !authority.is_empty());
    }
    for code in ["IS", "LI", "NO", "GR"] {
        assert!(codes.contains(code), "{code}");
    }
    assert!(!codes.contains("GB") && !codes.contains("EL") && !codes.contains("CH"));
    assert_eq!(member_state("el").map(|m| m.1), Some("Greece"));
    assert_eq!(member_state("fr").map(|m| m.2), Some("CNIL"));
    assert_eq!(member_state("ES").map(|m| m.2), Some("AEPD"));
    assert_eq!(member_state("DK").map(|m| m.2), Some("Datatilsynet"));
    assert_eq!(member_state("GB"), None);
    assert_eq!(member_state("??"), None);
}
