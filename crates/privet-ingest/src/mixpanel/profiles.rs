//! Profile update records: `/engage` (people) and `/groups` (organisations).
//!
//! ```json
//! {"$token": "…", "$distinct_id": "…", "$set": {"plan": "pro"}}
//! {"$token": "…", "$group_key": "company_id", "$group_id": "…", "$union": {"features": ["sso"]}}
//! ```

use serde_json::Value;

use crate::error::RecordError;
use crate::limits::Limits;
use privet_model::{ProfileOpKind, RawProfileTarget, RawProfileUpdate};

/// Which endpoint the records came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    People,
    Groups,
}

/// A decoded profile update with the token it carried.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenedUpdate {
    pub index: usize,
    pub token: Option<String>,
    pub update: RawProfileUpdate,
}

/// Keys of a profile record that are not operations.
const META_KEYS: &[&str] = &[
    "$token",
    "$distinct_id",
    "$device_id",
    "$user_id",
    "$group_key",
    "$group_id",
    "$time",
    "$ip",
    "$ignore_time",
    "$ignore_alias",
    "$latitude",
    "$longitude",
    "$mp_lib",
    "$lib_version",
];

/// Decodes profile records.
pub fn decode(
    items: Vec<Value>,
    kind: Kind,
    strict: bool,
    limits: &Limits,
    now_us: i64,
) -> (Vec<TokenedUpdate>, Vec<RecordError>) {
    let mut good = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match decode_one(index, item, kind, strict, limits, now_us) {
            Ok(update) => good.push(update),
            Err(error) => bad.push(error),
        }
    }
    (good, bad)
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn decode_one(
    index: usize,
    item: Value,
    kind: Kind,
    strict: bool,
    limits: &Limits,
    now_us: i64,
) -> Result<TokenedUpdate, RecordError> {
    let err = |field: &str, reason: &'static str, message: String| {
        RecordError::new(index, field, reason, message)
    };
    let Value::Object(object) = item else {
        return Err(err(
            "$set",
            "bad_record",
            "each record must be a JSON object".into(),
        ));
    };
    let target = match kind {
        Kind::People => {
            let target = RawProfileTarget::Person {
                distinct_id: text(object.get("$distinct_id")),
                device_id: text(object.get("$device_id")),
                user_id: text(object.get("$user_id")),
            };
            if matches!(
                &target,
                RawProfileTarget::Person {
                    distinct_id: None,
                    device_id: None,
                    user_id: None
                }
            ) {
                return Err(err(
                    "$distinct_id",
                    "missing_distinct_id",
                    "`$distinct_id` (or `$device_id` / `$user_id`) is required".into(),
                ));
            }
            target
        }
        Kind::Groups => {
            let key = match object.get("$group_key") {
                Some(Value::String(k)) if !k.trim().is_empty() && k.len() <= 255 => k.clone(),
                _ => {
                    return Err(err(
                        "$group_key",
                        "missing_group_key",
                        "`$group_key` must be a non-empty string".into(),
                    ));
                }
            };
            let id = text(object.get("$group_id")).ok_or_else(|| {
                err(
                    "$group_id",
                    "missing_group_id",
                    "`$group_id` must be a non-empty string or a number".into(),
                )
            })?;
            RawProfileTarget::Group { key, id }
        }
    };
    let time_us = match object.get("$time") {
        None | Some(Value::Null) => now_us,
        Some(value) => privet_model::time::time_from_json(value)
            .map_err(|e| err("$time", "bad_time", format!("`$time` {e}")))?,
    };
    let mut ops = Vec::new();
    for (key, value) in &object {
        if META_KEYS.contains(&key.as_str()) {
            continue;
        }
        let Some(op) = ProfileOpKind::from_wire_name(key) else {
            if strict || !key.starts_with('$') {
                return Err(err(
                    &crate::limits::printable_key(key),
                    "unknown_operation",
                    "is not a profile operation; use $set, $set_once, $add, $append, $union, $remove, $unset or $delete"
                        .into(),
                ));
            }
            continue;
        };
        if kind == Kind::Groups && matches!(op, ProfileOpKind::Add | ProfileOpKind::Append) {
            return Err(err(
                key,
                "unsupported_operation",
                format!("`{key}` is not supported for groups"),
            ));
        }
        check_argument(op, value, limits).map_err(|(field, message)| {
            err(
                &if field.is_empty() { key.clone() } else { field },
                "bad_operation",
                message,
            )
        })?;
        ops.push((op, value.clone()));
    }
    if ops.is_empty() {
        return Err(err(
            "$set",
            "missing_operation",
            "the record has no operation; use $set, $set_once, $add, $append, $union, $remove, $unset or $delete".into(),
        ));
    }
    Ok(TokenedUpdate {
        index,
        token: text(object.get("$token")),
        update: RawProfileUpdate {
            target,
            time_us,
            ops,
        },
    })
}

fn check_argument(
    op: ProfileOpKind,
    value: &Value,
    limits: &Limits,
) -> Result<(), (String, String)> {
    let name = op.wire_name();
    match op {
        ProfileOpKind::Delete => Ok(()),
        ProfileOpKind::Unset => match value {
            Value::Array(names) if names.iter().all(Value::is_string) => Ok(()),
            _ => Err((
                name.into(),
                format!("`{name}` must be an array of property names"),
            )),
        },
        _ => {
            let Value::Object(map) = value else {
                return Err((
                    name.into(),
                    format!("`{name}` must be an object of properties"),
                ));
            };
            limits
                .check_properties(name, map)
                .map_err(|(field, message)| (field.clone(), format!("`{field}` {message}")))?;
            for (key, v) in map {
                let field = format!("{name}.{}", crate::limits::printable_key(key));
                match op {
                    ProfileOpKind::Add if !v.is_number() => {
                        return Err((
                            field.clone(),
                            format!("`{field}` must be a number for $add"),
                        ));
                    }
                    ProfileOpKind::Union if !v.is_array() => {
                        return Err((
                            field.clone(),
                            format!("`{field}` must be an array for $union"),
                        ));
                    }
                    _ => {}
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(items: Vec<Value>, kind: Kind) -> (Vec<TokenedUpdate>, Vec<RecordError>) {
        decode(items, kind, false, &Limits::default(), 5)
    }

    #[test]
    fn people_operations() {
        let (good, bad) = run(
            vec![json!({
                "$token": "t", "$distinct_id": "u1", "$ip": "1.2.3.4",
                "$set": {"plan": "pro"}, "$add": {"logins": 1}, "$unset": ["old"]
            })],
            Kind::People,
        );
        assert!(bad.is_empty(), "{bad:?}");
        let update = &good[0].update;
        assert_eq!(update.ops.len(), 3);
        assert_eq!(update.time_us, 5);
        assert_eq!(good[0].token.as_deref(), Some("t"));
    }

    #[test]
    fn people_errors() {
        let (_, bad) = run(
            vec![
                json!({"$token": "t", "$set": {"a": 1}}),
                json!({"$token": "t", "$distinct_id": "u"}),
                json!({"$token": "t", "$distinct_id": "u", "$add": {"n": "one"}}),
                json!({"$token": "t", "$distinct_id": "u", "$union": {"tags": "x"}}),
                json!({"$token": "t", "$distinct_id": "u", "$unset": "x"}),
                json!({"$token": "t", "$distinct_id": "u", "set": {"a": 1}}),
            ],
            Kind::People,
        );
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "$distinct_id",
                "$set",
                "$add.n",
                "$union.tags",
                "$unset",
                "set"
            ]
        );
    }

    #[test]
    fn groups() {
        let (good, bad) = run(
            vec![
                json!({"$token": "t", "$group_key": "company_id", "$group_id": 42, "$set": {"tier": "gold"}}),
                json!({"$token": "t", "$group_key": "company_id", "$group_id": "c", "$add": {"n": 1}}),
                json!({"$token": "t", "$group_id": "c", "$set": {}}),
            ],
            Kind::Groups,
        );
        assert_eq!(good.len(), 1);
        assert!(matches!(&good[0].update.target, RawProfileTarget::Group { id, .. } if id == "42"));
        assert_eq!(
            bad.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            vec!["$add", "$group_key"]
        );
    }
}
