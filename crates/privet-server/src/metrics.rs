//! HTTP-level metrics: requests by route and status, query latency.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of the request counter: the route pattern (never the full URL) and the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone)]
pub struct HttpMetrics {
    pub requests: Family<RequestLabels, Counter>,
    pub query_seconds: Histogram,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            requests: Family::default(),
            query_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
        }
    }
}

impl HttpMetrics {
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("privet_http");
        r.register(
            "requests",
            "HTTP requests by route and status",
            self.requests.clone(),
        );
        let q = registry.sub_registry_with_prefix("privet_query");
        q.register(
            "seconds",
            "Time to run one SQL query",
            self.query_seconds.clone(),
        );
    }
}
