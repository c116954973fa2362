//! `privet project create|list|rotate-token`.

use clap::Subcommand;

use crate::Common;

#[derive(Subcommand)]
pub enum ProjectCommand {
    /// Create a project; prints its ingestion token as the last line.
    Create {
        /// Lowercase letters, digits, `-` and `_`.
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// List the projects.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Replace a project's ingestion token (when it leaked); prints the new token as the last line.
    RotateToken {
        name: String,
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(command: ProjectCommand) -> anyhow::Result<()> {
    match command {
        ProjectCommand::Create { name, common } => {
            let config = super::load_config(&common)?;
            std::fs::create_dir_all(&config.data_dir)?;
            let (_, control) = super::open_control(&config)?;
            let audit = super::open_audit_if_ready(&config)?;
            let (project, token) = control.create_project(&name)?;
            super::audited_if(
                audit.as_ref(),
                "project.create",
                Some(format!("project:{}", project.id.0)),
                serde_json::Value::Null,
            )?;
            println!(
                "Created project `{}` (id {}). Its ingestion token, shown only now:",
                project.name, project.id
            );
            println!("{token}");
        }
        ProjectCommand::List { common } => {
            let config = super::load_config(&common)?;
            let (_, control) = super::open_control(&config)?;
            let mut table = crate::output::table(&["id", "name", "created"]);
            for p in control.projects()? {
                table.add_row([p.id.to_string(), p.name, p.created_at]);
            }
            println!("{table}");
        }
        ProjectCommand::RotateToken { name, common } => {
            let config = super::load_config(&common)?;
            let (_, control) = super::open_control(&config)?;
            let audit = super::open_audit_if_ready(&config)?;
            let token = control.rotate_token(&name)?;
            super::audited_if(
                audit.as_ref(),
                "project.rotate_token",
                Some(format!("project:{name}")),
                serde_json::Value::Null,
            )?;
            println!("The old token of `{name}` no longer works. The new token, shown only now:");
            println!("{token}");
        }
    }
    Ok(())
}
