//! `privet sql`: read-only SQL on a data directory (offline, even while a server runs) or against a server.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use futures::StreamExt;
use privet_query::QueryResult;

use crate::output::{Format, ParquetFile, render, result_to_batch};

#[derive(Args)]
pub struct SqlArgs {
    /// The query, e.g. "SELECT event, count(*) FROM events GROUP BY 1".
    query: String,
    #[command(flatten)]
    target: super::AdminTarget,
    /// Output format. `parquet` writes a zstd-compressed Parquet file (needs --output); on a data directory it
    /// streams, so results of any size export in bounded memory.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the result to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: SqlArgs) -> anyhow::Result<()> {
    // Exports from a data directory to a file are audited (the query's shape, never its results).
    let audit = match (&args.output, &args.target.url) {
        (Some(_), None) => super::open_audit_if_ready(&super::load_config(&args.target.common)?)?,
        _ => None,
    };
    let exported = |rows: usize| {
        super::audited_if(
            audit.as_ref(),
            "export.sql",
            None,
            serde_json::json!({"format": format!("{:?}", args.format).to_lowercase(), "rows": rows, "sql": args.query}),
        )
    };
    if args.format == Format::Parquet {
        let output = args
            .output
            .as_deref()
            .context("--format parquet writes a file: add --output FILE")?;
        let rows = match &args.target.url {
            Some(url) => {
                let batch = result_to_batch(&remote(url, &args)?)?;
                let mut file = ParquetFile::create(output, batch.schema())?;
                file.write(&batch)?;
                file.finish()?
            }
            None => export_offline(&args, output)?,
        };
        exported(rows)?;
        eprintln!(
            "{rows} row{} written to {}",
            if rows == 1 { "" } else { "s" },
            output.display()
        );
        return Ok(());
    }
    let result = match &args.target.url {
        Some(url) => remote(url, &args)?,
        None => offline(&args)?,
    };
    let mut text = render(&result, args.format)?;
    match &args.output {
        Some(path) => {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            exported(result.rows.len())?;
        }
        None => println!("{text}"),
    }
    Ok(())
}

fn remote(url: &str, args: &SqlArgs) -> anyhow::Result<QueryResult> {
    let key = args
        .target
        .key
        .as_deref()
        .context("--url needs --key (an analyst or admin key)")?;
    let body = serde_json::json!({"sql": args.query, "project": args.target.project});
    let value = super::post_json(url, "/api/sql", key, &body)?;
    serde_json::from_value(value).context("the server's answer is not a query result")
}

fn offline(args: &SqlArgs) -> anyhow::Result<QueryResult> {
    let o = super::open_offline(&args.target)?;
    Ok(o.runtime
        .block_on(o.engine.sql_result(o.version, o.project, &args.query))?)
}

/// Streams the query's batches into a Parquet file, never holding the whole result.
fn export_offline(args: &SqlArgs, output: &std::path::Path) -> anyhow::Result<usize> {
    let o = super::open_offline(&args.target)?;
    o.runtime.block_on(async {
        let mut stream = o.engine.stream(o.version, o.project, &args.query).await?;
        let mut file = ParquetFile::create(output, stream.schema())?;
        while let Some(batch) = stream.next().await {
            file.write(&batch.map_err(privet_query::classify)?)?;
        }
        file.finish()
    })
}
