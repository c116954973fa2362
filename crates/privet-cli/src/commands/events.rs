//! `privet events delete`: delete stored events by `$insert_id` or by time range.

use anyhow::Context;
use clap::{Args, Subcommand};
use privet_server::App;
use serde_json::json;

#[derive(Subcommand)]
pub enum EventsCommand {
    /// Delete events: `--insert-id ID` (repeatable), or `--from TIME --to TIME` (RFC 3339 or seconds).
    Delete(DeleteArgs),
}

#[derive(Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    target: super::AdminTarget,
    /// The `$insert_id` of an event to delete (repeat for several).
    #[arg(long = "insert-id", conflicts_with_all = ["from", "to"])]
    insert_ids: Vec<String>,
    /// Start of the time range to delete (inclusive).
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// End of the time range to delete (exclusive).
    #[arg(long, requires = "from")]
    to: Option<String>,
}

pub fn run(command: EventsCommand) -> anyhow::Result<()> {
    let EventsCommand::Delete(args) = command;
    anyhow::ensure!(
        !args.insert_ids.is_empty() || args.from.is_some(),
        "give --insert-id, or --from and --to"
    );
    let time = |t: &Option<String>| {
        t.as_ref().map(|t| match t.parse::<f64>() {
            Ok(n) => json!(n),
            Err(_) => json!(t),
        })
    };
    let body = if args.insert_ids.is_empty() {
        json!({"from": time(&args.from), "to": time(&args.to), "project": args.target.project})
    } else {
        json!({"insert_ids": args.insert_ids, "project": args.target.project})
    };
    let answer = match &args.target.url {
        Some(url) => {
            let key = args
                .target
                .key
                .as_deref()
                .context("--url needs --key (an admin key)")?;
            super::post_json(url, "/api/events/delete", key, &body)?
        }
        None => offline(&args, &body)?,
    };
    println!("deleted {} events", answer["deleted"]);
    Ok(())
}

fn offline(args: &DeleteArgs, body: &serde_json::Value) -> anyhow::Result<serde_json::Value> {
    let config = super::load_config(&args.target.common)?;
    super::open_control(&config)?;
    let deletion = if args.insert_ids.is_empty() {
        let parse = |v: &serde_json::Value, name: &str| {
            privet_model::time::time_from_json(v).map_err(|e| anyhow::anyhow!("--{name} {e}"))
        };
        let (from_us, to_us) = (parse(&body["from"], "from")?, parse(&body["to"], "to")?);
        anyhow::ensure!(from_us < to_us, "--from must be before --to");
        privet_store::Deletion::TimeRange { from_us, to_us }
    } else {
        privet_store::Deletion::InsertIds(args.insert_ids.clone())
    };
    tokio::runtime::Runtime::new()?.block_on(async {
        let (app, _) = App::open(config).context(
            "cannot open the data directory; if a server is running on it, use --url and --key instead",
        )?;
        let project = super::project_or_default(&app.control, args.target.project.as_deref())?.id;
        let deleted = app.delete_events(project, deletion).await?;
        app.store.shutdown();
        anyhow::Ok(json!({ "deleted": deleted }))
    })
}
