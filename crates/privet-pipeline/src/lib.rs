//! The privacy pipeline: the transforms every event and profile update goes through, in memory, between being
//! decoded from the wire (`privet-ingest`) and being written (`privet-store`).
//!
//! ```text
//!  RawEvent ─▶ identity ─▶ policy ─▶ personal ─▶ location ─▶ client ─▶ web ─▶ scan ─▶ MinimalEvent
//!             (pseudonyms) (per-     (to the     (IP → place, (UA →    (referrer, (free text:
//!                           property  vault)      k-anonymous) families) URL path)  emails, keys…)
//!                           actions)
//! ```
//!
//! Each transform lives in its own module under [`transforms`] with its tests beside it. An event's properties
//! are sorted once, by name, into the fields each transform consumes and the rest ([`transforms::Working`]); a
//! transform turns its fields into a coarse column ([`privet_model::Dimensions`]), a pseudonym, a vaulted field,
//! or nothing. Whatever is left is scanned for personal data and written as the `properties` JSON column; values
//! nobody touched are copied from the request's text as they are. Real identities go only to the identity vault
//! ([`vault::IdentityVault`]). Nothing in this crate logs or returns a raw value.

pub mod cache;
pub mod publication;
pub mod transforms;
pub mod vault;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::RwLock;
use privet_config::{PolicyConfig, PrivacyConfig};
use privet_model::withheld::Dimension;
use privet_model::{
    JsonKind, MinimalEvent, ProfileOp, ProfileTarget, ProfileUpdate, ProjectId, Pseudonym,
    RawEvent, RawProfileTarget, RawProfileUpdate,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use serde_json::Value;

pub use publication::VaultPublisher;
use transforms::client::UserAgents;
use transforms::location::{Geo, GeoDb};
use transforms::scan::{Lookout, Scanner};
use transforms::{Prop, Roles, Sorted, Val, Working};
pub use vault::{IdKind, IdentityVault, MemoryVault, VaultSession};

/// Whether a value is published in `project`; with `k` ≤ 1 everything is.
fn published(
    vault: &dyn IdentityVault,
    project: ProjectId,
    k: usize,
) -> impl Fn(Dimension, &str) -> bool + '_ {
    move |dimension, key| k <= 1 || vault.is_published(project, dimension, key)
}

/// Facts about the request an event arrived in.
#[derive(Clone, Debug, Default)]
pub struct EventContext {
    pub project: Option<ProjectId>,
    /// The caller's address, when the caller asked for it to be used (`ip=1`) or a trusted proxy named it.
    pub client_ip: Option<IpAddr>,
    /// The request's `User-Agent` header.
    pub user_agent: Option<String>,
}

/// Why a profile update cannot be stored, or the pipeline cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error(
        "has no usable id: `$distinct_id`, `$device_id` and `$user_id` are missing or placeholders"
    )]
    NoProfileId,
    #[error("`$group_id` is missing or a placeholder")]
    NoGroupId,
    #[error("{0}")]
    Config(String),
}

/// What the pipeline did, counted since start (never values), exported as `privet_pipeline_*` metrics.
#[derive(Default, Debug)]
pub struct PipelineStats {
    pub fields_vaulted: Counter,
    pub spans_redacted: Counter,
    pub locations_looked_up: Counter,
    pub locations_coarsened: Counter,
    pub clients_coarsened: Counter,
}

impl PipelineStats {
    /// Registers the counters under `privet_pipeline_*`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("privet_pipeline");
        r.register(
            "fields_vaulted",
            "Personal fields moved to the identity vault",
            self.fields_vaulted.clone(),
        );
        r.register(
            "spans_redacted",
            "Spans of free text replaced by placeholders (emails, phones, keys, …)",
            self.spans_redacted.clone(),
        );
        r.register(
            "locations_looked_up",
            "IP addresses located and discarded",
            self.locations_looked_up.clone(),
        );
        r.register(
            "locations_coarsened",
            "Places stored less precisely because fewer than k people share them",
            self.locations_coarsened.clone(),
        );
        r.register(
            "clients_coarsened",
            "OS/browser combinations stored less precisely because fewer than k people share them",
            self.clients_coarsened.clone(),
        );
    }
}

/// The steps of the event pipeline, in order (for [`Batch::event_probed`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The project's policy looked up, and each property sorted by its role (the policy's, a transform's
    /// field, personal, or other).
    Sort,
    Identity,
    /// The policy's actions and personal fields.
    Policy,
    Location,
    Client,
    Web,
    /// The person's and organisation's known values looked up, and free text scanned.
    Scan,
    /// Withheld values sealed, the properties serialised.
    Finish,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Sort,
        Step::Identity,
        Step::Policy,
        Step::Location,
        Step::Client,
        Step::Web,
        Step::Scan,
        Step::Finish,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Sort => "policy lookup + sort properties by role",
            Step::Identity => "identity (vault pseudonyms)",
            Step::Policy => "policy + personal fields (vault)",
            Step::Location => "location (GeoIP, k-anonymity)",
            Step::Client => "client (user agent, k-anonymity)",
            Step::Web => "web (referrer, URL)",
            Step::Scan => "scan free text",
            Step::Finish => "seal withheld values + serialise",
        }
    }
}

/// A project's compiled policy.
struct Policy {
    config: PolicyConfig,
    roles: Roles,
    scanner: Scanner,
}

/// Gives the name of a project (for its policy overrides).
pub type ProjectNames = Box<dyn Fn(ProjectId) -> Option<String> + Send + Sync>;

/// The configured pipeline. Cheap to share; one per server.
pub struct Pipeline {
    config: PrivacyConfig,
    geo: Option<Arc<dyn Geo>>,
    agents: UserAgents,
    urls: transforms::web::Urls,
    names: ProjectNames,
    policies: RwLock<HashMap<ProjectId, Arc<Policy>>>,
    stats: PipelineStats,
}

impl Pipeline {
    /// Builds the pipeline: opens the GeoIP database and checks every project's identifier patterns.
    pub fn new(config: PrivacyConfig, names: ProjectNames) -> Result<Self, PipelineError> {
        let geo: Option<Arc<dyn Geo>> = match &config.geoip {
            Some(path) => Some(Arc::new(GeoDb::open(path).map_err(PipelineError::Config)?)),
            None => None,
        };
        let pipeline = Pipeline {
            config,
            geo,
            agents: UserAgents::default(),
            urls: transforms::web::Urls::default(),
            names,
            policies: RwLock::new(HashMap::new()),
            stats: PipelineStats::default(),
        };
        compile(&pipeline.config.policy)?;
        for name in pipeline.config.projects.keys() {
            compile(&pipeline.config.policy_for(name))?;
        }
        Ok(pipeline)
    }

    /// Uses `geo` for address lookups (tests use a fixed table).
    pub fn with_geo(mut self, geo: Arc<dyn Geo>) -> Self {
        self.geo = Some(geo);
        self
    }

    pub fn stats(&self) -> &PipelineStats {
        &self.stats
    }

    /// The effective policy of a project.
    pub fn policy(&self, project: ProjectId) -> PolicyConfig {
        self.compiled(project).config.clone()
    }

    fn compiled(&self, project: ProjectId) -> Arc<Policy> {
        if let Some(policy) = self.policies.read().get(&project) {
            return policy.clone();
        }
        let config = match (self.names)(project) {
            Some(name) => self.config.policy_for(&name),
            None => self.config.policy.clone(),
        };
        let policy = Arc::new(compile(&config).expect("patterns were checked at start"));
        self.policies.write().insert(project, policy.clone());
        policy
    }

    /// Starts minimising one request's records (see [`Batch`]).
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            pipeline: self,
            policy: None,
            tally: Tally::default(),
        }
    }

    /// Minimises one event (a batch of one). `None` means the event asked to be dropped (`$ignore`).
    pub fn event(
        &self,
        project: ProjectId,
        ctx: &EventContext,
        raw: RawEvent,
        vault: &dyn IdentityVault,
    ) -> Option<MinimalEvent> {
        self.batch().event(project, ctx, raw, vault)
    }

    /// Minimises one profile update (a batch of one).
    pub fn profile(
        &self,
        project: ProjectId,
        raw: RawProfileUpdate,
        vault: &dyn IdentityVault,
    ) -> Result<ProfileUpdate, PipelineError> {
        self.batch().profile(project, raw, vault)
    }
}

/// What a batch's records did, counted in plain integers and added to [`PipelineStats`] once, when the batch
/// ends (each shared counter costs an atomic operation per update).
#[derive(Default)]
struct Tally {
    fields_vaulted: u64,
    spans_redacted: u64,
    locations_looked_up: u64,
    locations_coarsened: u64,
    clients_coarsened: u64,
}

/// One request's records on their way through the pipeline: the project's compiled policy is looked up once for
/// the run of records of one project rather than once per record, and the counters are updated once, when the
/// batch is dropped. Not shared between threads; make one per request with [`Pipeline::batch`].
pub struct Batch<'p> {
    pipeline: &'p Pipeline,
    policy: Option<(ProjectId, Arc<Policy>)>,
    tally: Tally,
}

/// The compiled policy of `project`, from the batch's last one when it is the same project.
fn policy_of<'s>(
    slot: &'s mut Option<(ProjectId, Arc<Policy>)>,
    pipeline: &Pipeline,
    project: ProjectId,
) -> &'s Policy {
    if slot.as_ref().is_none_or(|(p, _)| *p != project) {
        *slot = Some((project, pipeline.compiled(project)));
    }
    &slot.as_ref().expect("just filled").1
}

impl Batch<'_> {
    /// Minimises one event. `None` means the event asked to be dropped (`$ignore`).
    pub fn event(
        &mut self,
        project: ProjectId,
        ctx: &EventContext,
        raw: RawEvent,
        vault: &dyn IdentityVault,
    ) -> Option<MinimalEvent> {
        self.event_probed(project, ctx, raw, vault, &mut |_| {})
    }

    /// [`Batch::event`], calling `probe` after each step (the benchmark times the steps with it).
    pub fn event_probed(
        &mut self,
        project: ProjectId,
        ctx: &EventContext,
        raw: RawEvent,
        vault: &dyn IdentityVault,
        probe: &mut dyn FnMut(Step),
    ) -> Option<MinimalEvent> {
        let pipeline = self.pipeline;
        let tally = &mut self.tally;
        let policy = policy_of(&mut self.policy, pipeline, project);
        let cfg = &policy.config;
        let mut raw = raw;
        let properties = std::mem::take(&mut raw.properties);
        let mut w = Working::new(raw, &properties, &policy.roles);
        if w.ignored() {
            return None;
        }
        probe(Step::Sort);
        transforms::identity::apply(&mut w, project, cfg, vault);
        probe(Step::Identity);
        let subject = w.person();
        let (settled, vaulted) = settle(&mut w.sorted, project, subject, cfg, vault, tally);
        w.settled = settled;
        probe(Step::Policy);
        let shown = published(vault, project, cfg.k);
        let location =
            transforms::location::apply(&mut w, ctx, pipeline.geo.as_deref(), cfg, &shown);
        tally.locations_looked_up += u64::from(location.looked_up);
        tally.locations_coarsened += u64::from(location.coarsened);
        probe(Step::Location);
        if transforms::client::apply(&mut w, ctx, &pipeline.agents, &shown) {
            tally.clients_coarsened += 1;
        }
        probe(Step::Client);
        transforms::web::apply(&mut w, cfg, &pipeline.urls);
        probe(Step::Web);
        let subjects = subject.into_iter().chain(w.groups.iter().copied());
        let known = lookout(subjects, vaulted.iter(), vault);
        let scanner = &policy.scanner;
        let mut redacted = scan_props(&mut w.sorted.other, scanner, &known);
        for column in [
            &mut w.dims.utm_source,
            &mut w.dims.utm_medium,
            &mut w.dims.utm_campaign,
        ] {
            if let Some(text) = column
                && let Some((clean, findings)) = scanner.redact(text, &known)
            {
                *text = clean.into();
                redacted += findings.len();
            }
        }
        tally.spans_redacted += redacted as u64;
        probe(Step::Scan);
        let sealed = (!w.withheld.is_empty()).then(|| vault.seal(project, &w.withheld));
        let event = w.finish(sealed);
        probe(Step::Finish);
        Some(event)
    }

    /// Minimises one profile update.
    pub fn profile(
        &mut self,
        project: ProjectId,
        raw: RawProfileUpdate,
        vault: &dyn IdentityVault,
    ) -> Result<ProfileUpdate, PipelineError> {
        let tally = &mut self.tally;
        let policy = policy_of(&mut self.policy, self.pipeline, project);
        let cfg = &policy.config;
        let (target, subject) = match raw.target {
            RawProfileTarget::Person {
                distinct_id,
                device_id,
                user_id,
            } => {
                let identity = transforms::identity::person_ids(
                    project,
                    vault,
                    distinct_id.as_deref(),
                    device_id.as_deref(),
                    user_id.as_deref(),
                );
                if identity.is_empty() {
                    return Err(PipelineError::NoProfileId);
                }
                let subject = identity.user.or(identity.distinct).or(identity.device);
                (ProfileTarget::Person(identity), subject)
            }
            RawProfileTarget::Group { key, id } => {
                let id = privet_model::ids::real_id(&id).ok_or(PipelineError::NoGroupId)?;
                let id = vault.pseudonym(project, IdKind::Group(&key), id);
                (ProfileTarget::Group { id, key }, Some(id))
            }
        };
        let ops = raw
            .ops
            .into_iter()
            .map(|(kind, arg)| {
                let payload = match arg {
                    Value::Object(props) => {
                        let mut sorted = Sorted::profile(&policy.roles, props);
                        let groups = transforms::identity::pseudonymize_properties(
                            &mut sorted,
                            project,
                            cfg,
                            vault,
                        );
                        let (settled, vaulted) =
                            settle(&mut sorted, project, subject, cfg, vault, tally);
                        let subjects = subject.into_iter().chain(groups);
                        let known = lookout(subjects, vaulted.iter(), vault);
                        let redacted = scan_props(&mut sorted.other, &policy.scanner, &known);
                        tally.spans_redacted += redacted as u64;
                        let mut out = String::new();
                        transforms::write_object(&mut out, &sorted.other, &settled);
                        out
                    }
                    other => other.to_string(),
                };
                ProfileOp { kind, payload }
            })
            .collect();
        Ok(ProfileUpdate {
            target,
            time_us: raw.time_us,
            ops,
        })
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        let stats = &self.pipeline.stats;
        for (counter, n) in [
            (&stats.fields_vaulted, self.tally.fields_vaulted),
            (&stats.spans_redacted, self.tally.spans_redacted),
            (&stats.locations_looked_up, self.tally.locations_looked_up),
            (&stats.locations_coarsened, self.tally.locations_coarsened),
            (&stats.clients_coarsened, self.tally.clients_coarsened),
        ] {
            if n > 0 {
                counter.inc_by(n);
            }
        }
    }
}

/// Applies the policy's actions and moves personal fields to the vault, for an event or a profile operation:
/// returns what the policy settled and the text values that went to the vault (for the scanner).
fn settle<'a>(
    sorted: &mut Sorted<'a>,
    project: ProjectId,
    subject: Option<Pseudonym>,
    cfg: &PolicyConfig,
    vault: &dyn IdentityVault,
    tally: &mut Tally,
) -> (Vec<Prop<'a>>, Vec<String>) {
    let applied =
        transforms::policy::apply(std::mem::take(&mut sorted.policy), project, subject, vault);
    let mut vaulted = transforms::personal::apply(
        std::mem::take(&mut sorted.personal),
        project,
        subject,
        cfg,
        vault,
    );
    if cfg.personal_fields == privet_config::PersonalFieldAction::Vault && subject.is_some() {
        tally.fields_vaulted += (applied.vaulted.len() + vaulted.len()) as u64;
    }
    vaulted.extend(applied.vaulted);
    (applied.settled, vaulted)
}

/// The values to look for in a record's free text: what the vault holds for the subjects (see [`Lookout`]), and
/// what this record carried that the vault did not hold yet.
fn lookout<'v, 'a>(
    subjects: impl IntoIterator<Item = Pseudonym>,
    carried: impl Iterator<Item = &'a String>,
    vault: &'v dyn IdentityVault,
) -> Lookout<'v> {
    let mut lookout = Lookout::of(vault, subjects);
    // What the record carried is usually in the vault already (it was stored by an earlier event): only the rest
    // needs a searcher of its own, built for this record. (Usually nothing is carried: no allocation.)
    let mut carried: Vec<&str> = carried.map(String::as_str).collect();
    if !carried.is_empty() {
        carried.retain(|v| !lookout.holds(v));
        lookout.carry(carried);
    }
    lookout
}

fn compile(config: &PolicyConfig) -> Result<Policy, PipelineError> {
    let scanner = Scanner::new(&config.identifier_patterns).map_err(|e| {
        PipelineError::Config(format!(
            "an entry of privacy identifier_patterns is not a valid regular expression: {e}"
        ))
    })?;
    Ok(Policy {
        config: config.clone(),
        roles: Roles::new(config),
        scanner,
    })
}

/// Scans every remaining property (its name unless it is a fixed one, and its text, nested values too); returns
/// the number of spans replaced. Values without findings stay as they were sent.
fn scan_props(props: &mut [Prop<'_>], scanner: &Scanner, known: &Lookout<'_>) -> usize {
    let mut count = 0;
    for prop in props {
        if !prop.fixed_name
            && let Some((clean, _)) = scanner.redact(&prop.name, known)
        {
            prop.name = clean.into();
            count += 1;
        }
        count += match &mut prop.value {
            Val::Json(value) => scan_value(value, scanner, known),
            Val::Raw(raw) => {
                let raw = *raw;
                match raw.kind() {
                    JsonKind::String => {
                        let text = raw.as_str().unwrap_or_default();
                        match scanner.redact(&text, known) {
                            Some((clean, findings)) => {
                                prop.value = Val::Json(Value::String(clean));
                                findings.len()
                            }
                            None => 0,
                        }
                    }
                    JsonKind::Array | JsonKind::Object => {
                        let mut value = raw.to_value();
                        let n = scan_value(&mut value, scanner, known);
                        // Without findings, the value is copied as it was sent.
                        if n > 0 {
                            prop.value = Val::Json(value);
                        }
                        n
                    }
                    _ => 0,
                }
            }
        };
    }
    count
}

fn scan_value(value: &mut Value, scanner: &Scanner, known: &Lookout<'_>) -> usize {
    match value {
        Value::String(text) => match scanner.redact(text, known) {
            Some((clean, findings)) => {
                *text = clean;
                findings.len()
            }
            None => 0,
        },
        Value::Array(items) => items
            .iter_mut()
            .map(|v| scan_value(v, scanner, known))
            .sum(),
        Value::Object(map) => {
            let mut count = 0;
            let renamed: Vec<(String, String)> = map
                .keys()
                .filter_map(|k| {
                    scanner
                        .redact(k, known)
                        .map(|(clean, _)| (k.clone(), clean))
                })
                .collect();
            for (old, new) in renamed {
                if let Some(v) = map.remove(&old) {
                    map.insert(new, v);
                    count += 1;
                }
            }
            for value in map.values_mut() {
                count += scan_value(value, scanner, known);
            }
            count
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
