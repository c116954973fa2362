//! `privet demo` and `privet serve --demo`: a realistic demo dataset (`privet-demo`) sent through the real
//! ingestion pipeline into a data directory.

use anyhow::Context;
use clap::Args;
use privet_demo::DemoOptions;
use privet_server::App;

use crate::Common;

#[derive(Args)]
#[command(
    after_help = "The dataset is an API platform's dashboard usage: organisations of 1 to 50 people, \
    their sign-ups, API keys, API calls, upgrades and weekly sessions, with names, emails, addresses and browsers \
    that the privacy pipeline minimises and vaults like any other data. The same seed, span and size always give \
    the same events. Events: Signed up, Created API key, Made API call, Upgraded plan, Viewed dashboard, \
    Viewed docs, Invited member, Viewed billing, Logged in."
)]
pub struct DemoArgs {
    #[command(flatten)]
    common: Common,
    /// How many events to generate (people are added until there are this many; the last may be cut short).
    #[arg(long, value_name = "N", default_value_t = privet_demo::DEFAULT_EVENTS)]
    events: u64,
    /// The random seed: the same seed, span and size give the same dataset.
    #[arg(long, value_name = "S", default_value_t = privet_demo::DEFAULT_SEED)]
    seed: u64,
    /// How many days the events span.
    #[arg(long, value_name = "D", default_value_t = privet_demo::DEFAULT_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    days: u32,
    /// The last day of the span, YYYY-MM-DD (UTC), included [default: the span ends now].
    #[arg(long, value_name = "DATE", value_parser = privet_demo::end_of_day)]
    end: Option<i64>,
    /// A MaxMind-format city database for the addresses' locations, as for `serve --geoip`
    /// [default: `privacy.geoip` from the configuration; without one, events have no location].
    #[arg(long, env = "PRIVET_GEOIP")]
    geoip: Option<std::path::PathBuf>,
    /// The project to fill [default: `default`].
    #[arg(long)]
    project: Option<String>,
    /// Add the demo data to a data directory that already holds events (a different --seed adds new people;
    /// the same seed again adds nothing, its events are recognised as duplicates).
    #[arg(long, visible_alias = "force")]
    append: bool,
    /// No progress bar (it is also hidden when standard error is not a terminal).
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut config = super::load_config(&args.common)?;
    if let Some(geoip) = args.geoip.clone() {
        config.privacy.geoip = Some(geoip);
    }
    crate::logging::init(&config.log);
    let mut options = DemoOptions {
        events: args.events,
        seed: args.seed,
        days: args.days,
        ..DemoOptions::default()
    };
    if let Some(end) = args.end {
        options.end_ms = end;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("privet-demo")
        .build()?
        .block_on(async {
            let (app, bootstrap, key) = App::open_with_notice(config).context(
                "cannot open the data directory; stop a server running on it first (or use `privet serve --demo`)",
            )?;
            super::serve::announce(&key, bootstrap.as_ref());
            let result = fill(&app, &args, &options).await;
            let store = app.store.clone();
            let dir = app.data_dir.clone();
            drop(app);
            tokio::task::spawn_blocking(move || store.shutdown()).await?;
            let summary = result?;
            println!("Loaded {summary}.");
            println!(
                "Explore it: privet sql --data-dir {} \"SELECT event, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC\"\n\
                 or serve it: privet serve --data-dir {}",
                dir.display(),
                dir.display()
            );
            anyhow::Ok(())
        })
}

async fn fill(
    app: &App,
    args: &DemoArgs,
    options: &DemoOptions,
) -> anyhow::Result<privet_demo::Summary> {
    let project = super::project_or_default(&app.control, args.project.as_deref())?;
    let existing = privet_demo::stored_events(app);
    if existing > 0 && !args.append {
        anyhow::bail!(
            "the data directory {} already holds {existing} events; pass --append to add the demo data to them, \
             or choose an empty --data-dir",
            app.data_dir.display()
        );
    }
    Ok(privet_demo::load(app, project.id, options, !args.quiet).await?)
}

/// `serve --demo`: fills the `default` project with `events` demo events if the data directory holds none yet.
pub async fn fill_if_empty(app: &App, events: u64) -> anyhow::Result<()> {
    let existing = privet_demo::stored_events(app);
    if existing > 0 {
        println!(
            "The data directory already holds {existing} events; --demo adds nothing (`privet demo --append` would)."
        );
        return Ok(());
    }
    let project = super::project_or_default(&app.control, None)?;
    let options = DemoOptions {
        events,
        ..DemoOptions::default()
    };
    println!(
        "Loading {} demo events over the last {} days through the privacy pipeline (see `privet demo --help`)…",
        privet_demo::load::thousands(events),
        options.days
    );
    let summary = privet_demo::load(app, project.id, &options, true).await?;
    println!("Loaded {summary}.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        demo: DemoArgs,
    }

    fn args(extra: &[&str]) -> DemoArgs {
        let base = [
            "privet-demo",
            "--events",
            "300",
            "--end",
            "2025-11-23",
            "--quiet",
        ];
        Cli::try_parse_from(base.iter().chain(extra)).unwrap().demo
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_data_directory_with_events_needs_append() {
        let dir = tempfile::tempdir().unwrap();
        let config = privet_config::Config {
            data_dir: dir.path().join("data"),
            ..Default::default()
        };
        let (app, _) = App::open(config).unwrap();
        let first = args(&[]);
        let options = DemoOptions {
            events: first.events,
            seed: first.seed,
            days: first.days,
            end_ms: first.end.unwrap(),
        };
        let summary = fill(&app, &first, &options).await.unwrap();
        assert_eq!((summary.events, summary.stored), (300, 300));
        let refused = fill(&app, &first, &options).await.unwrap_err().to_string();
        assert!(
            refused.contains("already holds 300 events") && refused.contains("--append"),
            "{refused}"
        );
        for flag in ["--append", "--force"] {
            let again = args(&[flag, "--seed", "2"]);
            let options = DemoOptions {
                seed: again.seed,
                ..options.clone()
            };
            let summary = fill(&app, &again, &options).await.unwrap();
            assert_eq!(summary.duplicates, if flag == "--append" { 0 } else { 300 });
        }
        assert_eq!(privet_demo::stored_events(&app), 600);
        assert!(Cli::try_parse_from(["p", "--end", "23/11/2025"]).is_err());
        assert!(Cli::try_parse_from(["p", "--days", "0"]).is_err());
    }
}
