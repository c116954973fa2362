//! The transforms, in the order the pipeline applies them, and the event they work on.
//!
//! An event's properties are sorted once, by name, into where they go ([`Roles`]): the fields a built-in
//! transform consumes (each transform module lists its own in `FIELDS` and `DROPPED`), the properties the
//! policy names, identifier properties, personal fields, and everything else, which is scanned and kept. The
//! transforms then take what they need from the [`Working`] event without searching for it.

pub mod client;
pub mod identity;
pub mod location;
pub mod personal;
pub mod policy;
pub mod scan;
pub mod web;

use std::borrow::Cow;

use hashbrown::HashMap;
use privet_config::{PolicyConfig, PropertyAction};
use privet_model::withheld::Withheld;
use privet_model::{
    Dim, Dimensions, EventIdentity, IdentityOp, MinimalEvent, Pseudonym, RawEvent, RawJson,
    RawProperties,
};
use serde_json::{Map, Value};
use smallvec::SmallVec;

/// The organisations a record names (pseudonyms): usually one, kept without an allocation.
pub type Groups = SmallVec<[Pseudonym; 2]>;

/// The properties a built-in transform consumes, one variant per name.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Field {
    DistinctId,
    DollarDistinctId,
    DeviceId,
    UserId,
    IdentifiedId,
    AnonDistinctId,
    Alias,
    DistinctIds,
    Ip,
    DollarIp,
    CountryCode,
    Region,
    City,
    UserAgent,
    UserAgentPlain,
    Ua,
    UserAgentCamel,
    Os,
    OsVersion,
    Browser,
    BrowserVersion,
    DeviceType,
    Device,
    Lib,
    Referrer,
    ReferringDomain,
    CurrentUrl,
    CurrentUrlPath,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    Ignore,
}

impl Field {
    const COUNT: usize = Field::Ignore as usize + 1;
}

/// Properties that only steer ingestion and are never kept (`$ignore` is read first).
const CONTROL: &[&str] = &["token", "time", "$insert_id", "$import", "$source"];
const CONTROL_FIELDS: &[(&str, Field)] = &[("$ignore", Field::Ignore)];

/// What becomes of a property of a given name.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Consumed by a built-in transform.
    Field(Field),
    /// Discarded.
    Drop,
    /// The policy's explicit action.
    Policy(PropertyAction),
    /// An identifier (a group key, by its index in the policy's `group_keys`, or a person's id), pseudonymised;
    /// then the policy's action for the name, if it has one.
    Id {
        group: Option<usize>,
        then: Option<PropertyAction>,
    },
    /// A known personal field (to the vault, or dropped).
    Personal,
    /// A property the SDKs set themselves ([`SDK_NAMES`]): kept, its value scanned, its name (a fixed word) not.
    Sdk,
    /// Anything else: scanned and kept.
    Other,
}

/// Properties the Mixpanel SDKs set on events that no built-in transform consumes or drops. Their names are fixed
/// words, so the scanner skips the names (not the values).
pub const SDK_NAMES: &[&str] = &[
    "$lib_version",
    "mp_sent_by_lib_version",
    "$screen_height",
    "$screen_width",
    "$app_version",
    "$app_version_string",
    "$app_build_number",
    "$app_release",
    "$bluetooth_enabled",
    "$bluetooth_version",
    "$has_nfc",
    "$has_telephone",
    "$google_play_services",
    "$mp_api_endpoint",
    "$mp_api_timestamp_ms",
    "$had_persisted_distinct_id",
    "$mp_autocapture",
    "$event_type",
    "$duration",
];

/// Every name that is not [`Role::Other`], for events and for profile operations, resolved once per policy.
pub struct Roles {
    event: HashMap<Box<str>, Role>,
    profile: HashMap<Box<str>, Role>,
    /// What the identity fields that mean something only on their own events (`alias` off `$create_alias`) are
    /// on other events: what they would be without the identity transform.
    restored: HashMap<&'static str, Role>,
}

impl Roles {
    /// Precedence: control and identity fields (for profiles: addresses and places), then identifiers (group
    /// keys, identifier properties), then the policy's actions, then the other built-in transforms' fields, then
    /// personal fields (matched ignoring case), then the SDKs' own properties.
    pub fn new(policy: &PolicyConfig) -> Roles {
        let mut event: HashMap<Box<str>, Role> = HashMap::new();
        let mut profile: HashMap<Box<str>, Role> = HashMap::new();
        let builtin = [
            (location::FIELDS, location::DROPPED),
            (client::FIELDS, client::DROPPED),
            (web::FIELDS, web::DROPPED),
        ];
        for (fields, dropped) in builtin {
            for (name, field) in fields {
                event.insert((*name).into(), Role::Field(*field));
            }
            for name in dropped {
                event.insert((*name).into(), Role::Drop);
            }
        }
        for (name, action) in &policy.properties {
            let role = Role::Policy(*action);
            event.insert(name.as_str().into(), role);
            profile.insert(name.as_str().into(), role);
        }
        let ids = policy
            .group_keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k, Some(i)))
            .chain(policy.identifier_properties.iter().map(|k| (k, None)));
        for (name, group) in ids {
            let then = policy.properties.get(name).copied();
            let role = Role::Id { group, then };
            event.insert(name.as_str().into(), role);
            profile.insert(name.as_str().into(), role);
        }
        for name in CONTROL {
            event.insert((*name).into(), Role::Drop);
        }
        // Profiles never carry an address, a place or client details, whatever the policy says.
        for name in location::PROFILE_DROPPED
            .iter()
            .chain(client::PROFILE_DROPPED)
        {
            profile.insert((*name).into(), Role::Drop);
        }
        let restored = identity::FIELDS
            .iter()
            .map(|(name, _)| (*name, Roles::of(&event, name)))
            .collect();
        for (name, field) in CONTROL_FIELDS.iter().chain(identity::FIELDS) {
            event.insert((*name).into(), Role::Field(*field));
        }
        // Personal fields come last (every other rule wins); as spelled in the list, they are found by the
        // lookup itself, and only a name with capitals needs the case-insensitive check.
        for name in personal::PERSONAL_FIELDS {
            event.entry((*name).into()).or_insert(Role::Personal);
            profile.entry((*name).into()).or_insert(Role::Personal);
        }
        for name in SDK_NAMES {
            event.entry((*name).into()).or_insert(Role::Sdk);
            profile.entry((*name).into()).or_insert(Role::Sdk);
        }
        Roles {
            event,
            profile,
            restored,
        }
    }

    fn of(table: &HashMap<Box<str>, Role>, name: &str) -> Role {
        match table.get(name) {
            Some(role) => *role,
            None if name.bytes().any(|b| b.is_ascii_uppercase()) && personal::is_personal(name) => {
                Role::Personal
            }
            None => Role::Other,
        }
    }
}

/// A property value on its way through the pipeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// As sent: a slice of the request's JSON text.
    Raw(RawJson<'a>),
    /// Parsed or produced by a transform.
    Json(Value),
}

impl<'a> Val<'a> {
    /// A scalar as text (strings trimmed, numbers and booleans rendered); `None` for null, arrays, objects and
    /// blank strings.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Val::Raw(raw) => raw.text_value(),
            Val::Json(value) => json_text(value).map(Cow::Owned),
        }
    }

    /// The value parsed.
    pub fn into_value(self) -> Value {
        match self {
            Val::Raw(raw) => raw.to_value(),
            Val::Json(value) => value,
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Val::Raw(raw) => out.push_str(raw.text()),
            // Numbers (pseudonyms) and strings (redacted text) straight into `out`; the rest through a string.
            Val::Json(Value::Number(n)) => {
                use std::fmt::Write;
                write!(out, "{n}").expect("writing to a String cannot fail");
            }
            Val::Json(Value::String(text)) => write_str(out, text),
            Val::Json(value) => out.push_str(&value.to_string()),
        }
    }
}

/// A JSON scalar as text; `None` for null, objects, arrays and blank strings.
pub fn json_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => {
            return privet_model::json::trimmed(Cow::Borrowed(s)).map(Cow::into_owned);
        }
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    Some(text)
}

/// A property: its name and value.
#[derive(Clone, Debug, PartialEq)]
pub struct Prop<'a> {
    pub name: Cow<'a, str>,
    pub value: Val<'a>,
    /// The name is a fixed word (an SDK's property or a configured identifier), not scanned.
    pub fixed_name: bool,
}

impl<'a> Prop<'a> {
    /// A property whose name is scanned like its value.
    pub fn new(name: Cow<'a, str>, value: Val<'a>) -> Self {
        Prop {
            name,
            value,
            fixed_name: false,
        }
    }
}

/// An identifier property: a group key (by its index in the policy's `group_keys`) or a person's id, and the
/// policy's action on its pseudonym.
pub type IdProp<'a> = (Prop<'a>, Option<usize>, Option<PropertyAction>);

/// Properties sorted by role, ready for the transforms.
#[derive(Default)]
pub struct Sorted<'a> {
    /// Scanned and kept.
    pub other: Vec<Prop<'a>>,
    /// With the policy's action.
    pub policy: Vec<(Prop<'a>, PropertyAction)>,
    /// Identifiers to pseudonymise (usually one organisation: no allocation).
    pub ids: SmallVec<[IdProp<'a>; 2]>,
    /// Known personal fields.
    pub personal: Vec<Prop<'a>>,
}

impl<'a> Sorted<'a> {
    fn add(&mut self, role: Role, prop: Prop<'a>) {
        match role {
            Role::Other | Role::Field(_) => self.other.push(prop),
            Role::Sdk => self.other.push(Prop {
                fixed_name: true,
                ..prop
            }),
            Role::Drop => {}
            Role::Policy(action) => self.policy.push((prop, action)),
            Role::Id { group, then } => self.ids.push((prop, group, then)),
            Role::Personal => self.personal.push(prop),
        }
    }

    /// Sorts a profile operation's properties.
    pub fn profile(roles: &Roles, props: Map<String, Value>) -> Sorted<'static> {
        let mut sorted = Sorted::default();
        for (name, value) in props {
            let role = Roles::of(&roles.profile, &name);
            sorted.add(role, Prop::new(Cow::Owned(name), Val::Json(value)));
        }
        sorted
    }
}

/// An event on its way through the pipeline.
pub struct Working<'a> {
    pub name: String,
    pub time_us: i64,
    pub insert_id: Option<String>,
    /// The built-in transforms' fields (the last value of a repeated name).
    fields: [Option<RawJson<'a>>; Field::COUNT],
    roles: &'a Roles,
    pub sorted: Sorted<'a>,
    pub identity: EventIdentity,
    pub identity_op: Option<IdentityOp>,
    pub dims: Dimensions,
    /// The precise place and client values `dims` does not show yet (fewer than k people share them).
    pub withheld: Withheld,
    pub store: bool,
    /// Organisations the event names (pseudonyms), for the scanner.
    pub groups: Groups,
    /// Properties settled by the policy: put back at the end, never scanned.
    pub settled: Vec<Prop<'a>>,
}

impl<'a> Working<'a> {
    /// Sorts the event's properties by role; the event keeps borrowing them.
    pub fn new(raw: RawEvent, properties: &'a RawProperties, roles: &'a Roles) -> Self {
        let mut fields = [None; Field::COUNT];
        let mut sorted = Sorted {
            other: Vec::with_capacity(properties.len()),
            ..Sorted::default()
        };
        for (name, value) in properties.iter() {
            match Roles::of(&roles.event, name) {
                Role::Field(field) => fields[field as usize] = Some(value),
                role => sorted.add(role, Prop::new(Cow::Borrowed(name), Val::Raw(value))),
            }
        }
        Working {
            name: raw.name,
            time_us: raw.time_us,
            insert_id: raw.insert_id,
            fields,
            roles,
            sorted,
            identity: EventIdentity::default(),
            identity_op: None,
            dims: Dimensions::default(),
            withheld: Withheld::default(),
            store: true,
            groups: Groups::new(),
            settled: Vec::new(),
        }
    }

    /// Whether the event asked to be dropped (`$ignore`).
    pub fn ignored(&self) -> bool {
        self.fields[Field::Ignore as usize].is_some_and(RawJson::truthy)
    }

    /// The pseudonym that stands for the event's person: the user id, else the distinct id, else the device.
    pub fn person(&self) -> Option<Pseudonym> {
        self.identity
            .user
            .or(self.identity.distinct)
            .or(self.identity.device)
    }

    /// Takes a field's value.
    pub fn take(&mut self, field: Field) -> Option<RawJson<'a>> {
        self.fields[field as usize].take()
    }

    /// Takes a field as text (numbers and booleans are rendered; objects, arrays, null and blanks are not text).
    pub fn take_text(&mut self, field: Field) -> Option<Cow<'a, str>> {
        self.take(field)?.text_value()
    }

    /// Takes a field as a dimension value (short values are stored inline: no allocation).
    pub fn take_dim(&mut self, field: Field) -> Option<Dim> {
        self.take_text(field).map(|text| Dim::from(&*text))
    }

    /// Gives an identity field back, to be treated as any other property of that name (`alias` on an event other
    /// than `$create_alias`: scanned and kept, or whatever the policy says of `alias`).
    pub fn restore(&mut self, field: Field, name: &'static str) {
        if let Some(value) = self.take(field) {
            let role = self
                .roles
                .restored
                .get(name)
                .copied()
                .unwrap_or(Role::Other);
            self.sorted
                .add(role, Prop::new(Cow::Borrowed(name), Val::Raw(value)));
        }
    }

    /// The finished, minimised event; `sealed` holds [`Working::withheld`], sealed by the vault.
    pub fn finish(self, sealed: Option<Vec<u8>>) -> MinimalEvent {
        let mut properties = String::with_capacity(256);
        write_object(&mut properties, &self.sorted.other, &self.settled);
        MinimalEvent {
            name: self.name,
            time_us: self.time_us,
            insert_id: self.insert_id,
            identity: self.identity,
            identity_op: self.identity_op,
            dims: self.dims,
            properties,
            store: self.store,
            sealed,
        }
    }
}

/// Writes the properties as one JSON object; where a name repeats, its last value is written.
pub fn write_object(out: &mut String, props: &[Prop<'_>], settled: &[Prop<'_>]) {
    let count = props.len() + settled.len();
    let at = |i: usize| props.get(i).unwrap_or_else(|| &settled[i - props.len()]);
    // A few names are compared pairwise; many (up to `max_properties`) go through a map of each name's last place.
    let last: Option<HashMap<&str, usize>> = (count > 32).then(|| {
        props
            .iter()
            .chain(settled)
            .enumerate()
            .map(|(i, prop)| (&*prop.name, i))
            .collect()
    });
    out.push('{');
    let mut first = true;
    for (i, prop) in props.iter().chain(settled).enumerate() {
        let repeated = match &last {
            Some(last) => last[&*prop.name] != i,
            None => (i + 1..count).any(|j| {
                let later = at(j);
                later.name.len() == prop.name.len() && later.name == prop.name
            }),
        };
        if repeated {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        write_str(out, &prop.name);
        out.push(':');
        prop.value.write(out);
    }
    out.push('}');
}

/// Writes a JSON string.
pub fn write_str(out: &mut String, text: &str) {
    if !privet_model::swar::needs_json_escape(text.as_bytes()) {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&Value::from(text).to_string());
    }
}
