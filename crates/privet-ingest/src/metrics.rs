//! Ingestion metrics: records accepted, and rejected by reason. Labels are fixed reason codes, never values.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// The label of a rejection counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Rejection {
    pub endpoint: &'static str,
    pub reason: &'static str,
}

/// The label of an acceptance counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Endpoint {
    pub endpoint: &'static str,
}

/// Counters kept by the ingestion service.
#[derive(Clone, Default)]
pub struct IngestMetrics {
    pub accepted: Family<Endpoint, Counter>,
    pub rejected: Family<Rejection, Counter>,
    pub ignored: Counter,
}

impl IngestMetrics {
    /// Registers the counters under `privet_ingest_*`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("privet_ingest");
        r.register(
            "records_accepted",
            "Records accepted (stored, deduplicated or applied)",
            self.accepted.clone(),
        );
        r.register(
            "records_rejected",
            "Records or requests rejected, by reason",
            self.rejected.clone(),
        );
        r.register(
            "events_ignored",
            "Events dropped because they carried $ignore",
            self.ignored.clone(),
        );
    }

    /// Counts a rejection.
    pub fn reject(&self, endpoint: &'static str, reason: &'static str, count: u64) {
        self.rejected
            .get_or_create(&Rejection { endpoint, reason })
            .inc_by(count);
    }
}
