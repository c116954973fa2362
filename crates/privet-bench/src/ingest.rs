//! The ingestion benchmark: phases of HTTP load against a running server, each measured for acknowledged
//! events per second, acknowledgement latency, and the server's memory and CPU.
//!
//! Two kinds of load:
//! * **closed loop** (`connections` senders, each sending its next batch as soon as the last one is acknowledged):
//!   the maximum sustained throughput;
//! * **open loop** (batches scheduled at a fixed rate whether or not earlier ones have been answered): the latency
//!   a fleet of SDKs sees at that rate. Latency is measured from the *scheduled* send time, so a stalled server
//!   cannot hide its stall by delaying the requests that would have measured it (no coordinated omission).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::events::{Format, Templates};
use crate::server::Usage;

/// Where a phase sends its batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /import`, JSON array body, HTTP Basic with the key (the server-side SDKs' bulk path).
    Import,
    /// `POST /v1/events`, NDJSON body, Bearer key.
    Native,
    /// `POST /track/?ip=1&verbose=1`, form body `data=<base64>` (what `mixpanel-browser` sends).
    Track,
}

impl Endpoint {
    pub fn label(self) -> &'static str {
        match self {
            Endpoint::Import => "/import",
            Endpoint::Native => "/v1/events",
            Endpoint::Track => "/track",
        }
    }

    fn format(self) -> Format {
        match self {
            Endpoint::Native => Format::Native,
            Endpoint::Import | Endpoint::Track => Format::Mixpanel,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Load {
    Closed { connections: usize },
    Rate { events_per_sec: u64 },
}

#[derive(Clone, Debug)]
pub struct Phase {
    pub endpoint: Endpoint,
    pub batch: usize,
    pub load: Load,
    pub duration: Duration,
}

/// What one phase measured.
pub struct PhaseResult {
    pub phase: Phase,
    pub acked_events: u64,
    pub failed_requests: u64,
    pub elapsed: Duration,
    /// Sorted acknowledgement latencies, one per request.
    pub latencies: Vec<Duration>,
    pub peak_rss_bytes: u64,
    pub server_cpu_seconds: f64,
}

impl PhaseResult {
    pub fn events_per_sec(&self) -> f64 {
        self.acked_events as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

/// Everything a sender needs; shared by all tasks of a run.
pub struct Target {
    pub client: reqwest::Client,
    pub url: String,
    pub key: String,
    pub run: String,
    next: AtomicU64,
}

impl Target {
    pub fn new(url: &str, key: &str, run: &str) -> Target {
        Target {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(1024)
                .timeout(Duration::from_secs(60))
                .build()
                .expect("the HTTP client builds"),
            url: url.to_string(),
            key: key.to_string(),
            run: run.to_string(),
            next: AtomicU64::new(0),
        }
    }

    /// How many events have been handed out so far (acknowledged or not).
    pub fn events_sent(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }

    fn body(&self, templates: &Templates, batch: usize) -> String {
        let first = self.next.fetch_add(batch as u64, Ordering::Relaxed);
        let mut out = String::with_capacity(batch * 700);
        match templates.format() {
            Format::Native => {
                for n in first..first + batch as u64 {
                    templates.write(&mut out, &self.run, n);
                    out.push('\n');
                }
            }
            Format::Mixpanel => {
                out.push('[');
                for n in first..first + batch as u64 {
                    if n != first {
                        out.push(',');
                    }
                    templates.write(&mut out, &self.run, n);
                }
                out.push(']');
            }
        }
        out
    }

    /// Sends one batch; returns the number of events the server acknowledged.
    async fn send(&self, endpoint: Endpoint, templates: &Templates, batch: usize) -> Option<u64> {
        let body = self.body(templates, batch);
        let request = match endpoint {
            Endpoint::Import => self
                .client
                .post(format!("{}/import", self.url))
                .basic_auth(&self.key, Some(""))
                .header("content-type", "application/json")
                .body(body),
            Endpoint::Native => self
                .client
                .post(format!("{}/v1/events", self.url))
                .bearer_auth(&self.key)
                .header("content-type", "application/x-ndjson")
                .body(body),
            Endpoint::Track => {
                let form = format!("data={}", urlencode(&STANDARD.encode(body)));
                self.client
                    .post(format!("{}/track/?ip=1&verbose=1", self.url))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form)
            }
        };
        let response = request.send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let json: Value = response.json().await.ok()?;
        let acked = match endpoint {
            Endpoint::Import => json["num_records_imported"].as_u64(),
            Endpoint::Native => json["accepted"].as_u64(),
            Endpoint::Track => (json["status"] == 1).then_some(batch as u64),
        }?;
        (acked == batch as u64).then_some(acked)
    }
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// Counters shared by a phase's senders.
#[derive(Default)]
struct Stats {
    acked: AtomicU64,
    failed: AtomicU64,
    latencies: std::sync::Mutex<Vec<Duration>>,
}

impl Stats {
    fn record(&self, result: Option<u64>, latency: Duration) {
        match result {
            Some(n) => {
                self.acked.fetch_add(n, Ordering::Relaxed);
                self.latencies.lock().expect("not poisoned").push(latency);
            }
            None => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Runs one phase against `target` while sampling the server process `pid`.
pub async fn run_phase(
    target: Arc<Target>,
    token_templates: Arc<Templates>,
    native_templates: Arc<Templates>,
    phase: Phase,
    pid: u32,
) -> anyhow::Result<PhaseResult> {
    let templates = match phase.endpoint.format() {
        Format::Native => native_templates,
        Format::Mixpanel => token_templates,
    };
    let stats = Arc::new(Stats::default());
    let sampling = Arc::new(AtomicU64::new(1));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (sampling, peak) = (sampling.clone(), peak.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) == 1 {
                peak.fetch_max(Usage::read(pid).rss_bytes, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let cpu_before = Usage::read(pid).cpu_seconds;
    let started = Instant::now();
    let deadline = started + phase.duration;
    match phase.load {
        Load::Closed { connections } => {
            let tasks: Vec<_> = (0..connections)
                .map(|_| {
                    let (target, templates, stats) =
                        (target.clone(), templates.clone(), stats.clone());
                    let (endpoint, batch) = (phase.endpoint, phase.batch);
                    tokio::spawn(async move {
                        while Instant::now() < deadline {
                            let sent = Instant::now();
                            let result = target.send(endpoint, &templates, batch).await;
                            stats.record(result, sent.elapsed());
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await?;
            }
        }
        Load::Rate { events_per_sec } => {
            if events_per_sec == 0 {
                bail!("the rate must be above zero");
            }
            let period = Duration::from_secs_f64(phase.batch as f64 / events_per_sec as f64);
            let in_flight = Arc::new(Semaphore::new(4096));
            let trace = std::env::var_os("BENCH_TRACE_SLOW").is_some();
            let mut tasks = Vec::new();
            let mut scheduled = started;
            while scheduled < deadline {
                tokio::time::sleep_until(scheduled.into()).await;
                let permit = in_flight.clone().acquire_owned().await?;
                let (target, templates, stats) = (target.clone(), templates.clone(), stats.clone());
                let (endpoint, batch) = (phase.endpoint, phase.batch);
                let at = scheduled;
                tasks.push(tokio::spawn(async move {
                    let result = target.send(endpoint, &templates, batch).await;
                    let latency = at.elapsed();
                    if trace && latency > Duration::from_millis(50) {
                        eprintln!(
                            "slow: scheduled at {:.3} s, answered in {:.0} ms",
                            (at - started).as_secs_f64(),
                            latency.as_secs_f64() * 1e3
                        );
                    }
                    stats.record(result, latency);
                    drop(permit);
                }));
                scheduled += period;
            }
            for task in tasks {
                task.await?;
            }
        }
    }
    let elapsed = started.elapsed();
    let server_cpu_seconds = Usage::read(pid).cpu_seconds - cpu_before;
    sampling.store(0, Ordering::Relaxed);
    sampler.await?;
    let mut latencies = std::mem::take(&mut *stats.latencies.lock().expect("not poisoned"));
    latencies.sort_unstable();
    Ok(PhaseResult {
        phase,
        acked_events: stats.acked.load(Ordering::Relaxed),
        failed_requests: stats.failed.load(Ordering::Relaxed),
        elapsed,
        latencies,
        peak_rss_bytes: peak.load(Ordering::Relaxed),
        server_cpu_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let result = PhaseResult {
            phase: Phase {
                endpoint: Endpoint::Import,
                batch: 1,
                load: Load::Closed { connections: 1 },
                duration: Duration::from_secs(1),
            },
            acked_events: 100,
            failed_requests: 0,
            elapsed: Duration::from_secs(2),
            latencies: (1..=100).map(Duration::from_millis).collect(),
            peak_rss_bytes: 0,
            server_cpu_seconds: 0.0,
        };
        assert_eq!(result.percentile(50.0), Duration::from_millis(50));
        assert_eq!(result.percentile(99.0), Duration::from_millis(99));
        assert_eq!(result.percentile(100.0), Duration::from_millis(100));
        assert_eq!(result.events_per_sec(), 50.0);
    }
}
