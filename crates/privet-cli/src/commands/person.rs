//! `privet person erase|anonymize|export`: data-subject requests (GDPR Art. 15, 17, 20).
//!
//! Offline (on a data directory whose server is stopped) or against a running server with `--url` and an
//! admin `--key`.

use anyhow::Context;
use clap::{Args, Subcommand};
use privet_server::App;
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum PersonCommand {
    /// Erase a person: destroy their identity in the vault (crypto-shredding) and their pseudonymous profile.
    /// Their events remain as anonymous statistics that nothing links to them.
    Erase(PersonArgs),
    /// Anonymise a person: destroy the link to their identity but keep their pseudonymous profile and events.
    Anonymize(PersonArgs),
    /// Write everything held about a person (vault entries decrypted, profile, events) as JSON.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct PersonArgs {
    /// A distinct id, user id, device id, email address or phone number.
    id: String,
    /// Why (kept with the erasure record; do not put identifiers here).
    #[arg(long, default_value = "data subject request")]
    reason: String,
    #[command(flatten)]
    target: super::AdminTarget,
}

#[derive(Args)]
pub struct ExportArgs {
    /// A distinct id, user id, device id, email address or phone number.
    id: String,
    /// Write the JSON here instead of standard output.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    #[command(flatten)]
    target: super::AdminTarget,
}

pub fn run(command: PersonCommand) -> anyhow::Result<()> {
    let (path, id, reason, target, out) = match &command {
        PersonCommand::Erase(a) => (
            "/api/privacy/erase",
            &a.id,
            a.reason.as_str(),
            &a.target,
            None,
        ),
        PersonCommand::Anonymize(a) => (
            "/api/privacy/anonymize",
            &a.id,
            a.reason.as_str(),
            &a.target,
            None,
        ),
        PersonCommand::Export(a) => ("/api/privacy/export", &a.id, "", &a.target, a.out.as_ref()),
    };
    let answer = match &target.url {
        Some(url) => {
            let key = target
                .key
                .as_deref()
                .context("--url needs --key (an admin key)")?;
            let body = json!({"id": id, "reason": reason, "project": target.project});
            super::post_json(url, path, key, &body)?
        }
        None => offline(&command, target, id, reason)?,
    };
    let text = serde_json::to_string_pretty(&answer)?;
    match out {
        Some(file) => {
            std::fs::write(file, text + "\n")
                .with_context(|| format!("cannot write {}", file.display()))?;
            eprintln!("wrote {}", file.display());
        }
        None => println!("{text}"),
    }
    Ok(())
}

fn offline(
    command: &PersonCommand,
    target: &super::AdminTarget,
    id: &str,
    reason: &str,
) -> anyhow::Result<Value> {
    let config = super::load_config(&target.common)?;
    super::open_control(&config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (app, _) = App::open(config).context(
            "cannot open the data directory; if a server is running on it, use --url and --key instead",
        )?;
        let project = super::project_or_default(&app.control, target.project.as_deref())?.id;
        let answer = match command {
            PersonCommand::Erase(_) => json!({"erased": app.erase_person(project, id, reason, false).await?}),
            PersonCommand::Anonymize(_) => {
                json!({"anonymized": app.erase_person(project, id, reason, true).await?})
            }
            PersonCommand::Export(_) => app.export_person(project, id).await?,
        };
        let (action, list) = match command {
            PersonCommand::Erase(_) => ("person.erase", &answer["erased"]),
            PersonCommand::Anonymize(_) => ("person.anonymize", &answer["anonymized"]),
            PersonCommand::Export(_) => ("person.export", &answer["people"]),
        };
        let people: Vec<i64> = list
            .as_array()
            .map(|l| l.iter().filter_map(|p| p["person_id"].as_i64()).collect())
            .unwrap_or_default();
        let mut record = privet_audit::Record::new("cli", action)
            .project(project.0)
            .detail(json!({"person_ids": people}));
        if let [one] = people.as_slice() {
            record = record.target(format!("person:{one}"));
        }
        if !reason.is_empty() {
            record = record.reason(reason);
        }
        app.audit.append(record)?;
        app.store.shutdown();
        anyhow::Ok(answer)
    })
}
