//! `privet canary plant|list|hits`: canary identities per destination, and mail that reached them.

use chrono::Utc;
use clap::{Args, Subcommand};
use privet_breach::canary::Ledger;
use serde_json::json;

use crate::Common;

#[derive(Subcommand)]
pub enum CanaryCommand {
    /// Create a canary identity for one destination (a vendor, an export, a key) and print it. Put it into the
    /// data that goes there; if it ever shows up in a leak, `privet breach assess` names the destination.
    Plant(PlantArgs),
    /// The ledger: every canary and where it went.
    List(ListArgs),
    /// Mail that reached canary addresses (reported with `POST /api/canary/hit`).
    Hits(ListArgs),
}

#[derive(Args)]
pub struct PlantArgs {
    /// Where the canary goes ("Mixpanel", "weekly CSV export", "key analyst-2").
    #[arg(long = "for")]
    planted_for: String,
    /// What kind of destination it is.
    #[arg(long, default_value = "vendor", value_parser = ["vendor", "export", "key"])]
    kind: String,
    /// Also send the canary to this Mixpanel-compatible ingestion host (the vendor's `api_host`, e.g.
    /// `https://api-eu.mixpanel.com`): a profile with its name and address, its organisation, and one event.
    #[arg(long, value_name = "URL", requires = "token")]
    into: Option<String>,
    /// The destination's project token, for --into.
    #[arg(long)]
    token: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: Common,
}

pub fn run(command: CanaryCommand) -> anyhow::Result<()> {
    match command {
        CanaryCommand::Plant(a) => {
            let (config, store) = super::incident::open_store(&a.common)?;
            if config.breach.canary_domain_is_placeholder() {
                anyhow::bail!(
                    "breach.canary_domain is still `{}`: set it to a domain you control (its mail must reach \
                     you, so that `POST /api/canary/hit` can say a leaked list is being used)",
                    config.breach.canary_domain
                );
            }
            let audit = super::open_audit_if_ready(&config)?;
            let ledger = Ledger::new(store.connection())?;
            let c = ledger.plant(
                &a.planted_for,
                &a.kind,
                &config.breach.canary_domain,
                Utc::now(),
            )?;
            if let (Some(url), Some(token)) = (&a.into, &a.token) {
                if let Err(e) = send_to(url, token, &c) {
                    ledger.forget(c.id)?;
                    return Err(e.context("the canary was not planted (and is not in the ledger)"));
                }
                eprintln!("canary {} sent to {url}", c.id);
            }
            super::audited_if(
                audit.as_ref(),
                "canary.plant",
                Some(format!("canary:{}", c.id)),
                serde_json::json!({"planted_for": c.planted_for, "kind": c.kind}),
            )?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                println!("canary {} for {} ({})", c.id, c.planted_for, c.kind);
                println!("  name          {}", c.name);
                println!("  email         {}", c.email);
                println!("  user id       {}", c.user_id);
                println!("  organisation  {} ({})", c.org_name, c.org_id);
            }
        }
        CanaryCommand::List(a) => {
            let (_, store) = super::incident::open_store(&a.common)?;
            let canaries = Ledger::new(store.connection())?.list()?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&canaries)?);
                return Ok(());
            }
            let mut table = crate::output::table(&[
                "id", "for", "kind", "planted", "name", "email", "user id", "org id",
            ]);
            for c in canaries {
                table.add_row(vec![
                    c.id.to_string(),
                    c.planted_for,
                    c.kind,
                    c.planted_at.to_rfc3339(),
                    c.name,
                    c.email,
                    c.user_id,
                    c.org_id,
                ]);
            }
            println!("{table}");
        }
        CanaryCommand::Hits(a) => {
            let (_, store) = super::incident::open_store(&a.common)?;
            let hits = Ledger::new(store.connection())?.hits()?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
                return Ok(());
            }
            let mut table =
                crate::output::table(&["received", "canary", "planted for", "from", "subject"]);
            for h in hits {
                table.add_row(vec![
                    h.received_at.to_rfc3339(),
                    h.canary.to_string(),
                    h.planted_for,
                    h.from.unwrap_or_default(),
                    h.subject.unwrap_or_default(),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(())
}

/// Sends a canary through Mixpanel's ingestion API, as the company's own SDK would: the organisation's
/// profile, the person's profile, and a sign-up event carrying both.
fn send_to(url: &str, token: &str, c: &privet_breach::canary::Canary) -> anyhow::Result<()> {
    use anyhow::Context;
    let client = reqwest::blocking::Client::new();
    let now = Utc::now().timestamp();
    let calls = [
        (
            "groups",
            json!([{"$token": token, "$group_key": "org_id", "$group_id": c.org_id, "$set": {"$name": c.org_name}}]),
        ),
        (
            "engage",
            json!([{"$token": token, "$distinct_id": c.user_id,
                    "$set": {"$email": c.email, "$name": c.name, "org_id": c.org_id}}]),
        ),
        (
            "track",
            json!([{"event": "Signed up", "properties": {"token": token, "distinct_id": c.user_id, "time": now,
                    "org_id": c.org_id, "$email": c.email}}]),
        ),
    ];
    for (path, data) in calls {
        let endpoint = format!("{}/{path}?verbose=1", url.trim_end_matches('/'));
        let answer: serde_json::Value = client
            .post(&endpoint)
            .form(&[("data", data.to_string())])
            .send()
            .with_context(|| format!("cannot reach {endpoint}"))?
            .json()
            .with_context(|| format!("{endpoint} did not answer like Mixpanel's ingestion API"))?;
        if answer["status"] != 1 {
            anyhow::bail!(
                "{endpoint} refused the canary: {}; check --token",
                answer["error"].as_str().unwrap_or("no reason given")
            );
        }
    }
    Ok(())
}
