//! `privet sql`: read-only SQL on a data directory (offline, even while a server runs) or against a server.

use anyhow::Context;
use clap::Args;
use privet_query::{QueryEngine, QueryResult};

use crate::Common;
use crate::output::{Format, render};

#[derive(Args)]
pub struct SqlArgs {
    /// The query, e.g. "SELECT event, count(*) FROM events GROUP BY 1".
    query: String,
    #[command(flatten)]
    common: Common,
    /// Query a running server instead of a data directory.
    #[arg(long, env = "PRIVET_URL")]
    url: Option<String>,
    /// The API key for --url (analyst or admin).
    #[arg(long, env = "PRIVET_KEY", requires = "url")]
    key: Option<String>,
    /// The project [default: the key's project, or the only project].
    #[arg(long)]
    project: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn run(args: SqlArgs) -> anyhow::Result<()> {
    let result = match &args.url {
        Some(url) => remote(url, &args)?,
        None => offline(&args)?,
    };
    println!("{}", render(&result, args.format)?);
    Ok(())
}

fn remote(url: &str, args: &SqlArgs) -> anyhow::Result<QueryResult> {
    let key = args
        .key
        .as_deref()
        .context("--url needs --key (an analyst or admin key)")?;
    let body = serde_json::json!({"sql": args.query, "project": args.project});
    let value = super::post_json(url, "/api/sql", key, &body)?;
    serde_json::from_value(value).context("the server's answer is not a query result")
}

fn offline(args: &SqlArgs) -> anyhow::Result<QueryResult> {
    let config = super::load_config(&args.common)?;
    let (dir, control) = super::open_control(&config)?;
    let project = super::project_or_default(&control, args.project.as_deref())?;
    let version = privet_store::open_read_only(&dir)?;
    let engine = QueryEngine::new(privet_config::QueryConfig {
        max_result_rows: usize::MAX,
        ..config.query
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(engine.sql_result(version, project.id.0, &args.query))?)
}
