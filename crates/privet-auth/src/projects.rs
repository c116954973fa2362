//! Projects: the unit of tenancy. Each has a name and a public ingestion token (stored as a hash).

use std::time::Instant;

use privet_model::ProjectId;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::control::Control;
use crate::{AuthError, Result, secret};

/// A project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub created_at: String,
}

fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_')
}

impl Control {
    /// Creates a project and returns it with its ingestion token (shown once; only its hash is stored).
    pub fn create_project(&self, name: &str) -> Result<(Project, String)> {
        if !valid_name(name) {
            return Err(AuthError::BadProjectName(name.to_string()));
        }
        let token = secret::new_token();
        let created_at = Self::now();
        let conn = self.conn.lock();
        let inserted = conn.execute(
            "INSERT INTO projects (name, token_hash, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO NOTHING",
            params![name, secret::hash(&token), created_at],
        )?;
        if inserted == 0 {
            return Err(AuthError::ProjectExists(name.to_string()));
        }
        let id = ProjectId(conn.last_insert_rowid());
        Ok((
            Project {
                id,
                name: name.to_string(),
                created_at,
            },
            token,
        ))
    }

    /// All projects, oldest first.
    pub fn projects(&self) -> Result<Vec<Project>> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare("SELECT id, name, created_at FROM projects ORDER BY id")?;
        let rows = stmt.query_map([], |row| {
            Ok(Project {
                id: ProjectId(row.get(0)?),
                name: row.get(1)?,
                created_at: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The project with this name.
    pub fn project_by_name(&self, name: &str) -> Result<Project> {
        self.projects()?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| AuthError::NoSuchProject(name.to_string()))
    }

    /// The project with this id, if it exists.
    pub fn project_by_id(&self, id: ProjectId) -> Result<Option<Project>> {
        Ok(self.projects()?.into_iter().find(|p| p.id == id))
    }

    /// The project an ingestion token belongs to, if any.
    pub fn project_by_token(&self, token: &str) -> Result<Option<Project>> {
        let hash = secret::hash(token);
        if let Some((project, at)) = self.token_cache.lock().get(&hash)
            && Self::fresh(*at)
        {
            return Ok(Some(project.clone()));
        }
        let found = self
            .conn
            .lock()
            .query_row(
                "SELECT id, name, created_at FROM projects WHERE token_hash = ?1",
                params![hash],
                |row| {
                    Ok(Project {
                        id: ProjectId(row.get(0)?),
                        name: row.get(1)?,
                        created_at: row.get(2)?,
                    })
                },
            )
            .optional()?;
        if let Some(project) = &found {
            self.token_cache
                .lock()
                .insert(hash, (project.clone(), Instant::now()));
        }
        Ok(found)
    }

    /// Replaces a project's ingestion token (when it leaked) and returns the new one.
    pub fn rotate_token(&self, name: &str) -> Result<String> {
        let token = secret::new_token();
        let changed = self.conn.lock().execute(
            "UPDATE projects SET token_hash = ?1 WHERE name = ?2",
            params![secret::hash(&token), name],
        )?;
        if changed == 0 {
            return Err(AuthError::NoSuchProject(name.to_string()));
        }
        self.token_cache.lock().clear();
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_find_and_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let control = Control::open(dir.path()).unwrap();
        let (project, token) = control.create_project("web-app").unwrap();
        assert_eq!(
            control.project_by_token(&token).unwrap(),
            Some(project.clone())
        );
        assert_eq!(control.project_by_token("nope").unwrap(), None);
        assert!(matches!(
            control.create_project("web-app"),
            Err(AuthError::ProjectExists(_))
        ));
        assert!(matches!(
            control.create_project("Bad Name"),
            Err(AuthError::BadProjectName(_))
        ));
        let new_token = control.rotate_token("web-app").unwrap();
        assert_eq!(control.project_by_token(&token).unwrap(), None);
        assert_eq!(control.project_by_token(&new_token).unwrap(), Some(project));
        // Only the hash is stored.
        let raw = std::fs::read(control.path()).unwrap_or_default();
        let wal = std::fs::read(control.path().with_extension("sqlite-wal")).unwrap_or_default();
        for bytes in [raw, wal] {
            assert!(!bytes.windows(32).any(|w| w == new_token.as_bytes()));
        }
    }
}
