//! Privet's sources: turning what SDKs send into events and profile updates, and handing them to the privacy
//! pipeline and the store.
//!
//! * [`body`] — the transport layer shared by every endpoint: gzip, size limits, form / JSON / `text/plain`
//!   bodies, the `data` parameter as JSON or (lenient) base64, and the `verbose`, `ip`, `strict` flags;
//! * [`mixpanel`] — Mixpanel's records: `/track` and `/import` events, `/engage` people updates and `/groups`
//!   updates, validated record by record so that one bad record never loses the good ones;
//! * [`native`] — Privet's own NDJSON format for high-volume senders;
//! * [`service`] — finding the project (token or key), running the pipeline and writing durably.
//!
//! This crate knows nothing about HTTP: `privet-server` adapts requests to [`body::WireRequest`] and turns the
//! results into responses, and `privet demo` uses the same path without a network.

pub mod body;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod mixpanel;
pub mod native;
pub mod service;

pub use body::{Document, Params, Payload, WireRequest};
pub use error::{IngestError, RecordError};
pub use service::{Auth, IngestResult, IngestService};
