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
use privet_model::{EventIdentity, IdentityOp, JsonKind, ProjectId, Pseudonym};
use serde_json::Value;

use super::{Field, Groups, Prop, Sorted, Val, Working, json_text};
use crate::vault::{IdKind, IdentityVault};

const DEVICE_PREFIX: &str = "$device:";

thread_local! {
    /// The buffer a device id is spelled into with its prefix.
    static DEVICE_ID: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The properties this transform consumes.
pub const FIELDS: &[(&str, Field)] = &[
    ("distinct_id", Field::DistinctId),
    ("$distinct_id", Field::DollarDistinctId),
    ("$device_id", Field::DeviceId),
    ("$user_id", Field::UserId),
    ("$identified_id", Field::IdentifiedId),
    ("$anon_distinct_id", Field::AnonDistinctId),
    ("alias", Field::Alias),
    ("$distinct_ids", Field::DistinctIds),
];

/// Applies the identity transform to an event.
pub fn apply(w: &mut Working, project: ProjectId, config: &PolicyConfig, p: &dyn IdentityVault) {
    let distinct = w
        .take_text(Field::DistinctId)
        .or_else(|| w.take_text(Field::DollarDistinctId));
    let device = w.take_text(Field::DeviceId);
    let user = w.take_text(Field::UserId);
    w.identity = person_ids(
        project,
        p,
        distinct.as_deref(),
        device.as_deref(),
        user.as_deref(),
    );

    let person = |value: Option<&str>| -> Option<Pseudonym> {
        real_id(value?).map(|id| p.pseudonym(project, IdKind::Person, id))
    };
    // These names mean something only on their own events; elsewhere they are ordinary properties.
    if w.name != "$identify" {
        w.restore(Field::IdentifiedId, "$identified_id");
        w.restore(Field::AnonDistinctId, "$anon_distinct_id");
    }
    if w.name != "$create_alias" {
        w.restore(Field::Alias, "alias");
    }
    if w.name != "$merge" {
        w.restore(Field::DistinctIds, "$distinct_ids");
    }
    match w.name.as_str() {
        "$identify" => {
            let identified = person(w.take_text(Field::IdentifiedId).as_deref());
            let anon = person(w.take_text(Field::AnonDistinctId).as_deref());
            if let (Some(anon), Some(identified)) = (anon, identified) {
                w.identity_op = Some(IdentityOp::Identify { anon, identified });
            }
        }
        "$create_alias" => {
            let alias = person(w.take_text(Field::Alias).as_deref());
            if let (Some(alias), Some(original)) = (alias, w.identity.distinct) {
                w.identity_op = Some(IdentityOp::Alias { alias, original });
            }
            w.store = false;
        }
        "$merge" => {
            let ids: Vec<Pseudonym> = match w.take(Field::DistinctIds) {
                Some(list) if list.kind() == JsonKind::Array => match list.to_value() {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|v| person(json_text(v).as_deref()))
                        .collect(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            if ids.len() >= 2 {
                w.identity_op = Some(IdentityOp::Merge { ids });
            }
            w.store = false;
        }
        _ => {}
    }
    w.groups = pseudonymize_properties(&mut w.sorted, project, config, p);
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
    let device_id = device_id.and_then(real_id);
    // Spelled in a reused buffer: one allocation fewer per event.
    let device = device_id.map(|d| {
        DEVICE_ID.with_borrow_mut(|id| {
            id.clear();
            id.push_str(DEVICE_PREFIX);
            id.push_str(d);
            pseudo(id)
        })
    });
    let distinct_id = distinct_id.and_then(real_id);
    let distinct = distinct_id.and_then(|d| match d.strip_prefix(DEVICE_PREFIX) {
        // "$device:undefined" is as missing as "undefined".
        Some(inner) => real_id(inner).map(|_| match device {
            // An anonymous device's events name it twice: as `$device:<id>` and as `$device_id`.
            Some(device) if device_id == Some(inner) => device,
            _ => pseudo(d),
        }),
        None => Some(pseudo(d)),
    });
    // After sign-in, `distinct_id` and `$user_id` are usually the same id: one lookup serves both.
    let user = user_id.and_then(real_id).map(|u| match distinct {
        Some(distinct) if distinct_id == Some(u) => distinct,
        _ => pseudo(u),
    });
    EventIdentity {
        distinct,
        device,
        user,
    }
}

/// Replaces the values of group keys and identifier properties by pseudonyms (JSON numbers); they join the
/// ordinary properties, or the policy's list when it names them too. Returns the organisations' pseudonyms.
pub fn pseudonymize_properties(
    sorted: &mut Sorted<'_>,
    project: ProjectId,
    config: &PolicyConfig,
    p: &dyn IdentityVault,
) -> Groups {
    let mut groups = Groups::new();
    for (prop, group, then) in std::mem::take(&mut sorted.ids) {
        let value = match group {
            Some(index) => {
                let key = &config.group_keys[index];
                let value = pseudonymize(prop.value, |id| {
                    p.pseudonym(project, IdKind::Group(key), id)
                });
                collect_ids(&value, &mut groups);
                value
            }
            None => pseudonymize(prop.value, |id| p.pseudonym(project, IdKind::Person, id)),
        };
        // A group key or identifier property is a configured name.
        let prop = Prop {
            name: prop.name,
            value: Val::Json(value),
            fixed_name: true,
        };
        match then {
            Some(action) => sorted.policy.push((prop, action)),
            None => sorted.other.push(prop),
        }
    }
    groups
}

fn collect_ids(value: &Value, out: &mut Groups) {
    match value {
        Value::Array(items) => out.extend(items.iter().filter_map(Value::as_i64).map(Pseudonym)),
        other => out.extend(other.as_i64().map(Pseudonym)),
    }
}

/// An id's pseudonym (a list of ids: a list of pseudonyms); null for a placeholder.
fn pseudonymize(value: Val<'_>, pseudo: impl Fn(&str) -> Pseudonym + Copy) -> Value {
    match value {
        Val::Raw(raw) if raw.kind() != JsonKind::Array => raw
            .text_value()
            .as_deref()
            .and_then(real_id)
            .map_or(Value::Null, |id| Value::from(pseudo(id).0)),
        other => pseudonymize_value(other.into_value(), pseudo),
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
        other => json_text(&other)
            .as_deref()
            .and_then(real_id)
            .map_or(Value::Null, |id| Value::from(pseudo(id).0)),
    }
}
