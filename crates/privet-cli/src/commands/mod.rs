//! One module per subcommand.

pub mod analyze;
pub mod audit;
pub mod breach;
pub mod canary;
pub mod config;
pub mod debug;
pub mod demo;
pub mod events;
pub mod incident;
pub mod key;
pub mod person;
pub mod project;
pub mod serve;
pub mod sql;
pub mod user;
pub mod vault;

use std::path::PathBuf;

use anyhow::Context;
use privet_auth::Control;
use privet_config::Config;

use crate::Common;

/// Loads the configuration and applies the command line's `--data-dir`.
pub fn load_config(common: &Common) -> anyhow::Result<Config> {
    let mut config = Config::load(common.config.as_deref())?;
    if let Some(dir) = &common.data_dir {
        config.data_dir = dir.clone();
    }
    Ok(config)
}

/// Opens the control database of an existing data directory.
pub fn open_control(config: &Config) -> anyhow::Result<(PathBuf, Control)> {
    let dir = &config.data_dir;
    if !dir.exists() {
        anyhow::bail!(
            "the data directory {} does not exist; start Privet once with `privet serve --data-dir {}` or pass the right --data-dir",
            dir.display(),
            dir.display()
        );
    }
    let control = Control::open(dir)
        .with_context(|| format!("cannot open the control database in {}", dir.display()))?;
    Ok((dir.clone(), control))
}

/// Opens the audit log of a data directory, sealed with the key derived from the vault's master key (found the
/// way `privet serve` finds it). Commands that change something open it *before* acting, so that nothing
/// happens unaudited.
pub fn open_audit(config: &Config) -> anyhow::Result<privet_audit::AuditLog> {
    let key = privet_vault::derived_key_in(
        &config.data_dir,
        config.privacy.master_key_file.as_deref(),
        privet_audit::KEY_PURPOSE,
    )
    .context("cannot open the audit log, which needs the vault's master key (set PRIVET_MASTER_KEY or PRIVET_MASTER_KEY_FILE, or start `privet serve` once to create it)")?;
    Ok(privet_audit::AuditLog::open(&config.data_dir, key)?)
}

/// The audit log for a command that changes something, or `None` for a data directory that has no vault yet
/// (it was never served, so there is no master key to seal the log with; `privet serve` creates both).
pub fn open_audit_if_ready(config: &Config) -> anyhow::Result<Option<privet_audit::AuditLog>> {
    if !privet_vault::Vault::exists(&config.data_dir.join("vault")) {
        return Ok(None);
    }
    open_audit(config).map(Some)
}

/// [`audited`] when there is a log.
pub fn audited_if(
    log: Option<&privet_audit::AuditLog>,
    action: &str,
    target: Option<String>,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    match log {
        Some(log) => audited(log, action, target, detail),
        None => Ok(()),
    }
}

/// Appends what a command did to the audit log, as the console (`cli`).
pub fn audited(
    log: &privet_audit::AuditLog,
    action: &str,
    target: Option<String>,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let mut record = privet_audit::Record::new("cli", action).detail(detail);
    if let Some(target) = target {
        record = record.target(target);
    }
    log.append(record)
        .context("the action was done, but writing the audit log failed")?;
    Ok(())
}

/// Where a command runs: on a data directory, or against a running server.
#[derive(clap::Args)]
pub struct AdminTarget {
    #[command(flatten)]
    pub common: Common,
    /// The project [default: the key's project, or `default`].
    #[arg(long)]
    pub project: Option<String>,
    /// Ask a running server instead of opening the data directory.
    #[arg(long, env = "PRIVET_URL")]
    pub url: Option<String>,
    /// An API key for --url: admin for changes, analyst (or admin) for queries.
    #[arg(long, env = "PRIVET_KEY", requires = "url")]
    pub key: Option<String>,
}

/// Posts a JSON body to a running server's API and returns its JSON answer, or the server's error message.
pub fn post_json(
    url: &str,
    path: &str,
    key: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let endpoint = format!("{}{path}", url.trim_end_matches('/'));
    let response = reqwest::blocking::Client::new()
        .post(&endpoint)
        .bearer_auth(key)
        .json(body)
        .send()
        .with_context(|| format!("cannot reach {endpoint}; is the server running?"))?;
    let status = response.status();
    let value: serde_json::Value = response
        .json()
        .with_context(|| format!("{endpoint} did not answer with JSON (HTTP {status})"))?;
    if !status.is_success() {
        let message = value["error"].as_str().unwrap_or("unknown error");
        anyhow::bail!("the server refused (HTTP {status}): {message}");
    }
    Ok(value)
}

/// The project named by `--project`, or `default`.
pub fn project_or_default(
    control: &Control,
    name: Option<&str>,
) -> anyhow::Result<privet_auth::Project> {
    match name {
        Some(name) => Ok(control.project_by_name(name)?),
        None => control
            .projects()?
            .into_iter()
            .find(|p| p.name == "default")
            .context("name the project with --project (`privet project list` shows them)"),
    }
}

/// The query engine over a data directory's current snapshot (read-only, even while a server runs on it), with
/// no row limit.
pub struct Offline {
    pub dir: PathBuf,
    pub engine: privet_query::QueryEngine,
    pub version: std::sync::Arc<privet_store::Version>,
    pub project: i64,
    pub runtime: tokio::runtime::Runtime,
}

pub fn open_offline(target: &AdminTarget) -> anyhow::Result<Offline> {
    let config = load_config(&target.common)?;
    let (dir, control) = open_control(&config)?;
    let project = project_or_default(&control, target.project.as_deref())?;
    let version = privet_store::open_read_only(&dir)?;
    let engine = privet_query::QueryEngine::new(privet_config::QueryConfig {
        max_result_rows: usize::MAX,
        ..config.query
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok(Offline {
        dir,
        engine,
        version,
        project: project.id.0,
        runtime,
    })
}
