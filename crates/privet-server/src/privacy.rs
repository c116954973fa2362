//! Data-subject requests: erasure (GDPR Art. 17), anonymisation, and access/portability (Art. 15/20).
//!
//! A person is found by any identifier Privet has seen for them (`distinct_id`, `$user_id`, `$device_id`) or by
//! a personal field the vault holds (email, phone). Their identity cluster (every id merged into the same person)
//! is then handled as a whole:
//!
//! * **erase**: the vault destroys the data keys, identifiers and fields of every id in the cluster
//!   (crypto-shredding), and the pseudonymous profile is deleted; the events stay as anonymous statistics that
//!   nothing links to anyone;
//! * **anonymise**: the same key destruction, keeping the pseudonymous profile;
//! * **export**: everything held about the person, decrypted: vault entries, profile, events.
//!
//! Nothing here logs an identifier; the vault records each erasure with its reason only.

use privet_model::{
    EventIdentity, ProfileOp, ProfileOpKind, ProfileTarget, ProfileUpdate, ProjectId, Pseudonym,
};
use privet_store::WriteBatch;
use privet_vault::{FieldClass, IdKind};
use serde::Serialize;
use serde_json::{Value, json};

use crate::App;

/// Why a request about a person failed.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(
        "nobody with that identifier is known in this project (it was never seen, or was already erased)"
    )]
    NotFound,
    #[error(transparent)]
    Vault(#[from] privet_vault::VaultError),
    #[error(transparent)]
    Store(#[from] privet_store::StoreError),
    #[error("{0}")]
    Query(String),
}

/// The result of an erasure or anonymisation.
#[derive(Debug, Clone, Serialize)]
pub struct ErasureReport {
    /// The person's pseudonymous id in the analytics (their events keep it, unlinkable).
    pub person_id: i64,
    /// Identifiers whose link was destroyed.
    pub identifiers: usize,
    /// Personal fields destroyed.
    pub fields: usize,
    /// Whether the pseudonymous profile was deleted too.
    pub profile_deleted: bool,
}

impl App {
    /// The people (person id and every id in their cluster) an identifier names.
    pub fn find_people(
        &self,
        project: ProjectId,
        identifier: &str,
    ) -> Result<Vec<(i64, Vec<Pseudonym>)>, PrivacyError> {
        let identifier = identifier.trim();
        let vault = &self.vault;
        let mut subjects: Vec<Pseudonym> = Vec::new();
        for candidate in [identifier.to_string(), format!("$device:{identifier}")] {
            if let Some(p) = vault.find(project, IdKind::Person, &candidate)? {
                subjects.push(p);
            }
        }
        for class in [FieldClass::Email, FieldClass::Phone] {
            let plausible = match class {
                FieldClass::Email => identifier.contains('@'),
                _ => identifier.chars().filter(char::is_ascii_digit).count() >= 6,
            };
            if plausible {
                subjects.extend(vault.find_by_field(project, class, identifier)?);
            }
        }
        let mut people: Vec<(i64, Vec<Pseudonym>)> = Vec::new();
        for subject in subjects {
            let (person, ids) =
                privet_store::identity_cluster(&self.data_dir, project.0, subject.0)?;
            match people.iter_mut().find(|(p, _)| *p == person) {
                Some((_, members)) => {
                    for id in ids {
                        if !members.contains(&Pseudonym(id)) {
                            members.push(Pseudonym(id));
                        }
                    }
                }
                None => people.push((person, ids.into_iter().map(Pseudonym).collect())),
            }
        }
        Ok(people)
    }

    /// Erases a person (`keep_profile = false`) or anonymises them (`keep_profile = true`).
    pub async fn erase_person(
        &self,
        project: ProjectId,
        identifier: &str,
        reason: &str,
        keep_profile: bool,
    ) -> Result<Vec<ErasureReport>, PrivacyError> {
        let people = self.find_people(project, identifier)?;
        if people.is_empty() {
            return Err(PrivacyError::NotFound);
        }
        let mut reports = Vec::new();
        for (person, members) in people {
            let erased = self.vault.erase(&members, reason)?;
            if !keep_profile {
                let delete = ProfileUpdate {
                    target: ProfileTarget::Person(EventIdentity {
                        distinct: Some(Pseudonym(person)),
                        device: None,
                        user: None,
                    }),
                    time_us: privet_model::time::now_us(),
                    ops: vec![ProfileOp {
                        kind: ProfileOpKind::Delete,
                        payload: "\"\"".into(),
                    }],
                };
                self.store
                    .write(WriteBatch {
                        project,
                        events: Vec::new(),
                        profiles: vec![delete],
                    })
                    .await?;
            }
            tracing::info!(
                project = project.0,
                identifiers = erased.ids,
                fields = erased.attributes,
                keep_profile,
                "a person was erased from the identity vault"
            );
            reports.push(ErasureReport {
                person_id: person,
                identifiers: erased.ids,
                fields: erased.attributes,
                profile_deleted: !keep_profile,
            });
        }
        Ok(reports)
    }

    /// Everything held about the people an identifier names, decrypted, as JSON.
    pub async fn export_person(
        &self,
        project: ProjectId,
        identifier: &str,
    ) -> Result<Value, PrivacyError> {
        let people = self.find_people(project, identifier)?;
        if people.is_empty() {
            return Err(PrivacyError::NotFound);
        }
        let mut out = Vec::new();
        for (person, members) in people {
            let mut identifiers = Vec::new();
            let mut fields = serde_json::Map::new();
            for member in &members {
                if let Some(revealed) = self.vault.reveal(*member)? {
                    identifiers.extend(revealed.ids);
                    for (name, value) in revealed.attributes {
                        fields.insert(name, Value::String(value));
                    }
                }
            }
            let query = |sql: String| async move {
                self.query
                    .sql_result(self.store.version(), project.0, &sql)
                    .await
                    .map_err(|e| PrivacyError::Query(e.to_string()))
            };
            let profile = query(format!(
                "SELECT first_seen, last_seen, properties FROM people WHERE person_id = {person}"
            ))
            .await?;
            let events = query(format!(
                "SELECT * FROM events WHERE person_id = {person} ORDER BY time"
            ))
            .await?;
            out.push(json!({
                "person_id": person,
                "identifiers": identifiers,
                "personal_fields": fields,
                "profile": profile,
                "events": events,
            }));
        }
        Ok(json!({ "people": out }))
    }
}

/// A person's or an organisation's identity, decrypted from the vault for a privacy officer.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// The pseudonym asked about (`person_id`, or the organisation's `group_id`).
    pub pseudonym: i64,
    /// The identifiers that map to it (`distinct_id`s, user and device ids; the organisation's own id).
    pub identifiers: Vec<String>,
    /// Vaulted personal fields (`$email`, `$name`, …).
    pub personal_fields: serde_json::Map<String, Value>,
}

impl App {
    /// Decrypts who a pseudonymous person (every id merged into them) or organisation is; `None` when the vault
    /// holds nothing (never known, or erased). Callers audit the reveal.
    pub fn reveal(
        &self,
        project: ProjectId,
        pseudonym: i64,
        person: bool,
    ) -> Result<Option<Identity>, PrivacyError> {
        let members = if person {
            privet_store::identity_cluster(&self.data_dir, project.0, pseudonym)?.1
        } else {
            vec![pseudonym]
        };
        let mut identity = Identity {
            pseudonym,
            identifiers: Vec::new(),
            personal_fields: serde_json::Map::new(),
        };
        let mut found = false;
        for member in members.into_iter().chain([pseudonym]) {
            let Some(revealed) = self.vault.reveal(Pseudonym(member))? else {
                continue;
            };
            let right_kind = if person {
                revealed.kind == "p"
            } else {
                revealed.kind.starts_with("g:")
            };
            if revealed.project != project.0 || !right_kind {
                continue;
            }
            found = true;
            for id in revealed.ids {
                let id = id
                    .strip_prefix("$device:")
                    .map(str::to_string)
                    .unwrap_or(id);
                if !identity.identifiers.contains(&id) {
                    identity.identifiers.push(id);
                }
            }
            for (name, value) in revealed.attributes {
                identity.personal_fields.insert(name, Value::String(value));
            }
        }
        Ok(found.then_some(identity))
    }
}

impl App {
    /// Deletes events of a project (single events by `$insert_id`, or a time range).
    pub async fn delete_events(
        &self,
        project: ProjectId,
        deletion: privet_store::Deletion,
    ) -> Result<u64, PrivacyError> {
        let deleted = self.store.delete(project, deletion).await?;
        tracing::info!(project = project.0, deleted, "events deleted on request");
        Ok(deleted)
    }

    /// Applies every project's `retention_days`: deletes events older than that. Returns how many went.
    pub async fn apply_retention(&self) -> Result<u64, PrivacyError> {
        let projects = self
            .control
            .projects()
            .map_err(|e| PrivacyError::Query(e.to_string()))?;
        let mut deleted = 0;
        for project in projects {
            let Some(days) = self.pipeline.policy(project.id).retention_days else {
                continue;
            };
            let cutoff =
                privet_model::time::now_us() - i64::from(days) * privet_model::time::DAY_US;
            let deletion = privet_store::Deletion::TimeRange {
                from_us: i64::MIN,
                to_us: cutoff,
            };
            let n = self.store.delete(project.id, deletion).await?;
            if n > 0 {
                tracing::info!(
                    project = project.id.0,
                    deleted = n,
                    days,
                    "retention deleted old events"
                );
            }
            deleted += n;
        }
        Ok(deleted)
    }
}
