//! `privet debug wal`: decodes the write-ahead log, one JSON line per record, so that anyone can check what
//! it holds (the breach drill reads it this way). Read-only; works while a server runs.

use clap::{Args, Subcommand};

use crate::Common;

#[derive(Subcommand)]
pub enum DebugCommand {
    /// Print every write-ahead log record as a JSON line: `{"lsn": …, "entry": {…}}`.
    Wal(WalArgs),
}

#[derive(Args)]
pub struct WalArgs {
    #[command(flatten)]
    common: Common,
}

pub fn run(command: DebugCommand) -> anyhow::Result<()> {
    let DebugCommand::Wal(args) = command;
    let config = super::load_config(&args.common)?;
    let (dir, _) = super::open_control(&config)?;
    let wal = privet_store::store_dir(&dir).join("wal");
    let mut out = std::io::stdout().lock();
    // A server may be writing the log: read the consistent prefix it has.
    let mode = privet_store::wal::ReplayMode::Live;
    let stats = privet_store::wal::replay(&wal, 0, 1, mode, |lsn, entry| {
        use std::io::Write;
        let line = serde_json::json!({"lsn": lsn, "entry": entry});
        writeln!(out, "{line}").map_err(|e| e.to_string())
    })
    .map_err(anyhow::Error::msg)?;
    eprintln!(
        "{} records; {} torn bytes at the end",
        stats.records, stats.torn_bytes
    );
    Ok(())
}
