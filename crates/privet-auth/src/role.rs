//! Roles and what each may do. API keys and dashboard users share them.

use serde::{Deserialize, Serialize};

/// The role of an API key or a dashboard user.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Manages users, keys and projects; may do everything (and is audited like everyone else).
    Admin,
    /// Reads pseudonymous analytics; never sees who anyone is.
    Analyst,
    /// Reveals identities from the vault, runs breach response and data-subject requests (erasure, export),
    /// giving a reason each time; reads analytics.
    PrivacyOfficer,
    /// Sends events (server-side `/import` and `/v1/events`). Keys only.
    Ingest,
}

/// Something a caller may be allowed to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Send events and profile updates with a secret (not just the public project token).
    Ingest,
    /// Run queries over pseudonymous analytics.
    Query,
    /// Decrypt a person's or an organisation's identity from the vault.
    Reveal,
    /// Data-subject requests: erase, anonymise or export a person; delete events.
    DataSubject,
    /// Incidents, breach assessment, notices and the authority report.
    Breach,
    /// Read the audit log.
    Audit,
    /// Create projects, keys and users; change settings.
    Manage,
}

impl Permission {
    /// Whether using this permission must carry a reason, which the audit log records (revealing an identity,
    /// a data-subject request).
    pub fn needs_reason(self) -> bool {
        matches!(self, Permission::Reveal | Permission::DataSubject)
    }
}

impl Role {
    /// All roles, for help texts.
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Analyst,
        Role::PrivacyOfficer,
        Role::Ingest,
    ];

    /// The roles a dashboard user can have (`ingest` is for machines).
    pub const USER: [Role; 3] = [Role::Admin, Role::Analyst, Role::PrivacyOfficer];

    /// The role's name as typed on the command line and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::PrivacyOfficer => "privacy-officer",
            Role::Ingest => "ingest",
        }
    }

    /// Whether this role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Admin => true,
            Role::Analyst => permission == P::Query,
            Role::PrivacyOfficer => matches!(
                permission,
                P::Query | P::Reveal | P::DataSubject | P::Breach | P::Audit
            ),
            Role::Ingest => permission == P::Ingest,
        }
    }

    /// The roles that grant `permission`, for error messages ("use a privacy-officer or admin key").
    pub fn granting(permission: Permission) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| r.allows(permission))
            .collect()
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
            .ok_or_else(|| {
                format!("unknown role `{s}`; use one of: admin, analyst, privacy-officer, ingest")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_privilege() {
        assert!(Role::Admin.allows(Permission::Manage));
        assert!(Role::Analyst.allows(Permission::Query));
        for p in [
            Permission::Ingest,
            Permission::Manage,
            Permission::Reveal,
            Permission::DataSubject,
            Permission::Breach,
            Permission::Audit,
        ] {
            assert!(!Role::Analyst.allows(p), "{p:?}");
        }
        assert!(Role::Ingest.allows(Permission::Ingest));
        assert!(!Role::Ingest.allows(Permission::Query));
        assert!(Role::PrivacyOfficer.allows(Permission::Reveal));
        assert!(Role::PrivacyOfficer.allows(Permission::Breach));
        assert!(Role::PrivacyOfficer.allows(Permission::Query));
        assert!(!Role::PrivacyOfficer.allows(Permission::Manage));
        assert!(!Role::PrivacyOfficer.allows(Permission::Ingest));
        assert_eq!(
            Role::granting(Permission::Reveal),
            vec![Role::Admin, Role::PrivacyOfficer]
        );
    }

    #[test]
    fn parses_names() {
        assert_eq!("analyst".parse::<Role>(), Ok(Role::Analyst));
        assert_eq!("privacy-officer".parse::<Role>(), Ok(Role::PrivacyOfficer));
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .contains("admin, analyst, privacy-officer, ingest")
        );
    }
}
