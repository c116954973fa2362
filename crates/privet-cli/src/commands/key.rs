//! `privet key create|list|revoke`.

use clap::Subcommand;
use privet_auth::Role;

use crate::Common;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create an API key; prints the secret as the last line (only its hash is stored).
    Create {
        /// admin (everything), analyst (queries), privacy-officer (reveals, erasures, breach response, audit
        /// log), or ingest (sending events).
        #[arg(long)]
        role: Role,
        /// Limit the key to one project (required for analyst and ingest keys when there are several projects).
        #[arg(long)]
        project: Option<String>,
        /// A note saying what the key is for.
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// List the keys (never their secrets).
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Revoke a key by its id (`key_…`, from `privet key list`).
    Revoke {
        id: String,
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create {
            role,
            project,
            label,
            common,
        } => {
            let config = super::load_config(&common)?;
            let (_, control) = super::open_control(&config)?;
            let audit = super::open_audit_if_ready(&config)?;
            let project = match project {
                Some(name) => Some(control.project_by_name(&name)?),
                None if role != Role::Admin => {
                    let projects = control.projects()?;
                    match projects.as_slice() {
                        [only] => Some(only.clone()),
                        [] => anyhow::bail!(
                            "there is no project yet; create one with `privet project create NAME`"
                        ),
                        _ => anyhow::bail!(
                            "there are several projects; say which one with --project NAME"
                        ),
                    }
                }
                None => None,
            };
            let (key, secret) =
                control.create_key(role, project.as_ref().map(|p| p.id), label.as_deref())?;
            super::audited_if(
                audit.as_ref(),
                "key.create",
                Some(format!("key:{}", key.id)),
                serde_json::json!({"role": role.as_str(), "project": project.as_ref().map(|p| p.id.0)}),
            )?;
            let scope = project.map_or_else(
                || "all projects".to_string(),
                |p| format!("project `{}`", p.name),
            );
            println!(
                "Created {} key {} for {scope}. Its secret, shown only now:",
                key.role, key.id
            );
            println!("{secret}");
        }
        KeyCommand::List { common } => {
            let config = super::load_config(&common)?;
            let (_, control) = super::open_control(&config)?;
            let projects = control.projects()?;
            let mut table =
                crate::output::table(&["id", "role", "project", "label", "created", "revoked"]);
            for k in control.keys()? {
                let project = k.project.map_or_else(
                    || "*".to_string(),
                    |id| {
                        projects
                            .iter()
                            .find(|p| p.id == id)
                            .map_or(id.to_string(), |p| p.name.clone())
                    },
                );
                table.add_row([
                    k.id,
                    k.role.to_string(),
                    project,
                    k.label.unwrap_or_default(),
                    k.created_at,
                    k.revoked_at.unwrap_or_default(),
                ]);
            }
            println!("{table}");
        }
        KeyCommand::Revoke { id, common } => {
            let config = super::load_config(&common)?;
            let (_, control) = super::open_control(&config)?;
            let audit = super::open_audit_if_ready(&config)?;
            control.revoke_key(&id)?;
            super::audited_if(
                audit.as_ref(),
                "key.revoke",
                Some(format!("key:{id}")),
                serde_json::Value::Null,
            )?;
            println!("Revoked {id}. A running server stops accepting it within 2 seconds.");
        }
    }
    Ok(())
}
