//! One module per subcommand.

pub mod config;
pub mod key;
pub mod project;
pub mod serve;
pub mod sql;

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
