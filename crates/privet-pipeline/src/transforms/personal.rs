//! Known personal fields: names, email addresses, phone numbers and avatars never reach the store.
//!
//! Until the identity vault exists they are dropped; the vault will keep them encrypted instead.

use serde_json::{Map, Value};

/// Property names (compared case-insensitively) that hold personal data.
pub const PERSONAL_FIELDS: &[&str] = &[
    "$email",
    "email",
    "$name",
    "$first_name",
    "first_name",
    "$last_name",
    "last_name",
    "full_name",
    "$phone",
    "phone",
    "phone_number",
    "$avatar",
    "avatar",
    "$city",
];

/// Removes the personal fields from a property map.
pub fn apply(props: &mut Map<String, Value>) {
    props.retain(|key, _| !PERSONAL_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(key)));
}
