//! API keys: a secret with a role and an optional project scope, stored as a hash.

use std::time::Instant;

use privet_model::ProjectId;
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use crate::control::Control;
use crate::role::Role;
use crate::{AuthError, Result, secret};

/// The public id of a key (`key_…`), safe to show and log.
pub type KeyId = String;

/// An API key's metadata (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: KeyId,
    pub role: Role,
    /// The project the key is limited to; `None` means every project (admin keys only).
    pub project: Option<ProjectId>,
    pub label: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl ApiKey {
    /// Whether the key may act on `project`.
    pub fn covers(&self, project: ProjectId) -> bool {
        self.project.is_none_or(|p| p == project)
    }

    fn from_row(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
        let role: String = row.get(1)?;
        Ok(ApiKey {
            id: row.get(0)?,
            role: role.parse().unwrap_or(Role::Ingest),
            project: row.get::<_, Option<i64>>(2)?.map(ProjectId),
            label: row.get(3)?,
            created_at: row.get(4)?,
            revoked_at: row.get(5)?,
        })
    }
}

const COLUMNS: &str = "id, role, project_id, label, created_at, revoked_at";

impl Control {
    /// Creates a key and returns it with its secret (shown once; only its hash is stored).
    pub fn create_key(
        &self,
        role: Role,
        project: Option<ProjectId>,
        label: Option<&str>,
    ) -> Result<(ApiKey, String)> {
        let secret = secret::new_key_secret();
        let key = ApiKey {
            id: secret::new_key_id(),
            role,
            project,
            label: label.map(str::to_string),
            created_at: Self::now(),
            revoked_at: None,
        };
        self.conn.lock().execute(
            "INSERT INTO api_keys (id, secret_hash, role, project_id, label, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                key.id,
                secret::hash(&secret),
                role.as_str(),
                project.map(|p| p.0),
                key.label,
                key.created_at
            ],
        )?;
        Ok((key, secret))
    }

    /// All keys, newest first, revoked ones included.
    pub fn keys(&self) -> Result<Vec<ApiKey>> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at DESC, id"
        ))?;
        let rows = stmt.query_map([], ApiKey::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes a key; it stops working at once in this process (and within seconds in a running server).
    pub fn revoke_key(&self, id: &str) -> Result<()> {
        let changed = self.conn.lock().execute(
            "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            params![Self::now(), id],
        )?;
        self.key_cache.lock().clear();
        if changed == 0 {
            let exists: Option<String> = self
                .conn
                .lock()
                .query_row("SELECT id FROM api_keys WHERE id = ?1", params![id], |r| {
                    r.get(0)
                })
                .optional()?;
            if exists.is_none() {
                return Err(AuthError::NoSuchKey(id.to_string()));
            }
        }
        Ok(())
    }

    /// The live (not revoked) key with this secret, if any.
    pub fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>> {
        let hash = secret::hash(secret);
        if let Some((key, at)) = self.key_cache.lock().get(&hash)
            && Self::fresh(*at)
        {
            return Ok(Some(key.clone()));
        }
        let found = self
            .conn
            .lock()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM api_keys WHERE secret_hash = ?1 AND revoked_at IS NULL"
                ),
                params![hash],
                ApiKey::from_row,
            )
            .optional()?;
        match &found {
            Some(key) => {
                self.key_cache
                    .lock()
                    .insert(hash, (key.clone(), Instant::now()));
            }
            None => {
                self.key_cache.lock().remove(&hash);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_authenticate_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let control = Control::open(dir.path()).unwrap();
        let (project, _) = control.create_project("default").unwrap();
        let (key, secret) = control
            .create_key(Role::Analyst, Some(project.id), Some("notebook"))
            .unwrap();
        let found = control.authenticate(&secret).unwrap().unwrap();
        assert_eq!(found.id, key.id);
        assert!(found.covers(project.id));
        assert!(!found.covers(ProjectId(project.id.0 + 1)));
        assert_eq!(control.authenticate("pvt_wrong").unwrap(), None);

        assert_eq!(control.keys().unwrap().len(), 1);
        control.revoke_key(&key.id).unwrap();
        assert_eq!(control.authenticate(&secret).unwrap(), None);
        assert!(control.keys().unwrap()[0].revoked_at.is_some());
        assert!(matches!(
            control.revoke_key("key_missing"),
            Err(AuthError::NoSuchKey(_))
        ));
    }

    #[test]
    fn revocation_seen_by_another_handle() {
        let dir = tempfile::tempdir().unwrap();
        let server = Control::open(dir.path()).unwrap();
        let cli = Control::open(dir.path()).unwrap();
        let (key, secret) = cli.create_key(Role::Admin, None, None).unwrap();
        assert!(server.authenticate(&secret).unwrap().is_some());
        cli.revoke_key(&key.id).unwrap();
        server.key_cache.lock().clear(); // what the TTL does after two seconds
        assert!(server.authenticate(&secret).unwrap().is_none());
    }
}
