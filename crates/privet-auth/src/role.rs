//! Roles and what each may do.

use serde::{Deserialize, Serialize};

/// The role of an API key (and, later, of a dashboard user).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Manages projects, keys and users; may do everything.
    Admin,
    /// Reads pseudonymous analytics.
    Analyst,
    /// Sends events (server-side `/import` and `/v1/events`).
    Ingest,
}

/// Something a caller may be allowed to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Send events and profile updates with a secret (not just the public project token).
    Ingest,
    /// Run queries over pseudonymous analytics.
    Query,
    /// Create projects and keys.
    Manage,
}

impl Role {
    /// All roles, for help texts.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Analyst, Role::Ingest];

    /// The role's name as typed on the command line and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Ingest => "ingest",
        }
    }

    /// Whether this role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Analyst => permission == Permission::Query,
            Role::Ingest => permission == Permission::Ingest,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}`; use one of: admin, analyst, ingest"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_privilege() {
        assert!(Role::Admin.allows(Permission::Manage));
        assert!(Role::Analyst.allows(Permission::Query));
        assert!(!Role::Analyst.allows(Permission::Ingest));
        assert!(!Role::Analyst.allows(Permission::Manage));
        assert!(Role::Ingest.allows(Permission::Ingest));
        assert!(!Role::Ingest.allows(Permission::Query));
    }

    #[test]
    fn parses_names() {
        assert_eq!("analyst".parse::<Role>(), Ok(Role::Analyst));
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .contains("admin, analyst, ingest")
        );
    }
}
