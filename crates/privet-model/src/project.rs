//! Project identity: every event, profile and key belongs to exactly one project.

use serde::{Deserialize, Serialize};

/// The numeric id of a project (assigned by `privet-auth` when the project is created).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProjectId(pub i64);

impl std::fmt::Display for ProjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
