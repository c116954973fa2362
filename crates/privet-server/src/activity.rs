//! What the privacy pipeline did, hour by hour: the dashboard's "last 24 hours" (fields vaulted, spans
//! redacted, locations looked up and coarsened, clients coarsened).
//!
//! The pipeline counts since the process started (`privet_pipeline_*` metrics). Every minute, and whenever the
//! dashboard asks, the increase since the last sample is added to the current hour's bucket; buckets older than
//! 24 hours are dropped. The buckets are kept in `pipeline-activity.json` in the data directory (counts only),
//! so a restart does not empty the page.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use privet_pipeline::PipelineStats;
use serde::{Deserialize, Serialize};

const FILE: &str = "pipeline-activity.json";
const HOURS: i64 = 24;

/// The counters of one hour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub fields_vaulted: u64,
    pub spans_redacted: u64,
    pub locations_looked_up: u64,
    pub locations_coarsened: u64,
    pub clients_coarsened: u64,
}

impl Counts {
    fn of(stats: &PipelineStats) -> Counts {
        Counts {
            fields_vaulted: stats.fields_vaulted.get(),
            spans_redacted: stats.spans_redacted.get(),
            locations_looked_up: stats.locations_looked_up.get(),
            locations_coarsened: stats.locations_coarsened.get(),
            clients_coarsened: stats.clients_coarsened.get(),
        }
    }

    fn zip(self, other: Counts, f: impl Fn(u64, u64) -> u64) -> Counts {
        Counts {
            fields_vaulted: f(self.fields_vaulted, other.fields_vaulted),
            spans_redacted: f(self.spans_redacted, other.spans_redacted),
            locations_looked_up: f(self.locations_looked_up, other.locations_looked_up),
            locations_coarsened: f(self.locations_coarsened, other.locations_coarsened),
            clients_coarsened: f(self.clients_coarsened, other.clients_coarsened),
        }
    }
}

/// One hour's bucket: the hour (seconds since the epoch, a multiple of 3600) and its counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hour {
    pub hour: i64,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Default, Serialize, Deserialize)]
struct State {
    hours: Vec<Hour>,
    #[serde(skip)]
    last: Counts,
}

/// The hourly record.
pub struct Activity {
    path: PathBuf,
    state: Mutex<State>,
}

impl Activity {
    /// Loads the record of `data_dir` (empty when there is none or it cannot be read).
    pub fn open(data_dir: &Path) -> Activity {
        let path = data_dir.join(FILE);
        let state = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Activity {
            path,
            state: Mutex::new(state),
        }
    }

    /// Adds what `stats` counted since the last sample to the hour of `now` (seconds since the epoch).
    pub fn sample(&self, stats: &PipelineStats, now: i64) {
        let current = Counts::of(stats);
        let mut state = self.state.lock();
        let delta = current.zip(state.last, u64::saturating_sub);
        state.last = current;
        let hour = now - now.rem_euclid(3600);
        state.hours.retain(|h| h.hour > hour - HOURS * 3600);
        match state.hours.iter_mut().find(|h| h.hour == hour) {
            Some(h) => h.counts = h.counts.zip(delta, u64::saturating_add),
            None => state.hours.push(Hour {
                hour,
                counts: delta,
            }),
        }
    }

    /// The last 24 hours, oldest first, and their totals.
    pub fn last_day(&self, now: i64) -> (Vec<Hour>, Counts) {
        let state = self.state.lock();
        let from = now - now.rem_euclid(3600) - (HOURS - 1) * 3600;
        let hours: Vec<Hour> = state
            .hours
            .iter()
            .filter(|h| h.hour >= from)
            .copied()
            .collect();
        let total = hours.iter().fold(Counts::default(), |acc, h| {
            acc.zip(h.counts, u64::saturating_add)
        });
        (hours, total)
    }

    /// Writes the record (atomically: a temporary file renamed into place).
    pub fn save(&self) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(&*self.state.lock())?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_hours_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let stats = PipelineStats::default();
        let activity = Activity::open(dir.path());
        let t0 = 1_000 * 3600;
        stats.fields_vaulted.inc_by(3);
        activity.sample(&stats, t0 + 10);
        stats.fields_vaulted.inc_by(2);
        stats.spans_redacted.inc();
        activity.sample(&stats, t0 + 20);
        stats.spans_redacted.inc_by(4);
        activity.sample(&stats, t0 + 3600);
        let (hours, total) = activity.last_day(t0 + 3600);
        assert_eq!(hours.len(), 2);
        assert_eq!(hours[0].counts.fields_vaulted, 5);
        assert_eq!(hours[0].counts.spans_redacted, 1);
        assert_eq!(hours[1].counts.spans_redacted, 4);
        assert_eq!(total.spans_redacted, 5);
        activity.save().unwrap();

        // A new process starts counting from zero again; nothing is lost or counted twice.
        let restarted = Activity::open(dir.path());
        let fresh = PipelineStats::default();
        fresh.fields_vaulted.inc();
        restarted.sample(&fresh, t0 + 3700);
        let (_, total) = restarted.last_day(t0 + 3700);
        assert_eq!(total.fields_vaulted, 6);
        // A day later the old hours are gone.
        let (hours, _) = restarted.last_day(t0 + 26 * 3600);
        assert!(hours.is_empty());
    }
}
