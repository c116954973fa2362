//! Privet's shared data model.
//!
//! These are the types that flow between the crates of the ingestion path:
//!
//! ```text
//!  privet-ingest (sources)  ──RawEvent──▶  privet-pipeline (transforms)  ──MinimalEvent──▶  privet-store (sink)
//! ```
//!
//! Everything in this crate *after* the pipeline ([`MinimalEvent`], [`ProfileUpdate`], [`EventRow`]) is
//! already minimised: identifiers are [`Pseudonym`]s, locations are coarse, free text has been scanned.
//! Nothing here performs I/O.

pub mod byteset;
pub mod category;
pub mod event;
pub mod identity;
pub mod ids;
pub mod json;
pub mod profile;
pub mod project;
pub mod swar;
pub mod time;
pub mod withheld;

pub use category::DataCategory;
pub use event::{Dim, Dimensions, EventRow, MinimalEvent, RawEvent};
pub use identity::{EventIdentity, IdentityOp, Pseudonym};
pub use json::{JsonKind, JsonText, RawJson, RawProperties};
pub use profile::{
    ProfileOp, ProfileOpKind, ProfileTarget, ProfileUpdate, RawProfileTarget, RawProfileUpdate,
};
pub use project::ProjectId;
