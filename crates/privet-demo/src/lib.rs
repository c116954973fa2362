//! Realistic demo dataset for Privet, generated through the real ingestion pipeline.
//!
//! The dataset is an API platform's dashboard usage (`privet demo`, `privet serve --demo`): organisations of 1 to
//! 50 people with Zipf-like sizes, people with real-looking names and emails who each keep one browser and one
//! address from one of forty countries, a sign-up → API key → first API call → upgrade funnel with realistic
//! delays, and weekly sessions with decaying retention. It is deterministic for a given seed, span and size.
//!
//! * [`names`], [`places`], [`clients`], [`web`] — the built-in word lists, address ranges, user agents,
//!   referrers and URLs;
//! * [`population`] — organisations and their members;
//! * [`behaviour`] — what each member does, as Mixpanel events;
//! * [`generate`] — the dataset, organisation by organisation, cut at the target number of events;
//! * [`load`] — sending it through `privet-ingest`'s `/import`, `/engage` and `/groups` path into a data
//!   directory, in parallel, with a progress bar.

pub mod behaviour;
pub mod clients;
pub mod generate;
pub mod load;
pub mod names;
pub mod places;
pub mod population;
mod progress;
pub mod random;
pub mod web;

#[cfg(test)]
mod tests;

pub use behaviour::EVENT_NAMES;
pub use generate::{Budget, Dataset, OrgChunk, generate, org_chunk};
pub use load::{LoadError, Summary, load, stored_events};

/// The default number of events.
pub const DEFAULT_EVENTS: u64 = 200_000;
/// The default seed.
pub const DEFAULT_SEED: u64 = 1;
/// The default span, in days.
pub const DEFAULT_DAYS: u32 = 90;

const DAY_MS: i64 = 86_400_000;

/// The time span the events fall in: `start_ms < time < end_ms` (milliseconds since 1970, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    /// The number of events; people are generated until it is reached, the last one possibly cut short.
    pub events: u64,
    pub seed: u64,
    /// The span's length in days (at least 1).
    pub days: u32,
    /// The span's end (exclusive), milliseconds since 1970.
    pub end_ms: i64,
}

impl Default for DemoOptions {
    /// 200,000 events, seed 1, the 90 days up to now.
    fn default() -> Self {
        DemoOptions {
            events: DEFAULT_EVENTS,
            seed: DEFAULT_SEED,
            days: DEFAULT_DAYS,
            end_ms: privet_model::time::now_us() / 1_000,
        }
    }
}

impl DemoOptions {
    /// The `days` days ending at `end_ms`.
    pub fn span(&self) -> Span {
        Span {
            start_ms: self.end_ms - i64::from(self.days.max(1)) * DAY_MS,
            end_ms: self.end_ms,
        }
    }
}

/// The end of the span for `--end YYYY-MM-DD`: the end of that day (UTC), so that the day is part of the span.
pub fn end_of_day(date: &str) -> Result<i64, String> {
    let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{date}` is not a date; write it as YYYY-MM-DD, e.g. 2025-11-23"))?;
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis();
    Ok(midnight + DAY_MS)
}
