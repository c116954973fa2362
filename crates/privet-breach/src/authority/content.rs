//! What the report says, worked out once: the missing items, the figures and the sentences, as one template
//! context shared by the Markdown and the HTML document.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use minijinja::{Value, context};
use privet_model::DataCategory;

use super::eea::{Countries, UK_AUTHORITY};
use super::*;
use crate::RiskLevel;

/// The DPO contact `BreachConfig::default()` ships with; it counts as not set.
const DEFAULT_DPO: &str = "dpo@example.com";
/// The controller name `BreachConfig::default()` ships with; it counts as not set.
const DEFAULT_CONTROLLER: &str = "Example Controller";
/// How many risk reasons the summary quotes.
const TOP_REASONS: usize = 5;

/// The report's content.
pub(crate) struct Content {
    pub missing: Vec<String>,
    pub countries: Countries,
    context: Value,
}

impl Content {
    pub(crate) fn build(input: &ReportInput) -> Content {
        let incident = input.incident;
        let config = input.config;
        let assessment = input.assessment;
        let mut missing: Vec<String> = Vec::new();
        let mut require = |ok: bool, item: &str| {
            if !ok {
                missing.push(item.to_string());
            }
        };

        // Header.
        let controller = set(&config.controller).filter(|c| *c != DEFAULT_CONTROLLER);
        require(controller.is_some(), MISSING_CONTROLLER);
        let controller_address = set(&config.controller_address);
        require(controller_address.is_some(), MISSING_CONTROLLER_ADDRESS);
        let lead_authority = set(&config.lead_authority);
        require(lead_authority.is_some(), MISSING_LEAD_AUTHORITY);

        // Timeline.
        let aware_reason = set(&incident.aware_reason);
        require(aware_reason.is_some(), MISSING_AWARE_REASON);
        let processor = incident.processor.as_deref().and_then(set);
        require(
            processor.is_none() || incident.processor_notified_at.is_some(),
            MISSING_PROCESSOR_NOTIFIED,
        );
        let late = incident.late(input.now);
        let delay_reason = incident.delay_reason.as_deref().and_then(set);
        require(!late || delay_reason.is_some(), MISSING_DELAY_REASON);

        // (a), (b), (d).
        let description = paragraphs(&incident.description);
        require(!description.is_empty(), MISSING_DESCRIPTION);
        require(assessment.is_some(), MISSING_ASSESSMENT);
        let dpo = set(&config.dpo_contact).filter(|d| *d != DEFAULT_DPO);
        require(dpo.is_some(), MISSING_DPO);
        let measures: Vec<String> = incident
            .measures
            .iter()
            .filter_map(|m| set(m))
            .map(str::to_string)
            .collect();
        require(!measures.is_empty(), MISSING_MEASURES);

        let mut updates: Vec<&IncidentUpdate> = input.updates.iter().collect();
        updates.sort_by_key(|u| u.at);
        let update_number = updates.len();

        let timeline = timeline(incident, processor, aware_reason);
        let countries = assessment
            .map(|a| Countries::group(&a.people_by_country))
            .unwrap_or_default();
        let high_risk = assessment.map_or(0, |a| {
            a.people
                .iter()
                .filter(|p| p.risk.level == RiskLevel::High)
                .count()
        });

        let context = context! {
            title => &incident.title,
            incident_id => incident.id,
            controller => controller,
            controller_address => controller_address,
            lead_authority => lead_authority,
            drafted_at => date(input.now),
            update_number => update_number,
            missing => &missing,
            timeline => timeline,
            clock => incident.clock(input.now),
            deadline => date(incident.deadline()),
            late => late,
            delay_reason => delay_reason,
            description => description,
            processor => processor,
            nature => assessment.map(nature),
            dpo => dpo,
            consequences => assessment.map(consequences),
            risk => assessment.map(risk_summary),
            measures => measures,
            people_notification => people_notification(incident, assessment, high_risk),
            countries => assessment.map(|_| countries_context(&countries)),
            updates => updates
                .iter()
                .enumerate()
                .map(|(i, u)| context! { number => i + 1, at => date(u.at), text => &u.text })
                .collect::<Vec<_>>(),
        };
        Content {
            missing,
            countries,
            context,
        }
    }

    pub(crate) fn context(&self) -> Value {
        self.context.clone()
    }
}

/// `Some(trimmed)` unless blank.
fn set(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// Non-blank lines, trimmed.
fn paragraphs(text: &str) -> Vec<String> {
    text.lines().filter_map(set).map(str::to_string).collect()
}

/// "1 person", "3 people".
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// [`count`] of people.
fn people(n: u64) -> String {
    count(n, "person", "people")
}

/// `2025-11-09 15:00 UTC`.
fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn timeline(
    incident: &Incident,
    processor: Option<&str>,
    aware_reason: Option<&str>,
) -> Vec<Value> {
    let row = |event: &str, at: String, note: Option<String>| {
        context! { event => event, at => at, note => note, aware => false }
    };
    let or = |at: Option<DateTime<Utc>>, otherwise: &str| at.map_or(otherwise.to_string(), date);
    vec![
        row("Breach occurred", or(incident.occurred_at, "unknown"), None),
        row(
            "Breach detected",
            or(incident.detected_at, "not recorded"),
            None,
        ),
        // The reason is quoted by the templates (it may be a placeholder).
        context! {
            event => "Controller became aware",
            at => date(incident.aware_at),
            note => aware_reason.map(|r| format!("Reason: {r}")),
            aware => true,
        },
        match processor {
            Some(p) => row(
                "Processor notified the controller (Art. 33(2))",
                or(incident.processor_notified_at, "not recorded"),
                Some(format!("Processor: {p}")),
            ),
            None => row(
                "Processor notified the controller (Art. 33(2))",
                "not applicable".into(),
                Some("The breach was not at a processor.".into()),
            ),
        },
        row(
            "72-hour deadline (Art. 33(1))",
            date(incident.deadline()),
            Some("Awareness + 72 hours.".into()),
        ),
        row(
            "Supervisory authority notified",
            or(incident.authority_notified_at, "not yet"),
            None,
        ),
        row(
            "Data subjects notified (Art. 34)",
            or(incident.people_notified_at, "not yet"),
            None,
        ),
    ]
}

/// A category's name in the report ("Email addresses").
pub(crate) fn label(category: DataCategory) -> &'static str {
    match category {
        DataCategory::Email => "Email addresses",
        DataCategory::Name => "Names",
        DataCategory::Phone => "Phone numbers",
        DataCategory::UserId => "Internal user IDs",
        DataCategory::OrgId => "Internal organisation IDs",
        DataCategory::OrgName => "Organisation names",
        DataCategory::City => "Cities",
        DataCategory::Region => "Regions",
        DataCategory::Country => "Countries",
        DataCategory::Ip => "IP addresses",
        DataCategory::Os => "Operating systems",
        DataCategory::Browser => "Browsers",
        DataCategory::Device => "Device types",
        DataCategory::Referrer => "Referring web pages",
        DataCategory::Locale => "Language settings",
        DataCategory::Password => "Passwords",
        DataCategory::ApiKey => "API keys",
        DataCategory::Payment => "Payment data",
        DataCategory::Conversation => "Conversations",
    }
}

/// The label in running text: "email addresses", but "IP addresses".
fn lower(category: DataCategory) -> String {
    let l = label(category);
    let mut chars = l.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() => {
            first.to_lowercase().chain(l.chars().skip(1)).collect()
        }
        _ => l.to_string(),
    }
}

/// "a, b and c".
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The categories the leak exposed (for anyone, in any record).
fn exposed(a: &Assessment) -> BTreeSet<DataCategory> {
    let records = a.records_by_category.iter().filter(|&(_, &n)| n > 0);
    let people = a.people_by_category.iter().filter(|&(_, &n)| n > 0);
    records.chain(people).map(|(&c, _)| c).collect()
}

fn people_with(a: &Assessment, c: DataCategory) -> u64 {
    a.people_by_category.get(&c).copied().unwrap_or(0)
}

/// (a): categories, numbers, organisations, canaries, what was not involved.
fn nature(a: &Assessment) -> Value {
    let exposed = exposed(a);
    let categories: Vec<Value> = DataCategory::ALL
        .into_iter()
        .filter(|c| exposed.contains(c))
        .map(|c| {
            context! {
                label => label(c),
                people => people_with(a, c),
                records => a.records_by_category.get(&c).copied().unwrap_or(0),
                sensitive => DataCategory::SENSITIVE.contains(&c),
            }
        })
        .collect();
    let (involved, not_involved): (Vec<DataCategory>, Vec<DataCategory>) = DataCategory::SENSITIVE
        .into_iter()
        .partition(|c| exposed.contains(c));
    let formats: BTreeSet<&str> = a.sources.iter().map(|s| s.format.as_str()).collect();
    let canaries: Vec<Value> = a
        .canaries
        .iter()
        .map(|c| {
            let on: Vec<String> = c.matched_on.iter().map(|&m| lower(m)).collect();
            context! {
                planted_for => &c.planted_for,
                planted_at => date(c.planted_at),
                records => c.records,
                matched_on => join(&on),
            }
        })
        .collect();
    context! {
        assessed_at => date(a.assessed_at),
        people => a.people.len(),
        records => a.records,
        matched_records => a.matched_records,
        unmatched_records => a.unmatched_records,
        canary_records => a.canary_records,
        files => a.sources.len(),
        formats => formats.into_iter().collect::<Vec<_>>().join(", "),
        organisations => a.organisations.len(),
        categories => categories,
        sensitive_involved => join(&involved.into_iter().map(lower).collect::<Vec<_>>()),
        sensitive_not_involved => join(&not_involved.into_iter().map(lower).collect::<Vec<_>>()),
        canaries => canaries,
    }
}

/// (c): the likely consequences, from the categories exposed.
fn consequences(a: &Assessment) -> Vec<String> {
    use DataCategory::*;
    let exposed = exposed(a);
    let has = |c: DataCategory| exposed.contains(&c);
    let mut out = Vec::new();
    let location: Vec<DataCategory> = DataCategory::ALL
        .into_iter()
        .filter(|&c| c.is_location() && has(c))
        .collect();
    if has(Email) {
        let context: Vec<String> = [Name, OrgName, Phone]
            .into_iter()
            .chain(location.iter().copied())
            .filter(|&c| has(c))
            .map(lower)
            .collect();
        out.push(if context.is_empty() {
            format!(
                "Phishing and unsolicited messages to the exposed email addresses ({}).",
                people(people_with(a, Email))
            )
        } else {
            format!(
                "Targeted phishing: the email addresses come with {}, which make fraudulent messages (a fake \
                 security alert, invoice or message from a colleague) look genuine ({} with an exposed email \
                 address).",
                join(&context),
                people(people_with(a, Email))
            )
        });
    }
    if has(Phone) {
        out.push(format!(
            "Fraudulent calls and text messages (vishing, smishing) to the exposed phone numbers ({}).",
            people(people_with(a, Phone))
        ));
    }
    let ids: Vec<String> = [UserId, OrgId]
        .into_iter()
        .filter(|&c| has(c))
        .map(lower)
        .collect();
    if !ids.is_empty() {
        out.push(format!(
            "Linkage: {} are stable identifiers that let the leaked records be joined with other data sets \
             carrying the same IDs (for example another leak), building a fuller profile of the people concerned.",
            join(&ids)
        ));
    }
    if !location.is_empty() {
        let which: Vec<String> = location.iter().map(|&c| lower(c)).collect();
        out.push(format!(
            "Disclosure of approximate location ({}){}.",
            join(&which),
            if has(Ip) {
                "; an IP address can also reveal the network or employer a person connects from"
            } else {
                ""
            }
        ));
    }
    let technical: Vec<String> = [Os, Browser, Device, Referrer, Locale]
        .into_iter()
        .filter(|&c| has(c))
        .map(lower)
        .collect();
    if !technical.is_empty() {
        out.push(format!(
            "Technical details ({}) help tailor attacks to a person's software and can reveal which pages they \
             came from.",
            join(&technical)
        ));
    }
    if has(Password) {
        out.push(format!(
            "Account takeover: the exposed passwords can be used to sign in here and on other services where \
             the same password is reused ({}).",
            people(people_with(a, Password))
        ));
    }
    if has(ApiKey) {
        out.push(format!(
            "Unauthorised access through the exposed API keys (reading or changing data, incurring costs in \
             the account holder's name) until they are revoked ({}).",
            people(people_with(a, ApiKey))
        ));
    }
    if has(Payment) {
        out.push(format!(
            "Financial harm: fraudulent use of the exposed payment data ({}).",
            people(people_with(a, Payment))
        ));
    }
    if has(Conversation) {
        out.push(format!(
            "Loss of confidentiality of conversation content, which may hold confidential business information \
             or special categories of data (Art. 9) that people typed in ({}).",
            people(people_with(a, Conversation))
        ));
    }
    if !a.organisations.is_empty() {
        out.push(format!(
            "For the affected organisations ({}): who belongs to them is revealed, which helps attackers target \
             their staff and administrators.",
            a.organisations.len()
        ));
    }
    if !DataCategory::SENSITIVE.iter().any(|&c| has(c)) {
        out.push(
            "No passwords, API keys, payment data or conversations were involved: the leak does not by itself \
             give access to accounts or cause direct financial loss."
                .into(),
        );
    }
    if exposed.is_empty() {
        out.push(
            "The leaked records held no category of personal data that the assessment recognised; review the \
             assessment's column mapping."
                .into(),
        );
    }
    out
}

/// People per risk level (most severe first) and the most frequent reasons.
fn risk_summary(a: &Assessment) -> Value {
    let levels: Vec<Value> = [
        (RiskLevel::High, "High"),
        (RiskLevel::Medium, "Medium"),
        (RiskLevel::Low, "Low"),
    ]
    .into_iter()
    .map(|(level, name)| {
        let people = a.people.iter().filter(|p| p.risk.level == level).count();
        context! { level => name, people => people }
    })
    .collect();
    let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
    for person in &a.people {
        let distinct: BTreeSet<&str> = person.risk.reasons.iter().filter_map(|r| set(r)).collect();
        for reason in distinct {
            *reasons.entry(reason).or_default() += 1;
        }
    }
    let mut reasons: Vec<(&str, u64)> = reasons.into_iter().collect();
    reasons.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    let reasons: Vec<Value> = reasons
        .into_iter()
        .take(TOP_REASONS)
        .map(|(reason, people)| context! { reason => reason, people => people })
        .collect();
    context! { levels => levels, reasons => reasons }
}

/// Art. 34: whether the data subjects were, or must be, told.
fn people_notification(
    incident: &Incident,
    assessment: Option<&Assessment>,
    high_risk: usize,
) -> String {
    match (incident.people_notified_at, assessment) {
        (Some(at), _) => format!("The affected data subjects were notified on {} (Art. 34).", date(at)),
        (None, None) => "The data subjects have not been notified yet; whether Art. 34 requires it depends on \
                         the assessment of the leaked dataset."
            .into(),
        (None, Some(_)) if high_risk > 0 => format!(
            "The data subjects have not been notified yet. {} at high risk will be notified without undue \
             delay (Art. 34(1)).",
            people(high_risk as u64)
        ),
        (None, Some(_)) => "The data subjects have not been notified yet. The assessment rates no one at high \
                            risk, so Art. 34(1) does not require it; the controller may still inform them."
            .into(),
    }
}

fn countries_context(c: &Countries) -> Value {
    let outside: Vec<String> = c
        .outside
        .iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect();
    context! {
        member_states => c
            .member_states
            .iter()
            .map(|m| context! {
                code => &m.code,
                country => &m.country,
                authority => &m.authority,
                people => m.people,
            })
            .collect::<Vec<_>>(),
        member_state_people => c.member_states.iter().map(|m| m.people).sum::<u64>(),
        outside => c.outside_total(),
        outside_breakdown => outside.join(", "),
        uk => c.uk,
        uk_authority => UK_AUTHORITY,
        unknown => c.unknown,
    }
}
