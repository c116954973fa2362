//! Identity: every identifier an event carries becomes a pseudonym.
//!
//! * `distinct_id`, `$device_id`, `$user_id` → the event's [`EventIdentity`];
//! * `$identify`, `$create_alias` and `$merge` → an [`IdentityOp`] (the last two are not stored as events);
//! * group keys (`company_id`, …) and configured identifier properties → pseudonyms, as numbers, in place.
//!
//! A device id is pseudonymised as `$device:<id>`, which is what Mixpanel SDKs send as `distinct_id` for an
//! anonymous device, so both spellings name the same pseudonym. Placeholder ids (`undefined`, `0`, …) are missing.

use privet_config::PolicyConfig;
use privet_model::ids::real_id;
use privet_model::{EventIdentity, IdentityOp, ProjectId, Pseudonym};
use serde_json::{Map, Value};

use super::{Working, value_text};
use crate::vault::{IdKind, IdentityVault};

const DEVICE_PREFIX: &str = "$device:";

/// Applies the identity transform to an event.
pub fn apply(w: &mut Working, project: ProjectId, config: &PolicyConfig, p: &dyn IdentityVault) {
    let distinct = w
        .take_text("distinct_id")
        .or_else(|| w.take_text("$distinct_id"));
    let device = w.take_text("$device_id");
    let user = w.take_text("$user_id");
    w.identity = person_ids(
        project,
        p,
        distinct.as_deref(),
        device.as_deref(),
        user.as_deref(),
    );

    let person = |value: Option<String>| -> Option<Pseudonym> {
        real_id(value.as_deref()?).map(|id| p.pseudonym(project, IdKind::Person, id))
    };
    match w.name.as_str() {
        "$identify" => {
            let identified = person(w.take_text("$identified_id"));
            let anon = person(w.take_text("$anon_distinct_id"));
            if let (Some(anon), Some(identified)) = (anon, identified) {
                w.identity_op = Some(IdentityOp::Identify { anon, identified });
            }
        }
        "$create_alias" => {
            let alias = person(w.take_text("alias"));
            if let (Some(alias), Some(original)) = (alias, w.identity.distinct) {
                w.identity_op = Some(IdentityOp::Alias { alias, original });
            }
            w.store = false;
        }
        "$merge" => {
            let ids: Vec<Pseudonym> = match w.props.remove("$distinct_ids") {
                Some(Value::Array(items)) => items
                    .into_iter()
                    .filter_map(|v| person(value_text(v)))
                    .collect(),
                _ => Vec::new(),
            };
            if ids.len() >= 2 {
                w.identity_op = Some(IdentityOp::Merge { ids });
            }
            w.store = false;
        }
        _ => {}
    }
    pseudonymize_properties(&mut w.props, project, config, p);
}

/// The pseudonymous ids of a person named by any of Mixpanel's three ids.
pub fn person_ids(
    project: ProjectId,
    p: &dyn IdentityVault,
    distinct_id: Option<&str>,
    device_id: Option<&str>,
    user_id: Option<&str>,
) -> EventIdentity {
    let pseudo = |id: &str| p.pseudonym(project, IdKind::Person, id);
    let device = device_id
        .and_then(real_id)
        .map(|d| pseudo(&format!("{DEVICE_PREFIX}{d}")));
    let distinct =
        distinct_id
            .and_then(real_id)
            .and_then(|d| match d.strip_prefix(DEVICE_PREFIX) {
                // "$device:undefined" is as missing as "undefined".
                Some(inner) => real_id(inner).map(|_| pseudo(d)),
                None => Some(pseudo(d)),
            });
    let user = user_id.and_then(real_id).map(pseudo);
    EventIdentity {
        distinct,
        device,
        user,
    }
}

/// Replaces the values of group keys and identifier properties by pseudonyms (JSON numbers).
pub fn pseudonymize_properties(
    props: &mut Map<String, Value>,
    project: ProjectId,
    config: &PolicyConfig,
    p: &dyn IdentityVault,
) {
    for key in &config.group_keys {
        if let Some(value) = props.get_mut(key) {
            *value = pseudonymize_value(value.take(), |id| {
                p.pseudonym(project, IdKind::Group(key), id)
            });
        }
    }
    for key in &config.identifier_properties {
        if let Some(value) = props.get_mut(key) {
            *value =
                pseudonymize_value(value.take(), |id| p.pseudonym(project, IdKind::Person, id));
        }
    }
}

fn pseudonymize_value(value: Value, pseudo: impl Fn(&str) -> Pseudonym + Copy) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| pseudonymize_value(v, pseudo))
                .filter(|v| !v.is_null())
                .collect(),
        ),
        other => value_text(other)
            .as_deref()
            .and_then(real_id)
            .map_or(Value::Null, |id| Value::from(pseudo(id).0)),
    }
}
