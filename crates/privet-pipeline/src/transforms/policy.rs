//! The property policy: explicit per-property actions from the configuration, applied before the built-in
//! transforms see the property.
//!
//! `keep` (stored as sent, and not scanned), `drop`, `pseudonymize` (a pseudonym in the property's own
//! namespace), `vault` (moved to the identity vault as a field of the event's person), `coarsen` and `redact`.
//! Properties without an action are left to the other transforms and then scanned.

use privet_config::PropertyAction;
use privet_model::{ProjectId, Pseudonym};
use serde_json::Value;

use super::{Prop, Val};
use crate::vault::{IdKind, IdentityVault};

/// What the policy did to an event's properties.
#[derive(Default)]
pub struct Applied<'a> {
    /// Properties that must not be touched again (kept as sent, or already replaced by the policy).
    pub settled: Vec<Prop<'a>>,
    /// Text values moved to the vault (for the scanner).
    pub vaulted: Vec<String>,
}

/// Applies the configured actions to the properties the policy names.
pub fn apply<'a>(
    props: Vec<(Prop<'a>, PropertyAction)>,
    project: ProjectId,
    subject: Option<Pseudonym>,
    vault: &dyn IdentityVault,
) -> Applied<'a> {
    let mut applied = Applied::default();
    for (
        Prop {
            name,
            value,
            fixed_name,
        },
        action,
    ) in props
    {
        let settled = match action {
            PropertyAction::Keep => Some(value),
            PropertyAction::Drop => None,
            PropertyAction::Redact => Some(Val::Json(Value::String("[redacted]".into()))),
            PropertyAction::Coarsen => Some(Val::Json(coarsen(value.into_value()))),
            PropertyAction::Pseudonymize => value.text().map(|text| {
                Val::Json(Value::from(
                    vault.pseudonym(project, IdKind::Property(&name), &text).0,
                ))
            }),
            PropertyAction::Vault => {
                if let (Some(text), Some(subject)) = (value.text(), subject) {
                    vault.store_field(project, subject, &name, &text);
                    applied.vaulted.push(text.into_owned());
                }
                None
            }
        };
        if let Some(value) = settled {
            applied.settled.push(Prop {
                name,
                value,
                fixed_name,
            });
        }
    }
    applied
}

/// Numbers to the lower bound of their power-of-ten bucket (1234 → 1000), dates to their month
/// (2026-11-23 → 2026-11), other text to its first two characters (`75011` → `75*`).
pub fn coarsen(value: Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Value::from(0),
            Some(x) => {
                let bucket = 10f64.powi(x.abs().log10().floor() as i32) * x.signum();
                if bucket.fract() == 0.0 {
                    Value::from(bucket as i64)
                } else {
                    Value::from(bucket)
                }
            }
            None => Value::Null,
        },
        Value::String(s) => {
            let b = s.as_bytes();
            let date = b.len() >= 7
                && b[..4].iter().all(u8::is_ascii_digit)
                && b[4] == b'-'
                && b[5..7].iter().all(u8::is_ascii_digit);
            if date {
                Value::String(s[..7].to_string())
            } else {
                let prefix: String = s.chars().take(2).collect();
                Value::String(format!("{prefix}*"))
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(coarsen).collect()),
        Value::Bool(b) => Value::Bool(b),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use privet_config::PolicyConfig;
    use serde_json::{Map, json};

    use super::*;
    use crate::transforms::{Roles, Sorted};
    use crate::vault::MemoryVault;

    #[test]
    fn every_action_does_what_it_says() {
        let vault = MemoryVault::default();
        let policy = PolicyConfig {
            properties: [
                ("note", PropertyAction::Keep),
                ("debug", PropertyAction::Drop),
                ("comment", PropertyAction::Redact),
                ("spend", PropertyAction::Coarsen),
                ("zip", PropertyAction::Coarsen),
                ("ticket", PropertyAction::Pseudonymize),
                ("employee_no", PropertyAction::Vault),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            ..Default::default()
        };
        let props = json!({
            "note": "call ada@example.com", "debug": "x", "comment": "hi", "spend": 1234.5,
            "zip": "75011", "ticket": "T-9", "employee_no": "E-77", "other": 1
        })
        .as_object()
        .unwrap()
        .clone();
        let subject = Pseudonym(5);
        let sorted = Sorted::profile(&Roles::new(&policy), props);
        let others: Vec<&str> = sorted.other.iter().map(|p| &*p.name).collect();
        assert_eq!(others, vec!["other"]);
        let applied = apply(sorted.policy, ProjectId(1), Some(subject), &vault);
        let settled: Map<String, Value> = applied
            .settled
            .into_iter()
            .map(|p| (p.name.into_owned(), p.value.into_value()))
            .collect();
        assert_eq!(settled["note"], "call ada@example.com");
        assert_eq!(settled["comment"], "[redacted]");
        assert_eq!(settled["spend"], 1000);
        assert_eq!(settled["zip"], "75*");
        assert!(settled["ticket"].is_i64());
        assert!(!settled.contains_key("debug") && !settled.contains_key("employee_no"));
        assert_eq!(applied.vaulted, vec!["E-77"]);
        assert_eq!(
            vault.fields(subject),
            vec![("employee_no".into(), "E-77".into())]
        );
        assert_eq!(coarsen(json!("2026-11-23T10:00:00Z")), json!("2026-11"));
        assert_eq!(coarsen(json!(-0.042)), json!(-0.01));
    }
}
