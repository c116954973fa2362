//! The privacy pipeline benchmark: realistic Mixpanel events, on one core, from a request body's JSON text (a
//! batch of events, as the SDKs send them) to the request's encoded write-ahead-log entry — parse, every
//! transform (vault pseudonyms, policy, personal fields, GeoIP location with k-anonymity, user agent,
//! referrer/URL, free-text scan), encode (one entry per request, as the store's writer makes it) — with a
//! breakdown per step.
//!
//! The real identity vault (SQLite, XChaCha20-Poly1305) is used, in a temporary directory. Two passes: *cold*
//! (every person is new: pseudonyms and data keys are created, and no place or client combination is published
//! yet, so every event's precise values are sealed) and *warm* (people seen before, and the values `k` people
//! share published, as the store's publication would: the steady state of a running product). The totals come
//! from passes without the per-step clock, the breakdown from one with it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use comfy_table::{Cell, CellAlignment, Table, presets::ASCII_MARKDOWN};
use privet_config::PrivacyConfig;
use privet_ingest::Document;
use privet_ingest::limits::Limits;
use privet_ingest::mixpanel::events::{self, Mode};
use privet_model::withheld::Dimension;
use privet_model::{EventRow, ProjectId, RawEvent};
use privet_pipeline::{Batch, EventContext, Pipeline, Step, VaultSession};
use privet_store::wal::WalEntry;
use privet_vault::crypto::Key;
use privet_vault::{Ticket, Vault};

use crate::events::{Format, Templates};

#[derive(clap::Args)]
pub struct PipelineArgs {
    /// Events per pass.
    #[arg(long, default_value_t = 200_000)]
    events: u64,
    /// Events per request body (a JSON array), as SDKs batch them (the Mixpanel SDKs send up to 50).
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// Distinct people in the events.
    #[arg(long, default_value_t = 20_000)]
    people: u32,
    /// Warm passes (the fastest one is reported); more of them make a profile of the steady state.
    #[arg(long, default_value_t = 2)]
    warm_passes: u32,
    /// A MaxMind-format city database (without one, the location step only strips addresses).
    #[arg(long)]
    geoip: Option<PathBuf>,
}

const PROJECT: ProjectId = ProjectId(1);

pub fn run(args: PipelineArgs) -> anyhow::Result<()> {
    let templates = Templates::new(Format::Mixpanel, 8192, args.people, "token", 3);
    let numbers: Vec<u64> = (0..args.events).collect();
    let bodies: Vec<String> = numbers
        .chunks(args.batch.max(1))
        .map(|chunk| {
            let mut body = String::from("[");
            for (i, n) in chunk.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                templates.write(&mut body, "bench", *n);
            }
            body.push(']');
            body
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let vault = Vault::open(dir.path(), Key::random())?;
    let config = PrivacyConfig {
        geoip: args.geoip.clone(),
        ..Default::default()
    };
    let pipeline = Pipeline::new(config, Box::new(|_| None))?;
    let limits = Limits::default();

    // What the store would count: the people behind each withheld value (filled by the cold pass).
    let mut sightings: HashMap<(Dimension, String), HashSet<i64>> = HashMap::new();
    // One vault session and one pipeline batch per request body, as the server makes them. Without `probe` no
    // clock is read per event (two readings cost about 45 ns, over 1% of an event); the cold pass reads it around
    // the counting it does for publication, which is not the pipeline's work.
    let run_pass = |probe: Option<&mut [Duration; Step::ALL.len() + 2]>,
                    mut tally: Option<&mut HashMap<(Dimension, String), HashSet<i64>>>|
     -> anyhow::Result<Duration> {
        let ctx = EventContext::default();
        let started = Instant::now();
        let mut counting = Duration::ZERO;
        let mut ticket = Ticket::default();
        let mut times = probe;
        for body in &bodies {
            let session = VaultSession::new(&vault);
            let mut batch = pipeline.batch();
            let raws = timed(times.as_deref_mut().map(|t| &mut t[0]), || {
                parse(body, &limits)
            });
            let mut rows = Vec::with_capacity(raws.len());
            for raw in raws {
                let event = match times.as_deref_mut() {
                    Some(times) => probed(&mut batch, &ctx, raw, &session, times),
                    None => batch.event(PROJECT, &ctx, raw, &session),
                };
                if let (Some(tally), Some(event)) = (tally.as_deref_mut(), &event) {
                    timed(Some(&mut counting), || count(&vault, event, tally));
                }
                timed(times.as_deref_mut().map(|t| &mut t[ENCODE]), || {
                    rows.extend(event.map(row))
                });
            }
            drop(batch);
            ticket.join(session.finish()?);
            // One log entry per request, as the store's writer makes it.
            timed(times.as_deref_mut().map(|t| &mut t[ENCODE]), || {
                std::hint::black_box(encode(rows).len())
            });
        }
        let elapsed = started.elapsed() - counting;
        vault.sync_blocking(ticket)?;
        Ok(elapsed)
    };

    eprintln!(
        "cold pass over {} events ({} people, all new)…",
        args.events, args.people
    );
    let cold = run_pass(None, Some(&mut sightings))?;
    // As the store's publication would: every place and client combination shared by k people is published.
    let k = pipeline.policy(PROJECT).k;
    let published: Vec<(Dimension, String)> = sightings
        .into_iter()
        .filter(|(_, people)| people.len() >= k)
        .map(|(key, _)| key)
        .collect();
    vault.publish(PROJECT.0, &published);
    eprintln!("warm passes ({} values published)…", published.len());
    let mut warm = Duration::MAX;
    for _ in 0..args.warm_passes.max(1) {
        warm = warm.min(run_pass(None, None)?);
    }
    let mut breakdown = [Duration::ZERO; Step::ALL.len() + 2];
    run_pass(Some(&mut breakdown), None)?;

    let per_sec = |d: Duration| args.events as f64 / d.as_secs_f64();
    let mut summary = Table::new();
    summary.load_preset(ASCII_MARKDOWN).set_header([
        "pass",
        "events/s on one core",
        "µs per event",
    ]);
    for (name, d) in [
        ("cold (new people)", cold),
        ("warm (people seen before)", warm),
    ] {
        summary.add_row([
            Cell::new(name),
            Cell::new(format!("{:.0}", per_sec(d))).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.2}", d.as_secs_f64() * 1e6 / args.events as f64))
                .set_alignment(CellAlignment::Right),
        ]);
    }
    println!("{summary}\n");

    let mut steps = Table::new();
    steps.load_preset(ASCII_MARKDOWN).set_header([
        "step (warm, with per-step clock)",
        "ns per event",
        "share",
    ]);
    let total: Duration = breakdown.iter().sum();
    let names = std::iter::once("parse JSON + decode")
        .chain(Step::ALL.iter().map(|s| s.name()))
        .chain(std::iter::once("encode the log entry"));
    for (name, d) in names.zip(breakdown) {
        steps.add_row([
            Cell::new(name),
            Cell::new(format!("{:.0}", d.as_secs_f64() * 1e9 / args.events as f64))
                .set_alignment(CellAlignment::Right),
            Cell::new(format!(
                "{:.1}%",
                100.0 * d.as_secs_f64() / total.as_secs_f64()
            ))
            .set_alignment(CellAlignment::Right),
        ]);
    }
    println!("{steps}");
    let stats = pipeline.stats();
    println!(
        "\nWhat the pipeline did over all passes: {} fields vaulted, {} spans redacted, {} locations looked up, \
         {} coarsened, {} clients coarsened. GeoIP database: {}.",
        stats.fields_vaulted.get(),
        stats.spans_redacted.get(),
        stats.locations_looked_up.get(),
        stats.locations_coarsened.get(),
        stats.clients_coarsened.get(),
        args.geoip
            .as_ref()
            .map_or("none".into(), |p| p.display().to_string()),
    );
    Ok(())
}

/// The breakdown's slot for encoding (after parsing and the pipeline's steps).
const ENCODE: usize = Step::ALL.len() + 1;

/// Runs `f`, adding the time it took to `slot` when there is one (without a slot, no clock is read).
fn timed<R>(slot: Option<&mut Duration>, f: impl FnOnce() -> R) -> R {
    match slot {
        Some(slot) => {
            let started = Instant::now();
            let result = f();
            *slot += started.elapsed();
            result
        }
        None => f(),
    }
}

/// Minimises one event with the per-step clock: each step's time is added to `times` (after the parse's slot),
/// and what follows the last step (dropping the request's properties) counts with it.
fn probed(
    batch: &mut Batch<'_>,
    ctx: &EventContext,
    raw: RawEvent,
    session: &VaultSession<'_>,
    times: &mut [Duration; Step::ALL.len() + 2],
) -> Option<privet_model::MinimalEvent> {
    let mut last = Instant::now();
    let mut steps = [Duration::ZERO; Step::ALL.len()];
    let event = batch.event_probed(PROJECT, ctx, raw, session, &mut |step| {
        let now = Instant::now();
        let index = Step::ALL
            .iter()
            .position(|s| *s == step)
            .expect("a known step");
        steps[index] += now - last;
        last = now;
    });
    steps[Step::ALL.len() - 1] += last.elapsed();
    for (i, d) in steps.iter().enumerate() {
        times[i + 1] += *d;
    }
    event
}

/// Decodes one request body, as `/track` does.
fn parse(body: &str, limits: &Limits) -> Vec<RawEvent> {
    let document = Document::new(body, "body");
    let (good, bad) =
        events::decode(&document, Mode::Track, limits, 0).expect("generated events are JSON");
    assert!(bad.is_empty(), "generated events are valid");
    good.into_iter().map(|e| e.event).collect()
}

/// Counts the event's person under each withheld value it carries.
fn count(
    vault: &Vault,
    event: &privet_model::MinimalEvent,
    tally: &mut HashMap<(Dimension, String), HashSet<i64>>,
) {
    let (Some(sealed), Some(person)) = (&event.sealed, event.identity.distinct) else {
        return;
    };
    let withheld = vault
        .open_withheld(PROJECT.0, sealed)
        .expect("the vault opens its own seal");
    let mut dims = event.dims.clone();
    privet_model::withheld::restore(&mut dims, withheld.clone());
    for key in privet_model::withheld::keys(&dims, &withheld) {
        tally.entry(key).or_default().insert(person.0);
    }
}

/// The event as the write-ahead log stores it (the store resolves `person_id`; here it is the user id).
fn row(event: privet_model::MinimalEvent) -> EventRow {
    EventRow {
        time_us: event.time_us,
        name: event.name,
        insert_id: event.insert_id,
        person_id: event.identity.user.or(event.identity.distinct).map(|p| p.0),
        device_id: event.identity.device.map(|p| p.0),
        dims: event.dims,
        properties: event.properties,
        dedup_key: None,
        sealed: event.sealed,
    }
}

/// Encodes a request's events as the write-ahead log would.
fn encode(rows: Vec<EventRow>) -> Vec<u8> {
    WalEntry {
        project: PROJECT.0,
        events: rows,
        identity: Vec::new(),
        profiles: Vec::new(),
    }
    .encode()
}
