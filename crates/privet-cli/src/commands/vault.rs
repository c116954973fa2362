//! `privet vault init|status|rotate-master-key`: the identity vault's master key and contents.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use privet_vault::{Vault, master_key};

use crate::Common;

#[derive(Subcommand)]
pub enum VaultCommand {
    /// Create a master key file for the identity vault (it must live outside the data directory).
    Init(InitArgs),
    /// Show where the master key comes from and how much the vault holds (never any value).
    Status(StatusArgs),
    /// Re-wrap every key in the vault under a new master key; events and pseudonyms are untouched.
    /// Stop the server first.
    RotateMasterKey(RotateArgs),
}

#[derive(Args)]
pub struct InitArgs {
    #[command(flatten)]
    common: Common,
    /// Where to write the key [default: `privacy.master_key_file`, or `<data-dir>.master-key`].
    #[arg(long)]
    key_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct RotateArgs {
    #[command(flatten)]
    common: Common,
    /// Where to write the new key (a new file; the old key keeps working until you switch to this one).
    #[arg(long)]
    new_key_file: PathBuf,
}

pub fn run(command: VaultCommand) -> anyhow::Result<()> {
    match command {
        VaultCommand::Init(args) => {
            let config = super::load_config(&args.common)?;
            let path = args.key_file.unwrap_or_else(|| {
                master_key::key_file_path(
                    config.privacy.master_key_file.as_deref(),
                    &config.data_dir,
                )
            });
            master_key::check_outside(&path, &config.data_dir)?;
            master_key::create_key_file(&path)?;
            println!(
                "Created the vault master key {}.\n\
                 Keep it outside the data directory and its backups (a secrets manager is best), and start Privet with\n\
                 PRIVET_MASTER_KEY_FILE={} (or PRIVET_MASTER_KEY=<its contents>).\n\
                 Without it the identity vault cannot be opened; the analytics stay readable.",
                path.display(),
                path.display()
            );
            Ok(())
        }
        VaultCommand::Status(args) => {
            let config = super::load_config(&args.common)?;
            super::open_control(&config)?;
            let opened = privet_vault::open_in(
                &config.data_dir,
                config.privacy.master_key_file.as_deref(),
                false,
            )?;
            let (subjects, ids, fields) = opened.vault.counts()?;
            println!("master key:  {}", opened.key_source);
            println!("vault:       {}", opened.vault.dir().display());
            println!("subjects:    {subjects}");
            println!("identifiers: {ids}");
            println!("fields:      {fields}");
            Ok(())
        }
        VaultCommand::RotateMasterKey(args) => {
            let config = super::load_config(&args.common)?;
            let (dir, _) = super::open_control(&config)?;
            let (old, source) = master_key::find(config.privacy.master_key_file.as_deref(), &dir)?
                .context("no master key found; set PRIVET_MASTER_KEY_FILE to the current key")?;
            // The store's lock tells whether a server is running on the directory.
            let _store = privet_store::Store::open(&dir, config.storage.clone())
                .context("stop the server before rotating the master key")?;
            master_key::check_outside(&args.new_key_file, &dir)?;
            let new = master_key::create_key_file(&args.new_key_file)?;
            let count = Vault::rotate_master_key(&dir.join("vault"), &old, &new)?;
            println!(
                "Re-wrapped {count} keys from {source} to {}.\n\
                 Start Privet with PRIVET_MASTER_KEY_FILE={} from now on, then destroy the old key.",
                args.new_key_file.display(),
                args.new_key_file.display()
            );
            Ok(())
        }
    }
}
