//! Known personal fields: names, email addresses, phone numbers and avatars never reach the store.
//!
//! With the default policy they move to the identity vault, encrypted, as fields of the event's person (or of
//! the profile's person or organisation); with `personal_fields = "drop"` they are discarded. Either way the
//! values are remembered for the rest of the event, so the free-text scanner can find them elsewhere in it.

use std::sync::LazyLock;

use hashbrown::HashSet;
use privet_config::{PersonalFieldAction, PolicyConfig};
use privet_model::{ProjectId, Pseudonym};

use super::Prop;
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

/// The longest name in [`PERSONAL_FIELDS`].
const LONGEST: usize = 13;

/// [`PERSONAL_FIELDS`] as a set (every name in it is lower-case).
static PERSONAL: LazyLock<HashSet<&'static [u8]>> =
    LazyLock::new(|| PERSONAL_FIELDS.iter().map(|f| f.as_bytes()).collect());

/// Whether a property name is a known personal field (ignoring case). Asked of every property name no other
/// rule claims, so it lower-cases into a buffer on the stack and looks the name up once.
pub fn is_personal(key: &str) -> bool {
    if key.len() > LONGEST {
        return false;
    }
    let mut buffer = [0u8; LONGEST];
    let lower = &mut buffer[..key.len()];
    lower.copy_from_slice(key.as_bytes());
    lower.make_ascii_lowercase();
    PERSONAL.contains(&*lower)
}

/// Vaults the personal fields for `subject` when the policy says so (otherwise they are dropped), and returns
/// their text values (for the scanner).
pub fn apply(
    props: Vec<Prop<'_>>,
    project: ProjectId,
    subject: Option<Pseudonym>,
    policy: &PolicyConfig,
    vault: &dyn IdentityVault,
) -> Vec<String> {
    let mut values = Vec::new();
    for prop in props {
        let Some(text) = prop.value.text() else {
            continue;
        };
        if policy.personal_fields == PersonalFieldAction::Vault
            && let Some(subject) = subject
        {
            vault.store_field(project, subject, &prop.name, &text);
        }
        values.push(text.into_owned());
    }
    values
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::transforms::{Roles, Sorted};
    use crate::vault::MemoryVault;

    /// Sorts `props` as a profile's, applies the transform, and returns what is left besides.
    fn run(
        props: Value,
        subject: Pseudonym,
        policy: &PolicyConfig,
        vault: &MemoryVault,
    ) -> (Vec<String>, Map<String, Value>) {
        let props = props.as_object().unwrap().clone();
        let sorted = Sorted::profile(&Roles::new(policy), props);
        let found = apply(sorted.personal, ProjectId(1), Some(subject), policy, vault);
        let rest = sorted
            .other
            .into_iter()
            .map(|p| (p.name.into_owned(), p.value.into_value()))
            .collect();
        (found, rest)
    }

    #[test]
    fn personal_names_match_ignoring_case() {
        for name in PERSONAL_FIELDS {
            assert!(
                name.len() <= LONGEST && *name == name.to_lowercase(),
                "{name}"
            );
            assert!(
                is_personal(name) && is_personal(&name.to_uppercase()),
                "{name}"
            );
        }
        assert!(is_personal("Email_Address"));
        for name in ["emails", "plan", "", "date_of_birth_x", "naMe "] {
            assert!(!is_personal(name), "{name}");
        }
    }

    #[test]
    fn personal_fields_go_to_the_vault_or_nowhere() {
        let vault = MemoryVault::default();
        let subject = Pseudonym(42);
        let (found, props) = run(
            json!({"$email": "ada@example.com", "Name": "Ada", "plan": "pro", "$avatar": null}),
            subject,
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
        let (_, props) = run(
            json!({"$phone": "+44 20 7946 0958"}),
            Pseudonym(7),
            &dropping,
            &vault,
        );
        assert!(props.is_empty());
        assert!(vault.fields(Pseudonym(7)).is_empty());
    }
}
