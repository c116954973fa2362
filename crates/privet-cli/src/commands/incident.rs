//! `privet incident open|list|show|set|update`: incidents and their 72-hour clock.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Subcommand};
use privet_breach::IncidentStore;
use privet_breach::incident::{Change, NewIncident};

use crate::Common;

#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Record a new incident; prints its id as the last line.
    Open(OpenArgs),
    /// Every incident with its deadline.
    List(ListArgs),
    /// One incident: timeline, deadline, measures and updates.
    Show(ShowArgs),
    /// Change an incident's timestamps, measures or delay reason.
    Set(SetArgs),
    /// Append a dated update (Art. 33(4): information in phases).
    Update(UpdateArgs),
}

/// What an incident says happened, and when; `open` and `set` take the same flags.
#[derive(Args)]
pub struct Facts {
    /// A short title ("Analytics vendor export").
    #[arg(long)]
    title: Option<String>,
    /// What happened, in your words (the authority report quotes it).
    #[arg(long)]
    description: Option<String>,
    /// The processor (vendor) whose systems were breached.
    #[arg(long)]
    processor: Option<String>,
    /// When the breach happened, if known (RFC 3339, `2025-11-09 15:00` in UTC, a date, or `now`).
    #[arg(long, value_parser = parse_time)]
    occurred_at: Option<DateTime<Utc>>,
    /// When someone first noticed something.
    #[arg(long, value_parser = parse_time)]
    detected_at: Option<DateTime<Utc>>,
    /// When you became aware that personal data was compromised: the 72-hour clock starts here [open's
    /// default: now].
    #[arg(long, value_parser = parse_time)]
    aware_at: Option<DateTime<Utc>>,
    /// Why you consider yourself aware at --aware-at ("the vendor sent us the affected dataset").
    #[arg(long)]
    aware_reason: Option<String>,
    /// When the processor told you (Art. 33(2)).
    #[arg(long, value_parser = parse_time)]
    processor_notified_at: Option<DateTime<Utc>>,
}

#[derive(Args)]
pub struct OpenArgs {
    #[command(flatten)]
    facts: Facts,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct ShowArgs {
    /// The incident id.
    id: i64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct SetArgs {
    /// The incident id.
    id: i64,
    #[command(flatten)]
    facts: Facts,
    /// When the report went to the supervisory authority; past the deadline it needs --delay-reason.
    #[arg(long, value_parser = parse_time)]
    authority_notified_at: Option<DateTime<Utc>>,
    /// When the affected people were notified.
    #[arg(long, value_parser = parse_time)]
    people_notified_at: Option<DateTime<Utc>>,
    /// Why the authority is notified after 72 hours (Art. 33(1)).
    #[arg(long)]
    delay_reason: Option<String>,
    /// A measure taken or proposed (Art. 33(3)(d)); repeat for several.
    #[arg(long)]
    measure: Vec<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct UpdateArgs {
    /// The incident id.
    id: i64,
    /// What is new.
    text: String,
    #[command(flatten)]
    common: Common,
}

/// Opens the incident database of the configured data directory.
pub fn open_store(common: &Common) -> anyhow::Result<(privet_config::Config, IncidentStore)> {
    let config = super::load_config(common)?;
    if !config.data_dir.exists() {
        anyhow::bail!(
            "the data directory {} does not exist; pass the right --data-dir",
            config.data_dir.display()
        );
    }
    let store = IncidentStore::open(&config.data_dir)
        .with_context(|| format!("cannot open the incidents in {}", config.data_dir.display()))?;
    Ok((config, store))
}

pub fn run(command: IncidentCommand) -> anyhow::Result<()> {
    let changing = match &command {
        IncidentCommand::Open(a) => Some(("incident.open", None, &a.common)),
        IncidentCommand::Set(a) => Some(("incident.set", Some(a.id), &a.common)),
        IncidentCommand::Update(a) => Some(("incident.update", Some(a.id), &a.common)),
        IncidentCommand::List(_) | IncidentCommand::Show(_) => None,
    };
    let Some((action, id, common)) = changing else {
        return inspect(command);
    };
    let audit = super::open_audit_if_ready(&super::load_config(common)?)?;
    let action = action.to_string();
    let id = change(command)?.or(id);
    super::audited_if(
        audit.as_ref(),
        &action,
        id.map(|id| format!("incident:{id}")),
        serde_json::Value::Null,
    )
}

/// `incident open|set|update`; returns the incident's id.
fn change(command: IncidentCommand) -> anyhow::Result<Option<i64>> {
    let now = Utc::now();
    let mut opened = None;
    match command {
        IncidentCommand::Open(a) => {
            let (_, store) = open_store(&a.common)?;
            let f = a.facts;
            let incident = store.open_incident(
                NewIncident {
                    title: f.title.unwrap_or_default(),
                    description: f.description.unwrap_or_default(),
                    processor: f.processor,
                    occurred_at: f.occurred_at,
                    detected_at: f.detected_at,
                    aware_at: f.aware_at,
                    aware_reason: f.aware_reason.unwrap_or_default(),
                    processor_notified_at: f.processor_notified_at,
                },
                now,
            )?;
            eprintln!(
                "incident {} opened; notify the authority by {} ({})",
                incident.id,
                incident.deadline().to_rfc3339(),
                incident.clock(now)
            );
            println!("{}", incident.id);
            opened = Some(incident.id);
        }
        IncidentCommand::Set(a) => set(a, now)?,
        IncidentCommand::Update(a) => {
            let (_, store) = open_store(&a.common)?;
            store.add_update(a.id, &a.text, now)?;
            eprintln!(
                "update added to incident {}; `privet breach report --incident {}` includes it ({})",
                a.id,
                a.id,
                store.get(a.id)?.clock(now)
            );
        }
        IncidentCommand::List(_) | IncidentCommand::Show(_) => unreachable!("read-only commands"),
    }
    Ok(opened)
}

/// `incident list|show`.
fn inspect(command: IncidentCommand) -> anyhow::Result<()> {
    let now = Utc::now();
    match command {
        IncidentCommand::List(a) => {
            let (_, store) = open_store(&a.common)?;
            let mut table = crate::output::table(&["id", "title", "aware", "deadline", "status"]);
            for i in store.list()? {
                table.add_row(vec![
                    i.id.to_string(),
                    i.title.clone(),
                    i.aware_at.to_rfc3339(),
                    i.deadline().to_rfc3339(),
                    i.clock(now),
                ]);
            }
            println!("{table}");
        }
        IncidentCommand::Show(a) => {
            let (_, store) = open_store(&a.common)?;
            let i = store.get(a.id)?;
            let updates = store.updates(a.id)?;
            if a.json {
                let mut value = serde_json::to_value(&i)?;
                value["deadline"] = i.deadline().to_rfc3339().into();
                value["clock"] = i.clock(now).into();
                value["updates"] = serde_json::to_value(&updates)?;
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            println!("Incident {}: {}", i.id, i.title);
            println!("  {}", i.clock(now));
            let when = |t: Option<DateTime<Utc>>| t.map_or("-".into(), |t| t.to_rfc3339());
            println!("  occurred            {}", when(i.occurred_at));
            println!("  detected            {}", when(i.detected_at));
            println!(
                "  aware               {} ({})",
                i.aware_at.to_rfc3339(),
                i.aware_reason
            );
            println!("  deadline            {}", i.deadline().to_rfc3339());
            println!("  processor notified  {}", when(i.processor_notified_at));
            println!("  authority notified  {}", when(i.authority_notified_at));
            println!("  people notified     {}", when(i.people_notified_at));
            if let Some(p) = &i.processor {
                println!("  processor           {p}");
            }
            if let Some(r) = &i.delay_reason {
                println!("  reasons for delay   {r}");
            }
            for m in &i.measures {
                println!("  measure: {m}");
            }
            for u in &updates {
                println!("  update {}: {}", u.at.to_rfc3339(), u.text);
            }
        }
        _ => unreachable!("changes go through `change`"),
    }
    Ok(())
}

fn set(a: SetArgs, now: DateTime<Utc>) -> anyhow::Result<()> {
    let (_, store) = open_store(&a.common)?;
    let f = a.facts;
    let mut changes = Vec::new();
    changes.extend(f.title.map(Change::Title));
    changes.extend(f.description.map(Change::Description));
    changes.extend(f.processor.map(|p| Change::Processor(Some(p))));
    changes.extend(f.occurred_at.map(Change::OccurredAt));
    changes.extend(f.detected_at.map(Change::DetectedAt));
    match (f.aware_at, f.aware_reason) {
        (Some(t), Some(r)) => changes.push(Change::AwareAt(t, r)),
        (None, None) => {}
        _ => anyhow::bail!(
            "--aware-at and --aware-reason go together: moving the start of the 72-hour clock needs a reason"
        ),
    }
    changes.extend(f.processor_notified_at.map(Change::ProcessorNotifiedAt));
    // The delay reason first: it may be what makes a late authority notification acceptable.
    changes.extend(a.delay_reason.map(Change::DelayReason));
    changes.extend(a.authority_notified_at.map(Change::AuthorityNotifiedAt));
    changes.extend(a.people_notified_at.map(Change::PeopleNotifiedAt));
    changes.extend(a.measure.into_iter().map(Change::AddMeasure));
    if changes.is_empty() {
        anyhow::bail!("nothing to change; see `privet incident set --help`");
    }
    let mut incident = store.get(a.id)?;
    for change in changes {
        incident = store.change(a.id, change)?;
    }
    eprintln!("incident {} updated: {}", incident.id, incident.clock(now));
    Ok(())
}

/// RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC), `YYYY-MM-DD` (midnight UTC) or `now`.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("now") {
        return Ok(Utc::now());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    Err(format!(
        "{s:?} is not a time; use RFC 3339 (2025-11-09T15:00:00Z), `2025-11-09 15:00` (UTC), a date, or `now`"
    ))
}
