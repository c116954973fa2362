//! The transforms, in the order the pipeline applies them, and the event they work on.

pub mod client;
pub mod identity;
pub mod location;
pub mod personal;
pub mod policy;
pub mod scan;
pub mod web;

use privet_model::{Dimensions, EventIdentity, IdentityOp, MinimalEvent, Pseudonym, RawEvent};
use serde_json::{Map, Value};

/// An event on its way through the pipeline. `props` shrinks as transforms consume properties.
pub struct Working {
    pub name: String,
    pub time_us: i64,
    pub insert_id: Option<String>,
    pub props: Map<String, Value>,
    pub identity: EventIdentity,
    pub identity_op: Option<IdentityOp>,
    pub dims: Dimensions,
    pub store: bool,
    /// Properties settled by the policy: put back unchanged at the end, never scanned.
    pub settled: Vec<(String, Value)>,
}

/// Properties that only steer ingestion and are never kept.
const CONTROL_PROPERTIES: &[&str] = &[
    "token",
    "time",
    "$insert_id",
    "$ignore",
    "$import",
    "$source",
];

impl Working {
    pub fn new(raw: RawEvent) -> Self {
        let mut props = raw.properties;
        for key in CONTROL_PROPERTIES {
            props.remove(*key);
        }
        Working {
            name: raw.name,
            time_us: raw.time_us,
            insert_id: raw.insert_id,
            props,
            identity: EventIdentity::default(),
            identity_op: None,
            dims: Dimensions::default(),
            store: true,
            settled: Vec::new(),
        }
    }

    /// The pseudonym that stands for the event's person: the user id, else the distinct id, else the device.
    pub fn person(&self) -> Option<Pseudonym> {
        self.identity
            .user
            .or(self.identity.distinct)
            .or(self.identity.device)
    }

    /// Takes a property out as text (numbers and booleans are rendered; objects, arrays and null are not text).
    pub fn take_text(&mut self, key: &str) -> Option<String> {
        value_text(self.props.remove(key)?)
    }

    /// The finished, minimised event.
    pub fn finish(mut self) -> MinimalEvent {
        self.props.extend(self.settled);
        MinimalEvent {
            name: self.name,
            time_us: self.time_us,
            insert_id: self.insert_id,
            identity: self.identity,
            identity_op: self.identity_op,
            dims: self.dims,
            properties: Value::Object(self.props).to_string(),
            store: self.store,
        }
    }
}

/// A JSON scalar as text; `None` for null, objects, arrays and blank strings.
pub fn value_text(value: Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == text.len() {
        Some(text)
    } else {
        Some(trimmed.to_string())
    }
}
