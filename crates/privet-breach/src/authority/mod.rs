//! The draft of the notification to the supervisory authority (GDPR Art. 33(3)), from an incident, its updates
//! and the assessment of the leaked dataset.
//!
//! [`draft`] renders one Markdown and one PDF-ready HTML document from the same context (so they say the same
//! thing), lists the required items that are still missing (both documents open with them as a "Before
//! sending" checklist) and counts the affected people per EU/EEA member state, with each state's authority: a
//! controller without an establishment in the Union notifies each of them.
//!
//! Sections, in order: before sending; header (controller, lead authority, incident, initial notification or
//! update N); timeline and the 72-hour clock (with the reasons for a delay, Art. 33(1)); (a) nature of the
//! breach (categories, approximate numbers of people and records, organisations, canaries, the sensitive
//! categories *not* involved); (b) the data protection officer; (c) likely consequences and the risk summary;
//! (d) measures taken or proposed and the notification of the data subjects (Art. 34); people per member state;
//! phased updates (Art. 33(4)).
//!
//! The report holds no identifier of a person: only counts, categories and the risk reasons of the assessment.

mod content;
mod eea;
mod render;

use chrono::{DateTime, Utc};

use crate::{Assessment, Incident, IncidentUpdate};

pub use eea::{EEA, UK_AUTHORITY, member_state};

/// The missing item when there is no assessment.
pub const MISSING_ASSESSMENT: &str = "assessment of the leaked dataset (`privet breach assess`)";
/// The missing item when the authority is (or will be) notified after the deadline without reasons.
pub const MISSING_DELAY_REASON: &str = "reasons for the delay (Art. 33(1))";
/// The missing item when `breach.dpo_contact` is empty or still the default.
pub const MISSING_DPO: &str =
    "name and contact details of the data protection officer (Art. 33(3)(b); `breach.dpo_contact`)";
/// The missing item when the incident lists no measure.
pub const MISSING_MEASURES: &str =
    "measures taken or proposed to address the breach (Art. 33(3)(d))";
/// The missing item when `breach.lead_authority` is empty.
pub const MISSING_LEAD_AUTHORITY: &str = "lead supervisory authority (`breach.lead_authority`)";
/// The missing item when `breach.controller` is empty or still the default.
pub const MISSING_CONTROLLER: &str = "name of the controller (`breach.controller`)";
/// The missing item when `breach.controller_address` is empty.
pub const MISSING_CONTROLLER_ADDRESS: &str =
    "postal address of the controller (`breach.controller_address`)";
/// The missing item when the incident has no description.
pub const MISSING_DESCRIPTION: &str = "description of what happened (Art. 33(3)(a))";
/// The missing item when the incident does not say why the controller considers itself aware.
pub const MISSING_AWARE_REASON: &str =
    "why the controller considers itself aware of the breach at the recorded time";
/// The missing item when a processor was breached but the time it told the controller is not recorded.
pub const MISSING_PROCESSOR_NOTIFIED: &str =
    "when the processor notified the controller (Art. 33(2))";

/// What a report is drafted from.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    pub incident: &'a Incident,
    /// The incident's updates (any order; the report lists them oldest first). Non-empty makes the report
    /// "update N" with N the number of updates (Art. 33(4)).
    pub updates: &'a [IncidentUpdate],
    /// `None` until `privet breach assess` has run; the report then says so and lists it as missing.
    pub assessment: Option<&'a Assessment>,
    pub config: &'a privet_config::BreachConfig,
    /// The time of the draft (its date, and the 72-hour clock when the authority is not notified yet).
    pub now: DateTime<Utc>,
}

/// A drafted report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub markdown: String,
    /// One self-contained, print-ready (A4) HTML document: inline CSS, no external resources.
    pub html: String,
    /// Required items still missing, in plain words, in the order the report asks for them. Empty when the
    /// draft can be sent.
    pub missing: Vec<String>,
    /// Affected people per EU/EEA member state, most first (then by code).
    pub member_states: Vec<MemberStateCount>,
    /// Affected people in countries outside the EEA (the United Kingdom included).
    pub outside_eea: u64,
    /// Affected people whose country is unknown.
    pub unknown_country: u64,
}

/// How many affected people live in one member state, and who its supervisory authority is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberStateCount {
    /// ISO 3166-1 alpha-2 (`GR` for Greece).
    pub code: String,
    pub country: String,
    pub authority: String,
    pub people: u64,
}

/// Drafts the Art. 33(3) notification.
pub fn draft(input: &ReportInput) -> Report {
    let content = content::Content::build(input);
    let context = content.context();
    Report {
        markdown: render::render(render::MARKDOWN, &context),
        html: render::render(render::HTML, &context),
        outside_eea: content.countries.outside_total(),
        unknown_country: content.countries.unknown,
        missing: content.missing,
        member_states: content.countries.member_states,
    }
}

#[cfg(test)]
mod tests;
