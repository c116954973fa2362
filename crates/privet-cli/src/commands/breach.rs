//! `privet breach assess|report|notify|preview|public-notice`: from a leaked dataset to notified people and a
//! drafted authority report.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use privet_breach::assess::{self, People, accounts};
use privet_breach::canary::Ledger;
use privet_breach::leak::{self, Overrides};
use privet_breach::{IncidentStore, authority, range};
use privet_notify::notice::{Audience, Controller, IncidentFacts, Notices};
use privet_notify::send::{self, DeliverOptions, Outgoing, SmtpSettings};

use crate::Common;

#[derive(Subcommand)]
pub enum BreachCommand {
    /// Cross-reference a leaked dataset with the vault (and your accounts file): who is affected, what was
    /// exposed, how risky it is, and which canary (if any) says where it came from.
    Assess(AssessArgs),
    /// Draft the GDPR Art. 33(3) notification to the supervisory authority (Markdown and HTML).
    Report(ReportArgs),
    /// Send each affected person one notice, and each affected organisation's administrators one summary,
    /// exactly once, through your SMTP server (or render them all for review with --dry-run).
    Notify(NotifyArgs),
    /// Render one sample notice in a locale, to review the texts (and your overrides).
    Preview(PreviewArgs),
    /// Render the public notice page in every locale (Art. 34(3)(c)), for people who cannot be reached.
    PublicNotice(PublicNoticeArgs),
}

#[derive(Args)]
pub struct NotifyArgs {
    /// The incident (assessed with `privet breach assess`).
    #[arg(long)]
    incident: i64,
    /// The SMTP server: smtp://user:pass@host:587 (STARTTLS when offered), ?tls=required, smtps://host:465,
    /// ?tls=none [default: breach.smtp_url].
    #[arg(long, env = "PRIVET_SMTP_URL")]
    smtp: Option<String>,
    /// Send nothing: write every message (.eml, .txt, .html) to this folder for review.
    #[arg(long)]
    dry_run: Option<PathBuf>,
    /// The accounts file [default: the one given to `breach assess`].
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// The project whose vault holds the addresses [default: `default`].
    #[arg(long)]
    project: Option<String>,
    /// Also send the notices an interrupted run left in doubt (they may arrive twice).
    #[arg(long)]
    resend_in_doubt: bool,
    /// Mark in-doubt notices as delivered (their Message-ID is in your mail server's log); repeatable.
    /// Sends nothing.
    #[arg(long, value_name = "KEY")]
    confirm_delivered: Vec<String>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct PreviewArgs {
    /// The locale (en, de, es, fr, ar, lv, id, or one your templates add).
    #[arg(long, default_value = "en")]
    locale: String,
    /// Which notice.
    #[arg(long, default_value = "person", value_parser = ["person", "org-admin", "public"])]
    kind: String,
    /// Take the processor, dates and measures from this incident [default: sample facts].
    #[arg(long)]
    incident: Option<i64>,
    /// Write <locale>.txt and <locale>.html here instead of printing the text.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct PublicNoticeArgs {
    /// The incident (assessed with `privet breach assess`).
    #[arg(long)]
    incident: i64,
    /// Where to write the page [default: <data-dir>/incidents/<id>/public-notice.html].
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct AssessArgs {
    /// The incident (`privet incident open` prints its id).
    #[arg(long)]
    incident: i64,
    /// The leaked files: CSV, JSON, NDJSON or a Mixpanel export (gzip is fine).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Your own accounts, exported from your user database (CSV: email, name, user_id, org_id, role, locale…).
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// Override how a column is understood: `"Work Email=email"`, `notes=ignore`. Repeat for several.
    #[arg(long = "column", value_parser = Overrides::parse_column_flag)]
    columns: Vec<(String, Option<privet_breach::DataCategory>)>,
    /// The format of every file, instead of detecting it: csv, tsv, json, ndjson, mixpanel.
    #[arg(long)]
    format: Option<leak::Format>,
    /// The CSV delimiter, instead of sniffing it (one character; `\t` for tab).
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// The project whose vault to search [default: `default`].
    #[arg(long)]
    project: Option<String>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
pub struct ReportArgs {
    /// The incident.
    #[arg(long)]
    incident: i64,
    /// Add a dated update first (Art. 33(4): information in phases).
    #[arg(long)]
    update: Option<String>,
    #[command(flatten)]
    common: Common,
}

pub fn run(command: BreachCommand) -> anyhow::Result<()> {
    // Every step that reads identities or sends mail is audited (opened first, so nothing runs unaudited).
    let audited = match &command {
        BreachCommand::Assess(a) => Some(("breach.assess", a.incident, &a.common, json_null())),
        BreachCommand::Report(a) => Some(("breach.report", a.incident, &a.common, json_null())),
        BreachCommand::Notify(a) => Some((
            "breach.notify",
            a.incident,
            &a.common,
            serde_json::json!({"dry_run": a.dry_run.is_some()}),
        )),
        BreachCommand::Preview(_) | BreachCommand::PublicNotice(_) => None,
    };
    let audit = match &audited {
        Some((_, _, common, _)) => super::open_audit_if_ready(&super::load_config(common)?)?,
        None => None,
    };
    let entry = audited.map(|(action, incident, _, detail)| (action, incident, detail));
    match command {
        BreachCommand::Assess(a) => assess(a)?,
        BreachCommand::Report(a) => report(a)?,
        BreachCommand::Notify(a) => notify(a)?,
        BreachCommand::Preview(a) => preview(a)?,
        BreachCommand::PublicNotice(a) => public_notice(a)?,
    }
    if let Some((action, incident, detail)) = entry {
        super::audited_if(
            audit.as_ref(),
            action,
            Some(format!("incident:{incident}")),
            detail,
        )?;
    }
    Ok(())
}

fn json_null() -> serde_json::Value {
    serde_json::Value::Null
}

fn bar(len: u64, quiet: bool, template: &str) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    bar
}

/// Everyone the controller knows: the vault's people of the project, and the accounts file.
pub fn known_people(
    config: &privet_config::Config,
    project: Option<&str>,
    accounts_file: Option<&Path>,
) -> anyhow::Result<People> {
    let (_, control) = super::open_control(config)?;
    let project = super::project_or_default(&control, project)?;
    let mut people = if privet_vault::Vault::exists(&config.data_dir.join("vault")) {
        let opened = privet_vault::open_in(
            &config.data_dir,
            config.privacy.master_key_file.as_deref(),
            false,
        )?;
        let (subjects, _, _) = opened.vault.counts()?;
        let decrypting = bar(
            subjects,
            !std::io::IsTerminal::is_terminal(&std::io::stderr()),
            "vault    {bar:40} {pos}/{len} people decrypted ({per_sec}, {eta} left)",
        );
        let people = People::from_vault_with_progress(&opened.vault, project.id, &|n| {
            decrypting.set_position(n)
        })?;
        decrypting.finish_and_clear();
        people
    } else {
        People::default()
    };
    profile_locales(&config.data_dir, project.id.0, &mut people)?;
    if let Some(path) = accounts_file {
        people.add_accounts(accounts::read(path)?);
    }
    Ok(people)
}

/// Fills in each vault person's locale from their profile (`$locale`, `locale`, `$language`, `language`), as
/// the store last flushed it. The accounts file, read afterwards, wins.
fn profile_locales(data_dir: &Path, project: i64, people: &mut People) -> anyhow::Result<()> {
    let path = privet_store::store_dir(data_dir).join("meta.sqlite");
    if !path.exists() {
        return Ok(());
    }
    let meta = privet_store::meta::Meta::open_read_only(&path)?;
    let mut stmt = meta.connection().prepare(
        "SELECT person_id, coalesce(json_extract(properties, '$.\"$locale\"'), json_extract(properties, '$.locale'),
                json_extract(properties, '$.\"$language\"'), json_extract(properties, '$.language'))
         FROM people WHERE project = ?1",
    )?;
    let locales: hashbrown::HashMap<i64, String> = stmt
        .query_map([project], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .filter_map(|r| match r {
            Ok((p, Some(l))) => Some(Ok((p, l))),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()?;
    for known in &mut people.known {
        if known.locale.is_none()
            && let Some(l) = known.pseudonym.and_then(|p| locales.get(&p))
        {
            known.locale = Some(l.clone());
        }
    }
    Ok(())
}

fn assess(a: AssessArgs) -> anyhow::Result<()> {
    let (config, mut store) = super::incident::open_store(&a.common)?;
    let incident = store.get(a.incident)?;
    let overrides = Overrides {
        columns: a.columns.clone(),
        format: a.format,
        delimiter: a.delimiter,
    };
    let total: u64 = a
        .files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let reading = bar(
        total,
        a.quiet,
        "reading  {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    );
    let mut files = Vec::new();
    let mut before = 0;
    for (i, path) in a.files.iter().enumerate() {
        let file = leak::read_file(path, i as u32, &overrides, &|bytes| {
            reading.set_position(before + bytes)
        })?;
        before += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        for warning in &file.warnings {
            reading.suspend(|| eprintln!("warning: {warning}"));
        }
        files.push(file);
    }
    reading.finish_and_clear();
    for (column, _) in &a.columns {
        if files.iter().all(|f| {
            f.unused_overrides
                .iter()
                .any(|u| u.eq_ignore_ascii_case(column))
        }) {
            anyhow::bail!(
                "--column {column:?} names no column of any file; the columns are listed by `privet breach assess` \
                 without the flag"
            );
        }
    }
    let people = known_people(&config, a.project.as_deref(), a.accounts.as_deref())?;
    let canaries = Ledger::new(store.connection())?.list()?;
    let records: u64 = files.iter().map(|f| f.records.len() as u64).sum();
    let matching = bar(
        records,
        a.quiet,
        "matching {bar:40} {pos}/{len} records ({per_sec}, {eta} left)",
    );
    let now = Utc::now();
    let outcome = assess::assess(
        &assess::Input {
            incident: incident.id,
            salt: &incident.salt,
            files: &files,
            people: &people,
            canaries: &canaries,
            now,
        },
        &|done| matching.set_position(done),
    );
    matching.finish_and_clear();
    let assessment = outcome.assessment;
    let json = store.save_assessment(&assessment)?;
    let folder = store.folder(incident.id)?;
    let html = folder.join("assessment.html");
    std::fs::write(&html, assess::report::html(&incident, &assessment, now))?;
    if let Some(accounts) = &a.accounts {
        // The notifier addresses people from the same accounts file unless told otherwise.
        let path = std::fs::canonicalize(accounts).unwrap_or_else(|_| accounts.clone());
        std::fs::write(
            folder.join("accounts-file"),
            path.to_string_lossy().as_bytes(),
        )?;
    }
    range::store(
        store.connection_mut(),
        incident.id,
        outcome.addresses.iter().map(String::as_str),
    )?;
    print!("{}", assess::report::summary(&incident, &assessment, now));
    for s in &assessment.sources {
        let ignored: Vec<&str> = s
            .columns
            .iter()
            .filter(|c| c.category.is_none())
            .map(|c| c.column.as_str())
            .collect();
        if !ignored.is_empty() {
            println!(
                "  {}: ignored columns {} (map them with --column \"NAME=CATEGORY\" if they hold personal data)",
                s.file,
                ignored.join(", ")
            );
        }
    }
    println!("wrote {} and {}", json.display(), html.display());
    Ok(())
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "{s:?} is not a one-character delimiter; use , ; | or \\t"
        )),
    }
}

fn report(a: ReportArgs) -> anyhow::Result<()> {
    let (config, store) = super::incident::open_store(&a.common)?;
    let now = Utc::now();
    if let Some(text) = &a.update {
        store.add_update(a.incident, text, now)?;
    }
    let incident = store.get(a.incident)?;
    let updates = store.updates(a.incident)?;
    let assessment = store.assessment(a.incident)?;
    let report = authority::draft(&authority::ReportInput {
        incident: &incident,
        updates: &updates,
        assessment: assessment.as_ref(),
        config: &config.breach,
        now,
    });
    let folder = store.folder(a.incident)?;
    let md = folder.join("authority-report.md");
    let html = folder.join("authority-report.html");
    std::fs::write(&md, &report.markdown)
        .with_context(|| format!("cannot write {}", md.display()))?;
    std::fs::write(&html, &report.html)?;
    // Each phase (the first notification, then each update, Art. 33(4)) keeps its own copy, as sent.
    let phase = updates.len();
    std::fs::write(
        folder.join(format!("authority-report-{phase}.md")),
        &report.markdown,
    )?;
    std::fs::write(
        folder.join(format!("authority-report-{phase}.html")),
        &report.html,
    )?;
    println!("Incident {}: {}", incident.id, incident.clock(now));
    if report.missing.is_empty() {
        println!("every required item is filled in");
    } else {
        println!("before sending, fill in:");
        for m in &report.missing {
            println!("  - {m}");
        }
    }
    for s in &report.member_states {
        let people = if s.people == 1 { "person" } else { "people" };
        println!(
            "  {} ({}): {} {people}; authority: {}",
            s.country, s.code, s.people, s.authority
        );
    }
    println!("wrote {} and {}", md.display(), html.display());
    Ok(())
}

fn facts(incident: &privet_breach::Incident) -> IncidentFacts {
    IncidentFacts {
        processor: incident.processor.clone(),
        occurred_on: incident.occurred_at.map(|t| t.date_naive()),
        aware_on: incident.aware_at.date_naive(),
        measures: incident.measures.clone(),
    }
}

fn notices(config: &privet_config::Config) -> anyhow::Result<Notices> {
    Ok(Notices::new(config.breach.templates.as_deref())?)
}

fn saved_assessment(
    store: &IncidentStore,
    id: i64,
) -> anyhow::Result<(privet_breach::Incident, privet_breach::Assessment)> {
    let incident = store.get(id)?;
    let assessment = store.assessment(id)?.with_context(|| {
        format!("incident {id} has no assessment yet; run `privet breach assess --incident {id} LEAKED_FILE…` first")
    })?;
    Ok((incident, assessment))
}

/// Notices rendered and handed to the outbox at a time.
const NOTIFY_BATCH: usize = 2_000;

/// One notice to write: to whom (an index into the known people) and which.
struct Planned {
    key: String,
    person: usize,
    audience: Audience,
}

fn notify(a: NotifyArgs) -> anyhow::Result<()> {
    let (config, store) = super::incident::open_store(&a.common)?;
    let (incident, assessment) = saved_assessment(&store, a.incident)?;
    if !a.confirm_delivered.is_empty() {
        let n = send::confirm_delivered(&store.database_path(), incident.id, &a.confirm_delivered)?;
        println!(
            "{n} of {} notices marked delivered (the others were not in doubt)",
            a.confirm_delivered.len()
        );
        eprintln!("incident {}: {}", incident.id, incident.clock(Utc::now()));
        return Ok(());
    }
    let folder = store.folder(incident.id)?;
    let accounts = a.accounts.clone().or_else(|| {
        std::fs::read_to_string(folder.join("accounts-file"))
            .ok()
            .map(PathBuf::from)
    });
    let people = known_people(&config, a.project.as_deref(), accounts.as_deref())?;
    let by_key = people.by_key(&incident.salt);
    let org_ids: hashbrown::HashMap<String, String> = people
        .known
        .iter()
        .flat_map(|k| k.orgs.iter())
        .chain(people.org_pseudonyms.keys())
        .map(|id| (People::org_key(id, &incident.salt), id.clone()))
        .collect();
    let mut plan: Vec<Planned> = Vec::new();
    let mut unknown = 0;
    // Two records of the controller can share one address (a person known twice): one notice goes there,
    // naming everything exposed about either.
    let mut by_address: hashbrown::HashMap<String, usize> = hashbrown::HashMap::new();
    for p in &assessment.people {
        let Some(&i) = by_key.get(&p.key) else {
            unknown += 1;
            continue;
        };
        if let Some(address) = people.known[i].contact().map(str::to_lowercase) {
            if let Some(&at) = by_address.get(&address) {
                if let Audience::Person { exposed, .. } = &mut plan[at].audience {
                    for c in &p.exposed {
                        if !exposed.contains(c) {
                            exposed.push(*c);
                        }
                    }
                }
                continue;
            }
            by_address.insert(address, plan.len());
        }
        plan.push(Planned {
            key: p.key.clone(),
            person: i,
            audience: Audience::Person {
                name: people.known[i].name.clone(),
                exposed: p.exposed.clone(),
            },
        });
    }
    for o in &assessment.organisations {
        let organisation = org_ids
            .get(&o.key)
            .map(|id| {
                people
                    .org_names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| id.clone())
            })
            .unwrap_or_else(|| "your organisation".into());
        for admin in &o.admins {
            let Some(&i) = by_key.get(admin) else {
                unknown += 1;
                continue;
            };
            plan.push(Planned {
                key: format!("{admin}.{}", o.key),
                person: i,
                audience: Audience::OrgAdmin {
                    name: people.known[i].name.clone(),
                    organisation: organisation.clone(),
                    members_affected: o.members.len() as u64,
                    exposed: o.exposed.clone(),
                },
            });
        }
    }
    if unknown > 0 {
        eprintln!(
            "{unknown} people of the assessment are no longer known (erased since, or a different accounts file); \
             they are skipped"
        );
    }
    let notices = notices(&config)?;
    let controller = Controller::from(&config.breach);
    let facts = facts(&incident);
    let default_locale = config.breach.default_locale.clone();
    // The controller's texts (configuration, measures, dates) are checked once, before anything is sent.
    notices
        .render(
            &default_locale,
            &Audience::Person {
                name: None,
                exposed: vec![privet_model::DataCategory::Email],
            },
            &controller,
            &facts,
        )
        .context("the notices cannot be written; nothing was sent")?;
    let unrenderable = std::cell::Cell::new(0u64);
    let planned_count = plan.len() as u64;
    let messages = plan.into_iter().filter_map(|planned| {
        let known = &people.known[planned.person];
        let locale = notices.negotiate(known.locale.as_deref(), &default_locale);
        let kind = match planned.audience {
            Audience::OrgAdmin { .. } => "org_admin",
            _ => "person",
        };
        // What is left to fail is one recipient's own data (an organisation name holding a link): that notice
        // is skipped and counted, the others go.
        let Ok(rendered) = notices.render(&locale, &planned.audience, &controller, &facts) else {
            unrenderable.set(unrenderable.get() + 1);
            return None;
        };
        Some(Outgoing {
            recipient: planned.key,
            address: known.contact().unwrap_or_default().to_string(),
            kind: kind.into(),
            locale: rendered.locale,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        })
    });
    if let Some(dir) = &a.dry_run {
        let settings = SmtpSettings::from_config(
            &config.breach,
            Some(a.smtp.as_deref().unwrap_or("smtp://127.0.0.1:25")),
        )?;
        std::fs::create_dir_all(dir)?;
        let n = send::dry_run(dir, incident.id, messages, &settings)?;
        println!(
            "rendered {n} messages into {} (nothing was sent); {} not writable",
            dir.display(),
            unrenderable.get()
        );
        eprintln!("incident {}: {}", incident.id, incident.clock(Utc::now()));
        return Ok(());
    }
    let placeholders = config.breach.placeholders();
    if !placeholders.is_empty() {
        anyhow::bail!(
            "{} still hold Privet's examples; set them in the configuration before notices go to people              (`--dry-run` renders with them for review)",
            placeholders.join(", ")
        );
    }
    let settings = SmtpSettings::from_config(&config.breach, a.smtp.as_deref())?;
    // Rendered messages are sent in batches, so a million notices never sit in memory at once.
    let mut tally = send::Tally::default();
    let progress = bar(
        planned_count,
        a.quiet,
        "sending  {bar:40} {pos}/{len} ({per_sec}, {eta} left) {msg}",
    );
    let mut messages = messages.peekable();
    while messages.peek().is_some() {
        let batch: Vec<Outgoing> = messages.by_ref().take(NOTIFY_BATCH).collect();
        let done = send::deliver(
            &store.database_path(),
            incident.id,
            batch,
            &settings,
            &DeliverOptions {
                resend_in_doubt: a.resend_in_doubt,
                progress: Some(progress.clone()),
                ..DeliverOptions::default()
            },
        )?;
        tally.sent += done.sent;
        tally.already_sent += done.already_sent;
        tally.skipped_no_address += done.skipped_no_address;
        tally.in_doubt.extend(done.in_doubt);
        tally.failed.extend(done.failed);
    }
    progress.finish_and_clear();
    eprintln!("incident {}: {}", incident.id, incident.clock(Utc::now()));
    println!(
        "sent {}, already sent before {}, in doubt {}, failed {}, no address {}, not writable {}",
        tally.sent,
        tally.already_sent,
        tally.in_doubt.len(),
        tally.failed.len(),
        tally.skipped_no_address,
        unrenderable.get()
    );
    if unrenderable.get() > 0 {
        println!(
            "  not writable: {} notices could not be written because the recipient's own data (an organisation name) holds a link; use the public notice for them",
            unrenderable.get()
        );
    }
    for key in &tally.in_doubt {
        println!(
            "  in doubt: {key} (an earlier run stopped while handing it to the server; check the server's log \
             for its Message-ID: --confirm-delivered KEY if it arrived, --resend-in-doubt if it never did)"
        );
    }
    for (key, error) in &tally.failed {
        println!("  failed: {key}: {error}");
    }
    if tally.skipped_no_address > 0 {
        println!(
            "  people without an address need the public notice: `privet breach public-notice --incident {}`",
            incident.id
        );
    }
    if tally.in_doubt.is_empty()
        && tally.failed.is_empty()
        && unrenderable.get() == 0
        && incident.people_notified_at.is_none()
    {
        store.change(
            incident.id,
            privet_breach::incident::Change::PeopleNotifiedAt(Utc::now()),
        )?;
    }
    Ok(())
}

fn preview(a: PreviewArgs) -> anyhow::Result<()> {
    use privet_breach::DataCategory as C;
    let config = super::load_config(&a.common)?;
    let facts = match a.incident {
        Some(id) => {
            let (_, store) = super::incident::open_store(&a.common)?;
            facts(&store.get(id)?)
        }
        None => IncidentFacts {
            processor: Some("Example Analytics".into()),
            occurred_on: chrono::NaiveDate::from_ymd_opt(2025, 11, 9),
            aware_on: Utc::now().date_naive(),
            measures: vec!["We ended the vendor's access to our data.".into()],
        },
    };
    let exposed = vec![
        C::Email,
        C::Name,
        C::City,
        C::Country,
        C::Os,
        C::Browser,
        C::UserId,
        C::OrgId,
    ];
    let audience = match a.kind.as_str() {
        "org-admin" => Audience::OrgAdmin {
            name: Some("Ada Lovelace".into()),
            organisation: "Analytical Engines".into(),
            members_affected: 12,
            exposed,
        },
        "public" => Audience::Public {
            exposed,
            people: 1234,
        },
        _ => Audience::Person {
            name: Some("Ada Lovelace".into()),
            exposed,
        },
    };
    let notices = notices(&config)?;
    let locale = notices.negotiate(Some(&a.locale), &config.breach.default_locale);
    if !locale.eq_ignore_ascii_case(&a.locale) {
        eprintln!(
            "no texts for {:?}; showing {locale} (available: {})",
            a.locale,
            notices.locales().join(", ")
        );
    }
    let r = notices.render(
        &locale,
        &audience,
        &Controller::from(&config.breach),
        &facts,
    )?;
    match &a.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            std::fs::write(
                dir.join(format!("{locale}.txt")),
                format!("Subject: {}\n\n{}", r.subject, r.text),
            )?;
            std::fs::write(dir.join(format!("{locale}.html")), &r.html)?;
            println!("wrote {locale}.txt and {locale}.html in {}", dir.display());
        }
        None => println!("Subject: {}\n\n{}", r.subject, r.text),
    }
    Ok(())
}

fn public_notice(a: PublicNoticeArgs) -> anyhow::Result<()> {
    let (config, store) = super::incident::open_store(&a.common)?;
    let (incident, assessment) = saved_assessment(&store, a.incident)?;
    let exposed: Vec<_> = assessment.people_by_category.keys().copied().collect();
    let page = notices(&config)?.public_page(
        &Controller::from(&config.breach),
        &facts(&incident),
        &exposed,
        assessment.people.len() as u64,
    )?;
    let out = match a.out {
        Some(out) => out,
        None => store.folder(incident.id)?.join("public-notice.html"),
    };
    std::fs::write(&out, page).with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote {}", out.display());
    eprintln!("incident {}: {}", incident.id, incident.clock(Utc::now()));
    Ok(())
}
