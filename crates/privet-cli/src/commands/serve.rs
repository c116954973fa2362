//! `privet serve`, with `--demo` filling an empty data directory with the demo dataset first.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use privet_server::{App, Bootstrap, KeyNotice};

use crate::Common;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// The address to listen on [default: 127.0.0.1:8080, or `listen` from the configuration].
    #[arg(long, env = "PRIVET_LISTEN")]
    listen: Option<SocketAddr>,
    /// A MaxMind-format city database (GeoLite2-City, GeoIP2-City, DB-IP City) for IP locations
    /// [default: `privacy.geoip` from the configuration; without one, locations come only from clients].
    #[arg(long, env = "PRIVET_GEOIP")]
    geoip: Option<std::path::PathBuf>,
    /// Before serving, fill a data directory that holds no events yet with the demo dataset (see `privet demo`).
    #[arg(long)]
    demo: bool,
    /// How many demo events --demo loads.
    #[arg(long, value_name = "N", default_value_t = privet_demo::DEFAULT_EVENTS, requires = "demo")]
    demo_events: u64,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = super::load_config(&args.common)?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(geoip) = args.geoip {
        config.privacy.geoip = Some(geoip);
    }
    crate::logging::init(&config.log);
    let demo = args.demo.then_some(args.demo_events);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("privet-http")
        .build()?;
    runtime.block_on(async move {
        let listen = config.listen;
        let (app, bootstrap, key) = App::open_with_notice(config)?;
        announce(&key, bootstrap.as_ref());
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}; is another server using it? Pick another with --listen"))?;
        if let Some(events) = demo {
            super::demo::fill_if_empty(&app, events).await?;
        }
        let local = listener.local_addr()?;
        if app.config.dashboard.enabled
            && let Some(token) = app.control.issue_setup_token()?
        {
            let base = app
                .config
                .dashboard
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{local}"));
            println!(
                "No dashboard account exists yet. Create the first admin (this link works once):\n\n  {}/setup?token={token}\n\n\
                 (or run `privet user create EMAIL --role admin`)\n",
                base.trim_end_matches('/')
            );
        }
        println!("Privet is listening on http://{local} (data in {})", app.data_dir.display());
        tracing::info!(address = %local, "listening");
        let app = Arc::new(app);
        // Retention: every project's `retention_days`, applied at start and then hourly.
        let retained = app.clone();
        tokio::spawn(async move {
            let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                hourly.tick().await;
                if let Err(error) = retained.apply_retention().await {
                    tracing::error!(error = %error, "retention failed");
                }
            }
        });
        privet_server::serve(app, listener, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Shows, once, what the first start created: the vault's master key file and the project's secrets.
pub fn announce(key: &KeyNotice, bootstrap: Option<&Bootstrap>) {
    if key.created {
        println!(
            "Privet created the identity vault's master key in {}.\n\
             It is NOT in the data directory, on purpose: a copy of the data cannot be decrypted without it.\n\
             Back it up and move it to your secrets manager, then start Privet with PRIVET_MASTER_KEY_FILE=<path>\n\
             (or PRIVET_MASTER_KEY=<the key>). Losing it makes the vault unreadable; the analytics stay.\n",
            key.source
        );
    }
    if let Some(b) = bootstrap {
        println!(
            "Privet created the project `{}` on first start. These secrets are shown only now; Privet keeps only their hashes.\n\
             \n  project token (give it to your SDKs):   {}\n  admin API key (keep it secret):         {}\n",
            b.project, b.token, b.admin_key
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
