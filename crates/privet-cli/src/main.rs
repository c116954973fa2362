//! `privet`: first-party product analytics that makes a vendor breach a non-event.
//!
//! This binary is a thin layer: each subcommand parses its arguments and calls into the crates that do the work
//! (`privet-server`, `privet-store`, `privet-query`, `privet-auth`).

/// mimalloc rather than the system allocator: queries, ingestion and the pipeline allocate many short-lived
/// buffers from several threads, where glibc's malloc spent a measurable share of the time (see the README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod commands;
mod logging;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// First-party, privacy-first product analytics, wire-compatible with Mixpanel's ingestion API.
#[derive(Parser)]
#[command(name = "privet", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every command that touches a data directory understands.
#[derive(Args, Clone, Debug)]
pub struct Common {
    /// The data directory [default: ./privet-data, or `data_dir` from the configuration].
    #[arg(long, global = true, env = "PRIVET_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A TOML configuration file (see the README for every key).
    #[arg(long, global = true, env = "PRIVET_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: ingestion (Mixpanel-compatible and native), SQL, health and metrics.
    Serve(commands::serve::ServeArgs),
    /// Manage projects.
    #[command(subcommand)]
    Project(commands::project::ProjectCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Run a read-only SQL query, on a data directory or against a server.
    Sql(commands::sql::SqlArgs),
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// The identity vault: master key and status.
    #[command(subcommand)]
    Vault(commands::vault::VaultCommand),
    /// Data-subject requests: erase, anonymise or export a person.
    #[command(subcommand)]
    Person(commands::person::PersonCommand),
    /// Delete stored events.
    #[command(subcommand)]
    Events(commands::events::EventsCommand),
    /// Look inside the data directory (read-only).
    #[command(subcommand)]
    Debug(commands::debug::DebugCommand),
    /// Fill a data directory with a realistic demo dataset, sent through the real ingestion pipeline.
    Demo(commands::demo::DemoArgs),
    /// Segmentation: events, unique people or a property's sum/average/percentile per day, week, …
    Insights(commands::analyze::InsightsArgs),
    /// Conversion through ordered steps within a window, per person or per organisation.
    Funnel(commands::analyze::FunnelArgs),
    /// Cohort retention: who comes back in the days, weeks or months after their first (or every) visit.
    Retention(commands::analyze::RetentionArgs),
    /// The most common next (or previous) steps after (before) an event.
    Flows(commands::analyze::FlowsArgs),
    /// Incidents: the timeline and the 72-hour clock of GDPR Art. 33.
    #[command(subcommand)]
    Incident(commands::incident::IncidentCommand),
    /// Breach response: assess a leaked dataset, notify the people affected, report to the authority.
    #[command(subcommand)]
    Breach(commands::breach::BreachCommand),
    /// Canary identities that say where a leaked dataset came from.
    #[command(subcommand)]
    Canary(commands::canary::CanaryCommand),
    /// Dashboard users: create, list, roles, lock-outs, two-step verification.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// The tamper-evident audit log: list, verify, head.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
}

fn main() -> ExitCode {
    without_transparent_huge_pages();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Project(command) => commands::project::run(command),
        Command::Key(command) => commands::key::run(command),
        Command::Sql(args) => commands::sql::run(args),
        Command::Config(command) => commands::config::run(command),
        Command::Vault(command) => commands::vault::run(command),
        Command::Person(command) => commands::person::run(command),
        Command::Events(command) => commands::events::run(command),
        Command::Debug(command) => commands::debug::run(command),
        Command::Demo(args) => commands::demo::run(args),
        Command::Insights(args) => commands::analyze::insights(args),
        Command::Funnel(args) => commands::analyze::funnel(args),
        Command::Retention(args) => commands::analyze::retention(args),
        Command::Flows(args) => commands::analyze::flows(args),
        Command::Incident(command) => commands::incident::run(command),
        Command::Breach(command) => commands::breach::run(command),
        Command::Canary(command) => commands::canary::run(command),
        Command::User(command) => commands::user::run(command),
        Command::Audit(command) => commands::audit::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Turns transparent huge pages off for this process. mimalloc asks the kernel for them (`MADV_HUGEPAGE`), and a
/// fault on such a region may stop the thread while the kernel compacts memory to find 2 MB of contiguous pages:
/// `bench/ingest` measured acknowledgement stalls of 300 ms at 20,000 events/s from it, and the partly used
/// huge pages kept the server's memory 100–300 MB higher. Without them: p99 under 12 ms and a peak under 460 MB.
fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process's memory map; no memory is touched.
    unsafe {
        let one: libc::c_ulong = 1;
        let zero: libc::c_ulong = 0;
        // Kernels before 3.15 refuse the option; the process then keeps the system's default.
        libc::prctl(libc::PR_SET_THP_DISABLE, one, zero, zero, zero);
    }
}
