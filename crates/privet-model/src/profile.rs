//! Profile updates: Mixpanel's `/engage` (people) and `/groups` (organisations) operations.

use serde::{Deserialize, Serialize};

use serde_json::Value;

use crate::identity::{EventIdentity, Pseudonym};

/// The profile operations Mixpanel defines.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProfileOpKind {
    /// `$set`: overwrite properties.
    Set,
    /// `$set_once`: set properties that are not set yet.
    SetOnce,
    /// `$add`: add numbers to numeric properties.
    Add,
    /// `$append`: append a value to list properties.
    Append,
    /// `$union`: merge lists into list properties, without duplicates.
    Union,
    /// `$remove`: remove a value from list properties.
    Remove,
    /// `$unset`: remove properties.
    Unset,
    /// `$delete`: delete the profile.
    Delete,
}

impl ProfileOpKind {
    /// The operation's name on the wire.
    pub fn wire_name(self) -> &'static str {
        match self {
            ProfileOpKind::Set => "$set",
            ProfileOpKind::SetOnce => "$set_once",
            ProfileOpKind::Add => "$add",
            ProfileOpKind::Append => "$append",
            ProfileOpKind::Union => "$union",
            ProfileOpKind::Remove => "$remove",
            ProfileOpKind::Unset => "$unset",
            ProfileOpKind::Delete => "$delete",
        }
    }

    /// Looks an operation up by its wire name.
    pub fn from_wire_name(name: &str) -> Option<Self> {
        Some(match name {
            "$set" => ProfileOpKind::Set,
            "$set_once" => ProfileOpKind::SetOnce,
            "$add" => ProfileOpKind::Add,
            "$append" => ProfileOpKind::Append,
            "$union" => ProfileOpKind::Union,
            "$remove" => ProfileOpKind::Remove,
            "$unset" => ProfileOpKind::Unset,
            "$delete" => ProfileOpKind::Delete,
            _ => return None,
        })
    }
}

/// One operation with its (already minimised) argument, as JSON text: an object for `$set`-like operations, an
/// array of names for `$unset`, `null` for `$delete`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileOp {
    pub kind: ProfileOpKind,
    pub payload: String,
}

/// Whose profile an update applies to, before the store resolves people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ProfileTarget {
    /// A person, named by their pseudonymous ids (`$distinct_id`, `$device_id`, `$user_id`).
    Person(EventIdentity),
    /// An organisation (group): the group key (a property name such as `company_id`) and the pseudonymous id.
    Group { key: String, id: Pseudonym },
}

/// A minimised profile update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileUpdate {
    pub target: ProfileTarget,
    pub time_us: i64,
    pub ops: Vec<ProfileOp>,
}

/// Whose profile a raw (not yet minimised) update names.
#[derive(Clone, Debug, PartialEq)]
pub enum RawProfileTarget {
    /// A person: `$distinct_id` and/or the simplified-merge ids `$device_id` and `$user_id`.
    Person {
        distinct_id: Option<String>,
        device_id: Option<String>,
        user_id: Option<String>,
    },
    /// A group: `$group_key` and `$group_id`.
    Group { key: String, id: String },
}

/// A profile update as decoded from the wire, before minimisation. Lives only in memory; never log it.
#[derive(Clone, Debug, PartialEq)]
pub struct RawProfileUpdate {
    pub target: RawProfileTarget,
    pub time_us: i64,
    /// The operations, in the order they appeared, with their raw arguments.
    pub ops: Vec<(ProfileOpKind, Value)>,
}
