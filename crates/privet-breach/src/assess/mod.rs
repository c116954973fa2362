//! Assessment: whom a leaked dataset concerns, what it exposed, and how risky that is.
//!
//! 1. [`People`] gathers everyone the controller knows: every person and organisation in the identity vault
//!    (decrypted in one streaming pass, in memory only) and, optionally, the accounts file
//!    ([`accounts`]), merged where they share an address or a user id.
//! 2. [`assess`] matches every leaked record against them, best rule first: user id, exact email, email
//!    without `+tag`, the provider's rules (Gmail dots), then name within the same organisation. Canaries are
//!    checked first: a canary record attributes the leak and is not a person.
//! 3. Each matched person gets the categories *their* records exposed, a country, a locale and a risk rating
//!    ([`risk`]); each organisation its affected members and the administrators to tell.
//!
//! The result ([`crate::Assessment`]) holds keyed hashes, pseudonyms and masked addresses only.

pub mod accounts;
pub mod email;
pub mod report;
mod risk;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use hashbrown::HashMap;
use privet_model::{DataCategory, ProjectId};
use privet_vault::{FieldClass, Vault};
use sha2::{Digest, Sha256};

use crate::canary::Canary;
use crate::leak::LeakFile;
use crate::{AffectedOrganisation, AffectedPerson, Assessment, CanaryFinding, MatchRule, Result};
use accounts::Account;
use email::Forms;

/// One person the controller knows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Known {
    /// The person's vault subject.
    pub pseudonym: Option<i64>,
    pub in_accounts: bool,
    pub emails: Vec<String>,
    pub user_ids: Vec<String>,
    pub name: Option<String>,
    /// Organisation ids the person belongs to (from the accounts file).
    pub orgs: Vec<String>,
    /// Organisation ids the person administers.
    pub admin_of: Vec<String>,
    pub locale: Option<String>,
    pub country: Option<String>,
}

impl Known {
    /// The first address to write to.
    pub fn contact(&self) -> Option<&str> {
        self.emails.first().map(String::as_str)
    }
}

/// Everyone the controller knows, with the organisations the vault has.
#[derive(Clone, Debug, Default)]
pub struct People {
    pub known: Vec<Known>,
    /// Organisation id → its vault pseudonym.
    pub org_pseudonyms: HashMap<String, i64>,
    /// Organisation id → its name (vault `$name` or the accounts file).
    pub org_names: HashMap<String, String>,
}

impl People {
    /// Every person and organisation of `project` in the vault.
    pub fn from_vault(vault: &Vault, project: ProjectId) -> Result<People> {
        Self::from_vault_with_progress(vault, project, &|_| {})
    }

    /// [`People::from_vault`], calling `progress` with the number of subjects decrypted so far (every 10,000).
    pub fn from_vault_with_progress(
        vault: &Vault,
        project: ProjectId,
        progress: &dyn Fn(u64),
    ) -> Result<People> {
        let mut people = People::default();
        let mut seen = 0u64;
        vault.for_each_subject(project, |subject| {
            seen += 1;
            if seen.is_multiple_of(10_000) {
                progress(seen);
            }
            if let Some(key) = subject.kind.strip_prefix("g:") {
                if key == "org_id" || key.contains("org") || key.contains("company") {
                    for id in &subject.ids {
                        people.org_pseudonyms.insert(id.clone(), subject.pseudonym);
                        if let Some((_, name)) = subject
                            .attributes
                            .iter()
                            .find(|(n, _)| FieldClass::of(n) == FieldClass::Name)
                        {
                            people.org_names.insert(id.clone(), name.clone());
                        }
                    }
                }
                return;
            }
            if subject.kind != "p" {
                return;
            }
            let mut known = Known {
                pseudonym: Some(subject.pseudonym),
                ..Known::default()
            };
            let (mut first, mut last) = (None, None);
            for id in subject.ids {
                if Forms::of(&id).is_some() {
                    known.emails.push(id.clone());
                }
                known.user_ids.push(id);
            }
            for (name, value) in subject.attributes {
                let lower = name.trim_start_matches('$').to_ascii_lowercase();
                match FieldClass::of(&name) {
                    FieldClass::Email => known.emails.push(value),
                    FieldClass::Name if lower.contains("first") => first = Some(value),
                    FieldClass::Name if lower.contains("last") || lower.contains("surname") => {
                        last = Some(value)
                    }
                    FieldClass::Name => known.name = Some(value),
                    _ if lower == "locale" || lower == "language" => known.locale = Some(value),
                    _ => {}
                }
            }
            if known.name.is_none() {
                let parts: Vec<String> = first.into_iter().chain(last).collect();
                if !parts.is_empty() {
                    known.name = Some(parts.join(" "));
                }
            }
            known.emails.dedup();
            people.known.push(known);
        })?;
        Ok(people)
    }

    /// Adds the accounts file: an account joins the vault person with the same address or user id, or becomes a
    /// person of its own.
    pub fn add_accounts(&mut self, accounts: Vec<Account>) {
        let mut by_email: HashMap<String, usize> = HashMap::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for (i, k) in self.known.iter().enumerate() {
            for e in &k.emails {
                if let Some(f) = Forms::of(e) {
                    by_email.entry(f.exact).or_insert(i);
                }
            }
            for id in &k.user_ids {
                by_id.entry(id.clone()).or_insert(i);
            }
        }
        for account in accounts {
            let exact = account
                .email
                .as_deref()
                .and_then(Forms::of)
                .map(|f| f.exact);
            let found = account
                .user_id
                .as_ref()
                .and_then(|id| by_id.get(id))
                .or_else(|| exact.as_ref().and_then(|e| by_email.get(e)))
                .copied();
            let i = found.unwrap_or_else(|| {
                self.known.push(Known::default());
                self.known.len() - 1
            });
            let k = &mut self.known[i];
            k.in_accounts = true;
            if let Some(e) = account.email
                && !k.emails.contains(&e)
            {
                k.emails.insert(0, e);
            }
            if let Some(id) = account.user_id {
                by_id.entry(id.clone()).or_insert(i);
                if !k.user_ids.contains(&id) {
                    k.user_ids.push(id);
                }
            }
            if let Some(e) = exact {
                by_email.entry(e).or_insert(i);
            }
            if k.name.is_none() {
                k.name = account.name;
            }
            if account.locale.is_some() {
                k.locale = account.locale;
            }
            if k.country.is_none() {
                k.country = account.country.as_deref().and_then(country_code);
            }
            if let Some(org) = account.org_id {
                if let Some(name) = account.org_name {
                    self.org_names.entry(org.clone()).or_insert(name);
                }
                if account.admin && !k.admin_of.contains(&org) {
                    k.admin_of.push(org.clone());
                }
                if !k.orgs.contains(&org) {
                    k.orgs.push(org);
                }
            }
        }
    }

    /// The stable key of person `i` within an incident: a keyed hash, so the key names nobody outside it.
    pub fn key(&self, i: usize, salt: &[u8]) -> String {
        let k = &self.known[i];
        let identity = match k.pseudonym {
            Some(p) => format!("v:{p}"),
            None => format!(
                "a:{}",
                k.contact()
                    .and_then(Forms::of)
                    .map(|f| f.exact)
                    .or_else(|| k.user_ids.first().cloned())
                    .unwrap_or_default()
            ),
        };
        keyed(salt, &identity)
    }

    /// The key of an organisation within an incident.
    pub fn org_key(org_id: &str, salt: &[u8]) -> String {
        keyed(salt, &format!("o:{org_id}"))
    }

    /// Key → person index, for the notifier.
    pub fn by_key(&self, salt: &[u8]) -> HashMap<String, usize> {
        (0..self.known.len())
            .map(|i| (self.key(i, salt), i))
            .collect()
    }
}

fn keyed(salt: &[u8], identity: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(identity.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// What an assessment needs.
pub struct Input<'a> {
    pub incident: i64,
    /// The incident's salt (keys of people and organisations).
    pub salt: &'a [u8],
    pub files: &'a [LeakFile],
    pub people: &'a People,
    pub canaries: &'a [Canary],
    pub now: DateTime<Utc>,
}

/// An assessment and the leaked addresses (kept in memory for the "am I affected?" hashes, never saved).
pub struct Outcome {
    pub assessment: Assessment,
    pub addresses: Vec<String>,
}

#[derive(Default)]
struct PersonAcc {
    rules: BTreeSet<MatchRule>,
    exposed: BTreeSet<DataCategory>,
    records: u64,
    country: Option<String>,
    orgs: BTreeSet<String>,
}

#[derive(Default)]
struct OrgAcc {
    members: BTreeSet<usize>,
    exposed: BTreeSet<DataCategory>,
    records: u64,
}

#[derive(Default)]
struct CanaryAcc {
    records: u64,
    matched_on: BTreeSet<DataCategory>,
}

/// Lookup tables over the known people and the canaries.
#[derive(Default)]
struct Index {
    exact: HashMap<String, Vec<usize>>,
    untagged: HashMap<String, Vec<usize>>,
    canonical: HashMap<String, Vec<usize>>,
    user_id: HashMap<String, Vec<usize>>,
    /// (normalised name, organisation id) → people; also (normalised name, `name:` + normalised organisation
    /// name) when the organisation's name is known.
    name_org: HashMap<(String, String), Vec<usize>>,
    /// Normalised organisation name → organisation ids.
    org_by_name: HashMap<String, Vec<String>>,
    canary: HashMap<(DataCategory, String), usize>,
}

fn normalise_name(name: &str) -> String {
    FieldClass::Name.normalise(name).unwrap_or_default()
}

impl Index {
    fn build(people: &People, canaries: &[Canary]) -> Index {
        let mut ix = Index::default();
        for (i, k) in people.known.iter().enumerate() {
            for e in &k.emails {
                if let Some(f) = Forms::of(e) {
                    push(&mut ix.exact, f.exact, i);
                    push(&mut ix.untagged, f.untagged, i);
                    push(&mut ix.canonical, f.canonical, i);
                }
            }
            for id in &k.user_ids {
                push(&mut ix.user_id, id.trim().to_string(), i);
            }
            if let Some(name) = &k.name {
                for org in &k.orgs {
                    push(&mut ix.name_org, (normalise_name(name), org.clone()), i);
                    if let Some(org_name) = people.org_names.get(org) {
                        let key = format!("name:{}", normalise_name(org_name));
                        push(&mut ix.name_org, (normalise_name(name), key), i);
                    }
                }
            }
        }
        for (id, name) in &people.org_names {
            let v = ix.org_by_name.entry(normalise_name(name)).or_default();
            if !v.contains(id) {
                v.push(id.clone());
            }
        }
        for (c, canary) in canaries.iter().enumerate() {
            let email = Forms::of(&canary.email)
                .map(|f| f.canonical)
                .unwrap_or_default();
            for (category, value) in [
                (DataCategory::Email, email),
                (DataCategory::Name, normalise_name(&canary.name)),
                (DataCategory::UserId, canary.user_id.clone()),
                (DataCategory::OrgId, canary.org_id.clone()),
                (DataCategory::OrgName, normalise_name(&canary.org_name)),
            ] {
                ix.canary.insert((category, value), c);
            }
        }
        ix
    }

    fn canary(&self, category: DataCategory, value: &str) -> Option<usize> {
        let value = match category {
            DataCategory::Email => Forms::of(value)?.canonical,
            DataCategory::Name | DataCategory::OrgName => normalise_name(value),
            DataCategory::UserId | DataCategory::OrgId => value.trim().to_string(),
            _ => return None,
        };
        self.canary.get(&(category, value)).copied()
    }
}

fn push<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Vec<usize>>, key: K, i: usize) {
    let v = map.entry(key).or_default();
    if !v.contains(&i) {
        v.push(i);
    }
}

/// Matches every leaked record; `progress` gets the number of records done.
pub fn assess(input: &Input<'_>, progress: &dyn Fn(u64)) -> Outcome {
    let ix = Index::build(input.people, input.canaries);
    let mut persons: HashMap<usize, PersonAcc> = HashMap::new();
    let mut orgs: HashMap<String, OrgAcc> = HashMap::new();
    let mut canaries: BTreeMap<usize, CanaryAcc> = BTreeMap::new();
    let mut a = Assessment {
        incident: input.incident,
        assessed_at: input.now,
        sources: input.files.iter().map(|f| f.summary.clone()).collect(),
        ..Assessment::default()
    };
    let mut addresses = Vec::new();
    let mut done = 0u64;
    for file in input.files {
        for record in &file.records {
            done += 1;
            if done.is_multiple_of(50_000) {
                progress(done);
            }
            a.records += 1;
            // Canaries first: a canary record says where the leak came from, and concerns nobody. Its email,
            // user id or organisation id are unique to it; its name and organisation name are realistic and so
            // may be a real person's, and count only together.
            let mut matched: BTreeMap<usize, BTreeSet<DataCategory>> = BTreeMap::new();
            for (category, value) in &record.values {
                if let Some(c) = ix.canary(*category, value) {
                    matched.entry(c).or_default().insert(*category);
                }
            }
            matched.retain(|_, on| {
                on.iter().any(|c| {
                    matches!(
                        c,
                        DataCategory::Email | DataCategory::UserId | DataCategory::OrgId
                    )
                }) || (on.contains(&DataCategory::Name) && on.contains(&DataCategory::OrgName))
            });
            if !matched.is_empty() {
                for (c, on) in matched {
                    let acc = canaries.entry(c).or_default();
                    acc.matched_on.extend(on);
                    acc.records += 1;
                }
                a.canary_records += 1;
                continue;
            }
            let categories: BTreeSet<DataCategory> =
                record.values.iter().map(|(c, _)| *c).collect();
            for c in &categories {
                *a.records_by_category.entry(*c).or_default() += 1;
            }
            let mut matched: BTreeMap<usize, BTreeSet<MatchRule>> = BTreeMap::new();
            let mut record_orgs = Vec::new();
            let mut names = Vec::new();
            let mut org_names = Vec::new();
            let mut country = None;
            for (category, value) in &record.values {
                match category {
                    DataCategory::UserId => {
                        for &i in ix.user_id.get(value.trim()).into_iter().flatten() {
                            matched.entry(i).or_default().insert(MatchRule::UserId);
                        }
                    }
                    DataCategory::Email => {
                        let Some(f) = Forms::of(value) else { continue };
                        addresses.push(f.exact.clone());
                        let rules = [
                            (ix.exact.get(&f.exact), MatchRule::Email),
                            (ix.untagged.get(&f.untagged), MatchRule::EmailWithoutTag),
                            (ix.canonical.get(&f.canonical), MatchRule::ProviderRule),
                        ];
                        // The best rule that matches anyone wins for this address.
                        if let Some((Some(found), rule)) =
                            rules.into_iter().find(|(found, _)| found.is_some())
                        {
                            for &i in found {
                                matched.entry(i).or_default().insert(rule);
                            }
                        }
                    }
                    DataCategory::OrgId => record_orgs.push(value.trim().to_string()),
                    DataCategory::OrgName => org_names.push(normalise_name(value)),
                    DataCategory::Name => names.push(normalise_name(value)),
                    DataCategory::Country => country = country.or_else(|| country_code(value)),
                    _ => {}
                }
            }
            // A leak may name the organisation instead of giving its id: known names stand for their ids.
            if record_orgs.is_empty() {
                for org_name in &org_names {
                    for id in ix.org_by_name.get(org_name).into_iter().flatten() {
                        record_orgs.push(id.clone());
                    }
                }
            }
            if matched.is_empty() {
                let org_keys = record_orgs
                    .iter()
                    .cloned()
                    .chain(org_names.iter().map(|n| format!("name:{n}")));
                for org in org_keys {
                    for name in &names {
                        let key = (name.clone(), org.clone());
                        for &i in ix.name_org.get(&key).into_iter().flatten() {
                            matched
                                .entry(i)
                                .or_default()
                                .insert(MatchRule::NameAndOrganisation);
                        }
                    }
                }
            }
            if matched.is_empty() {
                a.unmatched_records += 1;
            } else {
                a.matched_records += 1;
            }
            for org in &record_orgs {
                let acc = orgs.entry(org.clone()).or_default();
                acc.records += 1;
                acc.exposed.extend(categories.iter().copied());
                acc.members.extend(matched.keys().copied());
            }
            for (i, rules) in matched {
                let acc = persons.entry(i).or_default();
                acc.rules.extend(rules);
                acc.exposed.extend(categories.iter().copied());
                acc.records += 1;
                if acc.country.is_none() {
                    acc.country = country.clone();
                }
                acc.orgs.extend(record_orgs.iter().cloned());
            }
        }
    }
    progress(done);

    let people = input.people;
    let salt = input.salt;
    let mut affected: Vec<AffectedPerson> = persons
        .into_iter()
        .map(|(i, acc)| {
            let k = &people.known[i];
            let mut org_ids: BTreeSet<String> = acc.orgs;
            org_ids.extend(k.orgs.iter().cloned());
            let admin = !k.admin_of.is_empty();
            AffectedPerson {
                key: people.key(i, salt),
                pseudonym: k.pseudonym,
                in_accounts: k.in_accounts,
                matched_by: acc.rules.into_iter().collect(),
                risk: risk::rate(&acc.exposed, admin),
                exposed: acc.exposed.into_iter().collect(),
                records: acc.records,
                country: acc.country.or_else(|| k.country.clone()),
                locale: k.locale.clone(),
                contact: k.contact().map(email::mask),
                organisations: org_ids.iter().map(|o| People::org_key(o, salt)).collect(),
                admin,
            }
        })
        .collect();
    affected
        .sort_by(|x, y| (y.risk.level, y.records, &x.key).cmp(&(x.risk.level, x.records, &y.key)));
    for p in &affected {
        for c in &p.exposed {
            *a.people_by_category.entry(*c).or_default() += 1;
        }
        let country = p.country.clone().unwrap_or_else(|| "??".into());
        *a.people_by_country.entry(country).or_default() += 1;
    }
    // Administrators of each organisation, from the accounts file.
    let mut admins: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in people.known.iter().enumerate() {
        for org in &k.admin_of {
            admins.entry(org.as_str()).or_default().push(i);
        }
    }
    let mut organisations: Vec<AffectedOrganisation> = orgs
        .into_iter()
        .filter(|(id, acc)| {
            !acc.members.is_empty()
                || people.org_pseudonyms.contains_key(id)
                || admins.contains_key(id.as_str())
        })
        .map(|(id, acc)| {
            let org_admins = admins.get(id.as_str()).cloned().unwrap_or_default();
            AffectedOrganisation {
                key: People::org_key(&id, salt),
                pseudonym: people.org_pseudonyms.get(&id).copied(),
                members: acc.members.iter().map(|&i| people.key(i, salt)).collect(),
                admins: org_admins.iter().map(|&i| people.key(i, salt)).collect(),
                admin_contacts: org_admins
                    .iter()
                    .map(|&i| {
                        people.known[i]
                            .contact()
                            .map(email::mask)
                            .unwrap_or_default()
                    })
                    .collect(),
                exposed: acc.exposed.into_iter().collect(),
                records: acc.records,
            }
        })
        .collect();
    organisations.sort_by(|x, y| (y.members.len(), &x.key).cmp(&(x.members.len(), &y.key)));
    a.people = affected;
    a.organisations = organisations;
    a.canaries = canaries
        .into_iter()
        .map(|(c, acc)| {
            let canary = &input.canaries[c];
            CanaryFinding {
                canary: canary.id,
                planted_for: canary.planted_for.clone(),
                planted_at: canary.planted_at,
                records: acc.records,
                matched_on: acc.matched_on.into_iter().collect(),
            }
        })
        .collect();
    Outcome {
        assessment: a,
        addresses,
    }
}

/// An ISO 3166-1 alpha-2 code from a code or an English country name.
pub fn country_code(value: &str) -> Option<String> {
    let v = value.trim();
    if v.len() == 2 && v.chars().all(|c| c.is_ascii_alphabetic()) {
        let code = v.to_ascii_uppercase();
        return Some(if code == "UK" { "GB".into() } else { code });
    }
    let lower = v.to_lowercase();
    crate::authority::EEA
        .iter()
        .map(|(code, country, _)| (*code, *country))
        .chain(OTHER_COUNTRIES.iter().copied())
        .find(|(_, name)| name.to_lowercase() == lower)
        .map(|(code, _)| code.to_string())
}

const OTHER_COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("US", "United States of America"),
    ("GB", "United Kingdom"),
    ("CH", "Switzerland"),
    ("CA", "Canada"),
    ("AU", "Australia"),
    ("IN", "India"),
    ("BR", "Brazil"),
    ("JP", "Japan"),
    ("CN", "China"),
    ("MX", "Mexico"),
    ("TR", "Turkey"),
    ("UA", "Ukraine"),
    ("ID", "Indonesia"),
    ("SA", "Saudi Arabia"),
    ("AE", "United Arab Emirates"),
    ("EG", "Egypt"),
    ("NG", "Nigeria"),
    ("ZA", "South Africa"),
    ("SG", "Singapore"),
    ("KR", "South Korea"),
];

#[cfg(test)]
mod tests;
