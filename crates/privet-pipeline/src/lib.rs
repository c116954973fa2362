//! The privacy pipeline: the transforms every event and profile update goes through, in memory, between being
//! decoded from the wire (`privet-ingest`) and being written (`privet-store`).
//!
//! ```text
//!  RawEvent ─▶ identity ─▶ personal ─▶ network ─▶ client ─▶ web ─▶ MinimalEvent
//!             (pseudonyms) (names,     (IPs)     (OS,      (referrer,
//!                           emails)              browser)   URL, UTM)
//! ```
//!
//! Each transform lives in its own module under [`transforms`] with its tests beside it. A transform takes the
//! properties it understands out of the event's property map and either turns them into a coarse column
//! ([`privet_model::Dimensions`]), a pseudonym, or nothing. Whatever is left is serialised as the `properties`
//! JSON column. Nothing in this crate logs or returns a raw value.

pub mod pseudonym;
pub mod transforms;

use std::net::IpAddr;
use std::sync::Arc;

use privet_config::PrivacyConfig;
use privet_model::{
    MinimalEvent, ProfileOp, ProfileTarget, ProfileUpdate, ProjectId, RawEvent, RawProfileTarget,
    RawProfileUpdate,
};
use serde_json::Value;

pub use pseudonym::{IdKind, KeyedPseudonymizer, Pseudonymizer};
use transforms::Working;

/// Facts about the request an event arrived in.
#[derive(Clone, Debug, Default)]
pub struct EventContext {
    pub project: Option<ProjectId>,
    /// The caller's address, when the caller asked for it to be used (`ip=1`) or a trusted proxy named it.
    pub client_ip: Option<IpAddr>,
    /// The request's `User-Agent` header.
    pub user_agent: Option<String>,
}

/// Why a profile update cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error(
        "has no usable id: `$distinct_id`, `$device_id` and `$user_id` are missing or placeholders"
    )]
    NoProfileId,
    #[error("`$group_id` is missing or a placeholder")]
    NoGroupId,
}

/// The configured pipeline. Cheap to share; one per server.
pub struct Pipeline {
    config: PrivacyConfig,
    pseudonyms: Arc<dyn Pseudonymizer>,
}

impl Pipeline {
    pub fn new(config: PrivacyConfig, pseudonyms: Arc<dyn Pseudonymizer>) -> Self {
        Pipeline { config, pseudonyms }
    }

    /// Minimises one event. `None` means the event asked to be dropped (`$ignore`).
    pub fn event(
        &self,
        project: ProjectId,
        ctx: &EventContext,
        raw: RawEvent,
    ) -> Option<MinimalEvent> {
        if raw.properties.get("$ignore").is_some_and(truthy) {
            return None;
        }
        let mut w = Working::new(raw);
        transforms::identity::apply(&mut w, project, &self.config, self.pseudonyms.as_ref());
        transforms::personal::apply(&mut w.props);
        transforms::network::apply(&mut w, ctx);
        transforms::client::apply(&mut w);
        transforms::web::apply(&mut w);
        Some(w.finish())
    }

    /// Minimises one profile update.
    pub fn profile(
        &self,
        project: ProjectId,
        raw: RawProfileUpdate,
    ) -> Result<ProfileUpdate, PipelineError> {
        let p = self.pseudonyms.as_ref();
        let target = match raw.target {
            RawProfileTarget::Person {
                distinct_id,
                device_id,
                user_id,
            } => {
                let identity = transforms::identity::person_ids(
                    project,
                    p,
                    distinct_id.as_deref(),
                    device_id.as_deref(),
                    user_id.as_deref(),
                );
                if identity.is_empty() {
                    return Err(PipelineError::NoProfileId);
                }
                ProfileTarget::Person(identity)
            }
            RawProfileTarget::Group { key, id } => {
                let id = privet_model::ids::real_id(&id).ok_or(PipelineError::NoGroupId)?;
                ProfileTarget::Group {
                    id: p.pseudonym(project, IdKind::Group(&key), id),
                    key,
                }
            }
        };
        let ops = raw
            .ops
            .into_iter()
            .map(|(kind, arg)| {
                let arg = match arg {
                    Value::Object(mut props) => {
                        transforms::personal::apply(&mut props);
                        transforms::network::strip_profile(&mut props);
                        transforms::identity::pseudonymize_properties(
                            &mut props,
                            project,
                            &self.config,
                            p,
                        );
                        Value::Object(props)
                    }
                    other => other,
                };
                ProfileOp {
                    kind,
                    payload: arg.to_string(),
                }
            })
            .collect();
        Ok(ProfileUpdate {
            target,
            time_us: raw.time_us,
            ops,
        })
    }
}

/// Mixpanel's notion of "true" for flags such as `$ignore`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true") || s == "1",
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
