//! Known personal fields: names, email addresses, phone numbers and avatars never reach the store.
//!
//! With the default policy they move to the identity vault, encrypted, as fields of the event's person (or of
//! the profile's person or organisation); with `personal_fields = "drop"` they are discarded. Either way the
//! values are remembered for the rest of the event, so the free-text scanner can find them elsewhere in it.

use privet_config::{PersonalFieldAction, PolicyConfig};
use privet_model::{ProjectId, Pseudonym};
use serde_json::{Map, Value};

use super::value_text;
use crate::vault::IdentityVault;

/// Property names (compared case-insensitively) that hold personal data.
pub const PERSONAL_FIELDS: &[&str] = &[
    "$email",
    "email",
    "email_address",
    "$name",
    "name",
    "$first_name",
    "first_name",
    "firstname",
    "$last_name",
    "last_name",
    "lastname",
    "full_name",
    "fullname",
    "display_name",
    "username",
    "$username",
    "$phone",
    "phone",
    "phone_number",
    "mobile",
    "$avatar",
    "avatar",
    "avatar_url",
    "address",
    "street",
    "postal_code",
    "zip",
    "birthday",
    "date_of_birth",
];

/// Whether a property name is a known personal field.
pub fn is_personal(key: &str) -> bool {
    PERSONAL_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(key))
}

/// Takes the personal fields out of `props`, vaulting them for `subject` when the policy says so, and returns
/// their text values (for the scanner).
pub fn apply(
    props: &mut Map<String, Value>,
    project: ProjectId,
    subject: Option<Pseudonym>,
    policy: &PolicyConfig,
    vault: &dyn IdentityVault,
) -> Vec<String> {
    let keys: Vec<String> = props.keys().filter(|k| is_personal(k)).cloned().collect();
    let mut values = Vec::new();
    for key in keys {
        let Some(value) = props.remove(&key) else {
            continue;
        };
        let Some(text) = value_text(value) else {
            continue;
        };
        if policy.personal_fields == PersonalFieldAction::Vault
            && let Some(subject) = subject
        {
            vault.store_field(project, subject, &key, &text);
        }
        values.push(text);
    }
    values
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::vault::MemoryVault;

    #[test]
    fn personal_fields_go_to_the_vault_or_nowhere() {
        let vault = MemoryVault::default();
        let mut props =
            json!({"$email": "ada@example.com", "Name": "Ada", "plan": "pro", "$avatar": null})
                .as_object()
                .unwrap()
                .clone();
        let subject = Pseudonym(42);
        let found = apply(
            &mut props,
            ProjectId(1),
            Some(subject),
            &PolicyConfig::default(),
            &vault,
        );
        assert_eq!(props, *json!({"plan": "pro"}).as_object().unwrap());
        assert_eq!(found, vec!["ada@example.com", "Ada"]);
        assert_eq!(vault.fields(subject).len(), 2);

        let dropping = PolicyConfig {
            personal_fields: PersonalFieldAction::Drop,
            ..Default::default()
        };
        let mut props = json!({"$phone": "+44 20 7946 0958"})
            .as_object()
            .unwrap()
            .clone();
        apply(
            &mut props,
            ProjectId(1),
            Some(Pseudonym(7)),
            &dropping,
            &vault,
        );
        assert!(props.is_empty());
        assert!(vault.fields(Pseudonym(7)).is_empty());
    }
}
