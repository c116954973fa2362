//! Breach response: from "a vendor leaked a dataset" to "everyone affected knows, and so does the authority".
//!
//! ```text
//!  leaked files ──leak──▶ records ──assess──▶ Assessment ──▶ notices (privet-notify), authority report
//!                            ▲   vault + accounts file + canary ledger
//! ```
//!
//! * [`incident`]: incidents, their timeline (detected, aware, processor/authority/people notified) and the
//!   72-hour deadline of GDPR Art. 33; the incident database `<data-dir>/incidents/incidents.sqlite`.
//! * [`leak`]: reading a leaked dataset (CSV, JSON, NDJSON, Mixpanel exports) and mapping its columns to
//!   [`DataCategory`]s.
//! * [`assess`]: matching every leaked record against the vault and the accounts file; who is affected, what
//!   was exposed, how risky it is.
//! * [`canary`]: synthetic identities planted per destination, and attribution of a leak to where it came from.
//! * [`authority`]: the Art. 33(3) notification draft, per member state.
//! * [`range`]: the k-anonymous "am I affected?" lookup.
//!
//! Nothing here keeps a raw identifier outside the vault: assessments hold pseudonyms, keyed hashes and masked
//! addresses; notices are addressed at send time from the vault or the accounts file.

pub mod assess;
pub mod assessment;
pub mod authority;
pub mod canary;
pub mod incident;
pub mod leak;
pub mod range;

pub use assessment::{
    AffectedOrganisation, AffectedPerson, Assessment, CanaryFinding, ColumnUse, MatchRule, Risk,
    RiskLevel, SourceSummary,
};
pub use incident::{Incident, IncidentStore, IncidentUpdate};
pub use privet_model::DataCategory;

/// Errors of breach response. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BreachError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is no incident {0}; `privet incident list` shows them")]
    NoIncident(i64),
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the incident database failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the identity vault failed: {0}")]
    Vault(#[from] privet_vault::VaultError),
    #[error("I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = BreachError> = std::result::Result<T, E>;
