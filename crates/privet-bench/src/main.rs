//! `privet-bench`: benchmarks that print tables. `ingest` starts the real `privet serve` on 127.0.0.1 and loads
//! it over HTTP the way SDKs do; `pipeline` runs the privacy pipeline in-process on one core. Run them through
//! the scripts in `bench/` (they build the release binaries first). `breach` times `privet breach assess` on a
//! million leaked records against a million known people.
//!
//! Benchmarks measure; they never assert a time. The only thing `privet-bench` checks is that the work it timed
//! was real: every acknowledged event must be in the store afterwards.

/// mimalloc rather than the system allocator: queries, ingestion and the pipeline allocate many short-lived
/// buffers from several threads, where glibc's malloc spent a measurable share of the time (see the README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod breach;
mod events;
mod ingest;
mod pipeline;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use comfy_table::{Cell, CellAlignment, Table, presets::ASCII_MARKDOWN};

use crate::events::{Format, Templates};
use crate::ingest::{Endpoint, Load, Phase, PhaseResult, Target};
use crate::server::Server;

#[derive(Parser)]
#[command(
    name = "privet-bench",
    version,
    about = "Benchmarks for Privet; they print tables, never assert times."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ingestion over HTTP: maximum sustained events/s through /import and /v1/events, and acknowledgement
    /// latency at a fixed rate through /import, /v1/events and /track.
    Ingest(IngestArgs),
    /// The privacy pipeline on one core: JSON → every transform → encoded log record, per step.
    Pipeline(pipeline::PipelineArgs),
    /// Breach assessment: a million leaked records against a million known people, and DuckDB's join.
    Breach(breach::BreachArgs),
}

#[derive(clap::Args)]
struct IngestArgs {
    /// The `privet` binary to benchmark (default: `privet` next to this program).
    #[arg(long)]
    privet: Option<PathBuf>,
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 15)]
    duration: u64,
    /// Concurrent senders in the throughput phases.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Events per request in the throughput phases (Mixpanel's /import takes up to 2000).
    #[arg(long, default_value_t = 2000)]
    batch: usize,
    /// Events per second in the latency phases.
    #[arg(long, default_value_t = 20_000)]
    rate: u64,
    /// Events per request in the latency phases (SDKs flush 50 at a time).
    #[arg(long, default_value_t = 50)]
    rate_batch: usize,
    /// Distinct people in the generated events.
    #[arg(long, default_value_t = 50_000)]
    people: u32,
    /// Keep the data directory here instead of a temporary one.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ingest(args) => ingest(args),
        Command::Pipeline(args) => pipeline::run(args),
        Command::Breach(args) => breach::run(args),
    }
}

fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    let bin = match args.privet {
        Some(bin) => bin,
        None => std::env::current_exe()?
            .parent()
            .context("this program has no directory")?
            .join("privet"),
    };
    let temp = tempfile::tempdir()?;
    let data_dir = args.data_dir.unwrap_or_else(|| temp.path().join("data"));
    let server = Server::start(&bin, &data_dir, &[])?;
    let key = server.create_key("ingest")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let run = format!("bench{}", std::process::id());
    let target = Arc::new(Target::new(&server.url, &key, &run));
    let mixpanel = Arc::new(Templates::new(
        Format::Mixpanel,
        4096,
        args.people,
        &server.token,
        1,
    ));
    let native = Arc::new(Templates::new(
        Format::Native,
        4096,
        args.people,
        &server.token,
        2,
    ));
    let duration = Duration::from_secs(args.duration);
    let closed = |endpoint| Phase {
        endpoint,
        batch: args.batch,
        load: Load::Closed {
            connections: args.connections,
        },
        duration,
    };
    let rate = |endpoint| Phase {
        endpoint,
        batch: args.rate_batch,
        load: Load::Rate {
            events_per_sec: args.rate,
        },
        duration,
    };
    let phases = [
        closed(Endpoint::Import),
        closed(Endpoint::Native),
        rate(Endpoint::Import),
        rate(Endpoint::Native),
        rate(Endpoint::Track),
    ];
    let pid = server.pid();
    let results = runtime.block_on(async {
        eprintln!("warming up for 3 s…");
        let warmup = Phase {
            duration: Duration::from_secs(3),
            ..closed(Endpoint::Import)
        };
        let warm = ingest::run_phase(
            target.clone(),
            mixpanel.clone(),
            native.clone(),
            warmup,
            pid,
        )
        .await?;
        let mut results = vec![];
        for phase in phases {
            eprintln!(
                "{} {} for {} s…",
                phase.endpoint.label(),
                describe(&phase.load),
                phase.duration.as_secs()
            );
            results.push(
                ingest::run_phase(target.clone(), mixpanel.clone(), native.clone(), phase, pid)
                    .await?,
            );
        }
        anyhow::Ok((warm, results))
    });
    let (warm, results) = results?;
    let acked: u64 = warm.acked_events + results.iter().map(|r| r.acked_events).sum::<u64>();
    let stored = count_stored(&server, &run)?;
    let sent = target.events_sent();
    server.stop()?;

    println!("{}", table(&results));
    println!(
        "\nStored {stored} events; {acked} were acknowledged, {sent} sent. Server: `privet serve` (release), \
         load generator: privet-bench on the same machine ({} cores).",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if stored < acked || stored > sent {
        bail!(
            "the store holds {stored} events but {acked} were acknowledged (and {sent} sent): events were lost or duplicated"
        );
    }
    Ok(())
}

fn describe(load: &Load) -> String {
    match load {
        Load::Closed { connections } => format!("max throughput, {connections} connections"),
        Load::Rate { events_per_sec } => format!("fixed rate {events_per_sec} events/s"),
    }
}

fn table(results: &[PhaseResult]) -> Table {
    let mut table = Table::new();
    table.load_preset(ASCII_MARKDOWN).set_header([
        "endpoint",
        "load",
        "events/request",
        "events/s",
        "p50 ack ms",
        "p99 ack ms",
        "max ack ms",
        "failed requests",
        "server CPU (cores)",
        "server peak RSS MB",
    ]);
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    for r in results {
        let row = [
            r.phase.endpoint.label().to_string(),
            describe(&r.phase.load),
            r.phase.batch.to_string(),
            format!("{:.0}", r.events_per_sec()),
            ms(r.percentile(50.0)),
            ms(r.percentile(99.0)),
            ms(r.percentile(100.0)),
            r.failed_requests.to_string(),
            format!("{:.2}", r.server_cpu_seconds / r.elapsed.as_secs_f64()),
            format!("{:.0}", r.peak_rss_bytes as f64 / 1e6),
        ];
        table.add_row(row.into_iter().enumerate().map(|(i, v)| {
            let cell = Cell::new(v);
            if i >= 2 {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    table
}

/// Counts this run's events through the SQL API (with the admin key).
fn count_stored(server: &Server, run: &str) -> anyhow::Result<u64> {
    let client = reqwest::blocking::Client::new();
    let response: serde_json::Value = client
        .post(format!("{}/api/sql", server.url))
        .bearer_auth(&server.admin_key)
        .json(&serde_json::json!({
            "sql": format!("SELECT count(*) FROM events WHERE starts_with(insert_id, '{run}-')")
        }))
        .timeout(Duration::from_secs(300))
        .send()?
        .error_for_status()?
        .json()?;
    response["rows"][0][0]
        .as_u64()
        .context("the SQL API did not return a count")
}
