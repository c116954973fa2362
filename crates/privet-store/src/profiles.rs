//! Applying Mixpanel's profile operations (`$set`, `$set_once`, `$add`, `$append`, `$union`, `$remove`, `$unset`,
//! `$delete`) to a profile's properties.

use privet_model::ProfileOpKind;
use serde_json::{Map, Value};

/// Applies one operation, whose argument is JSON text, to `props`. Returns false when the profile was deleted.
pub fn apply(props: &mut Map<String, Value>, kind: ProfileOpKind, payload: &str) -> bool {
    let arg: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    match kind {
        ProfileOpKind::Set => {
            for (k, v) in object(arg) {
                props.insert(k, v);
            }
        }
        ProfileOpKind::SetOnce => {
            for (k, v) in object(arg) {
                props.entry(k).or_insert(v);
            }
        }
        ProfileOpKind::Add => {
            for (k, v) in object(arg) {
                let Some(delta) = v.as_f64() else { continue };
                let current = props.get(&k).and_then(Value::as_f64);
                match (props.get(&k), current) {
                    (None, _) => {
                        props.insert(k, v);
                    }
                    (Some(_), Some(current)) => {
                        props.insert(k, number(current + delta));
                    }
                    // `$add` on a non-numeric property is ignored, as in Mixpanel.
                    (Some(_), None) => {}
                }
            }
        }
        ProfileOpKind::Append => {
            for (k, v) in object(arg) {
                match props.get_mut(&k) {
                    Some(Value::Array(list)) => list.push(v),
                    Some(_) => {}
                    None => {
                        props.insert(k, Value::Array(vec![v]));
                    }
                }
            }
        }
        ProfileOpKind::Union => {
            for (k, v) in object(arg) {
                let values = match v {
                    Value::Array(values) => values,
                    other => vec![other],
                };
                match props.get_mut(&k) {
                    Some(Value::Array(list)) => {
                        for value in values {
                            if !list.contains(&value) {
                                list.push(value);
                            }
                        }
                    }
                    Some(_) => {}
                    None => {
                        let mut list: Vec<Value> = Vec::new();
                        for value in values {
                            if !list.contains(&value) {
                                list.push(value);
                            }
                        }
                        props.insert(k, Value::Array(list));
                    }
                }
            }
        }
        ProfileOpKind::Remove => {
            for (k, v) in object(arg) {
                if let Some(Value::Array(list)) = props.get_mut(&k) {
                    list.retain(|item| *item != v);
                }
            }
        }
        ProfileOpKind::Unset => {
            let names = match arg {
                Value::Array(names) => names,
                Value::String(name) => vec![Value::String(name)],
                Value::Object(map) => map.into_iter().map(|(k, _)| Value::String(k)).collect(),
                _ => Vec::new(),
            };
            for name in names {
                if let Value::String(name) = name {
                    props.remove(&name);
                }
            }
        }
        ProfileOpKind::Delete => {
            props.clear();
            return false;
        }
    }
    true
}

/// Merges the properties of a profile being merged away into the surviving one: the survivor's values win.
pub fn merge_into(survivor: &mut Map<String, Value>, merged: Map<String, Value>) {
    for (k, v) in merged {
        survivor.entry(k).or_insert(v);
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        Value::from(value as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(ops: &[(ProfileOpKind, Value)]) -> Value {
        let mut props = Map::new();
        for (kind, arg) in ops {
            apply(&mut props, *kind, &arg.to_string());
        }
        Value::Object(props)
    }

    #[test]
    fn every_operation() {
        use ProfileOpKind::*;
        let result = run(&[
            (Set, json!({"plan": "free", "n": 1, "tags": ["a"]})),
            (SetOnce, json!({"plan": "pro", "first": "web"})),
            (Add, json!({"n": 2.5, "visits": 1, "plan": 3})),
            (Append, json!({"tags": "b", "log": "x"})),
            (Union, json!({"tags": ["a", "c", "c"]})),
            (Remove, json!({"tags": "b"})),
            (Unset, json!(["first"])),
        ]);
        assert_eq!(
            result,
            json!({"plan": "free", "n": 3.5, "visits": 1, "tags": ["a", "c"], "log": ["x"]})
        );
        assert_eq!(
            run(&[(Set, json!({"a": 1})), (Delete, json!(null))]),
            json!({})
        );
    }

    #[test]
    fn integers_stay_integers() {
        let result = run(&[
            (ProfileOpKind::Add, json!({"n": 1})),
            (ProfileOpKind::Add, json!({"n": 2})),
        ]);
        assert_eq!(result, json!({"n": 3}));
    }

    #[test]
    fn survivor_wins_merge() {
        let mut survivor = json!({"plan": "pro"}).as_object().unwrap().clone();
        merge_into(
            &mut survivor,
            json!({"plan": "free", "country": "DE"})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(
            Value::Object(survivor),
            json!({"plan": "pro", "country": "DE"})
        );
    }
}
