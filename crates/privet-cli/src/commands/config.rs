//! `privet config show`.

use clap::Subcommand;

use crate::Common;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (defaults, then the file, then PRIVET_* variables) as TOML.
    Show {
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(command: ConfigCommand) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Show { common } => {
            let config = super::load_config(&common)?;
            print!("{}", config.to_toml());
        }
    }
    Ok(())
}
