//! The result of assessing a leaked dataset: plain data, saved as `assessment.json` beside the incident and read
//! by the notifier and the authority report.
//!
//! It holds no raw identifier: people are known by a keyed hash (`key`), their vault pseudonym and a masked
//! address (`a***@example.com`); the real address is looked up when a notice is sent.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use privet_model::DataCategory;
use serde::{Deserialize, Serialize};

/// Everything an assessment found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub incident: i64,
    pub assessed_at: DateTime<Utc>,
    /// The files read, their format and how their columns were understood.
    pub sources: Vec<SourceSummary>,
    /// Records read, in all files.
    pub records: u64,
    /// Records that matched a known person or organisation.
    pub matched_records: u64,
    /// Records that matched nobody (and no canary).
    pub unmatched_records: u64,
    /// Records that were canaries.
    pub canary_records: u64,
    /// Records exposing each category (a record counts once per category it has a value for).
    pub records_by_category: BTreeMap<DataCategory, u64>,
    /// Affected people exposing each category.
    pub people_by_category: BTreeMap<DataCategory, u64>,
    /// Affected people per country (ISO 3166-1 alpha-2, upper case; `??` when unknown).
    pub people_by_country: BTreeMap<String, u64>,
    pub people: Vec<AffectedPerson>,
    pub organisations: Vec<AffectedOrganisation>,
    pub canaries: Vec<CanaryFinding>,
}

impl Assessment {
    /// A copy without the lists of people and organisations (cheap, whatever their size).
    pub fn clone_summary(&self) -> Assessment {
        Assessment {
            incident: self.incident,
            assessed_at: self.assessed_at,
            sources: self.sources.clone(),
            records: self.records,
            matched_records: self.matched_records,
            unmatched_records: self.unmatched_records,
            canary_records: self.canary_records,
            records_by_category: self.records_by_category.clone(),
            people_by_category: self.people_by_category.clone(),
            people_by_country: self.people_by_country.clone(),
            people: Vec::new(),
            organisations: Vec::new(),
            canaries: self.canaries.clone(),
        }
    }
}

/// One leaked file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    /// The file name (no directories).
    pub file: String,
    /// `csv`, `json`, `ndjson` or `mixpanel`.
    pub format: String,
    pub records: u64,
    pub columns: Vec<ColumnUse>,
}

/// How one column of a leaked file was understood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnUse {
    pub column: String,
    /// `None`: ignored (not personal data Privet recognises).
    pub category: Option<DataCategory>,
    /// True when the category came from a flag rather than the column's name.
    pub overridden: bool,
}

/// How a leaked record was matched to a person.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// The same email address (case and surrounding space ignored).
    Email,
    /// The same address once a `+tag` is removed (`ada+news@x.com` is `ada@x.com`).
    EmailWithoutTag,
    /// The same mailbox by the provider's rules (Gmail ignores dots; `googlemail.com` is `gmail.com`).
    ProviderRule,
    /// The same internal user id.
    UserId,
    /// The same name within the same organisation.
    NameAndOrganisation,
}

/// How much harm the exposure makes likely.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

/// A risk rating and the reasons for it, in plain English (the report quotes them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub level: RiskLevel,
    pub reasons: Vec<String>,
}

/// One affected person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AffectedPerson {
    /// Stable within the incident: a keyed hash of the person's identity (hex). The outbox uses it.
    pub key: String,
    /// The person's vault subject, when the vault knows them.
    pub pseudonym: Option<i64>,
    /// True when the accounts file has the person.
    pub in_accounts: bool,
    /// Every rule that matched, best first.
    pub matched_by: Vec<MatchRule>,
    /// The categories of this person's data that the leaked records held.
    pub exposed: Vec<DataCategory>,
    /// Leaked records about this person.
    pub records: u64,
    /// Country (ISO alpha-2) from the leaked location, else from the vault or accounts.
    pub country: Option<String>,
    /// Preferred locale (BCP 47) from the vault profile or the accounts file.
    pub locale: Option<String>,
    /// `a***@example.com`; `None` when there is no address to write to.
    pub contact: Option<String>,
    /// Keys of the organisations the person belongs to (see [`AffectedOrganisation::key`]).
    pub organisations: Vec<String>,
    /// True when the accounts file says this person administers one of those organisations.
    pub admin: bool,
    pub risk: Risk,
}

/// One affected organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AffectedOrganisation {
    /// Stable within the incident: a keyed hash of the organisation id (hex).
    pub key: String,
    /// The organisation's vault subject (group `org_id`), when the vault knows it.
    pub pseudonym: Option<i64>,
    /// Keys of the affected members (people in [`Assessment::people`]).
    pub members: Vec<String>,
    /// Keys of the administrators to notify (people in [`Assessment::people`] or administrators from the
    /// accounts file who were not themselves in the leak, listed in `admin_contacts`).
    pub admins: Vec<String>,
    /// Masked addresses of the administrators, in the order of `admins`.
    pub admin_contacts: Vec<String>,
    /// Categories exposed for any member.
    pub exposed: Vec<DataCategory>,
    pub records: u64,
}

/// A canary identity found in the leak: the leak passed through the destination it was planted for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryFinding {
    pub canary: i64,
    /// The export, key or vendor the canary was planted for.
    pub planted_for: String,
    pub planted_at: DateTime<Utc>,
    /// Leaked records carrying the canary.
    pub records: u64,
    /// Which of the canary's values appeared.
    pub matched_on: Vec<DataCategory>,
}
