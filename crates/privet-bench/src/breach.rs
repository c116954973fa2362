//! `privet-bench breach`: `privet breach assess` on a million leaked records against a million known people,
//! and DuckDB doing the naive cross-reference (a join on the lower-cased address) on the same files.
//!
//! It fills a fresh data directory's vault with `--people` identities (through the vault's own API, as the
//! pipeline would), writes a leaked CSV of `--leaked` records (most of them known people, written the way leaks
//! write them: upper case, `+tags`, Gmail dots, only a user id; the rest strangers) and the same people as an
//! accounts CSV, then times the real binary. It checks the counts it can predict, so the timed work was real.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use comfy_table::{Table, presets::ASCII_MARKDOWN};
use privet_model::ProjectId;
use privet_vault::{IdKind, Ticket};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(clap::Args)]
pub struct BreachArgs {
    /// The `privet` binary (default: `privet` next to this program).
    #[arg(long)]
    privet: Option<PathBuf>,
    /// People in the vault.
    #[arg(long, default_value_t = 1_000_000)]
    people: u64,
    /// Records in the leak.
    #[arg(long, default_value_t = 1_000_000)]
    leaked: u64,
    /// A Python with duckdb installed, for the peer (default: ~/.cache/privet/venv/bin/python).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Keep the data here instead of a temporary directory.
    #[arg(long)]
    dir: Option<PathBuf>,
}

const FIRST: [&str; 12] = [
    "ada", "grace", "alan", "edsger", "barbara", "donald", "frances", "ken", "margaret", "linus",
    "radia", "tim",
];
const LAST: [&str; 12] = [
    "lovelace", "hopper", "turing", "dijkstra", "liskov", "knuth", "allen", "thompson", "hamilton",
    "torvalds", "perlman", "lee",
];
const DOMAINS: [&str; 4] = [
    "gmail.com",
    "example.com",
    "example.org",
    "mail.example.net",
];

fn person(i: u64) -> (String, String, String) {
    let first = FIRST[(i % 12) as usize];
    let last = LAST[(i / 12 % 12) as usize];
    let domain = DOMAINS[(i / 144 % 4) as usize];
    (
        format!("user-{i}"),
        format!("{first}.{last}{i}@{domain}"),
        format!("{} {} {i}", capital(first), capital(last)),
    )
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub fn run(args: BreachArgs) -> anyhow::Result<()> {
    let privet = match args.privet {
        Some(p) => p,
        None => std::env::current_exe()?.with_file_name("privet"),
    };
    let python = args.python.unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default())
            .join(".cache/privet/venv/bin/python")
    });
    let temp = tempfile::tempdir()?;
    let root = args.dir.unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&root)?;
    let data = root.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
        let _ = std::fs::remove_file(root.join("data.master-key"));
    }
    let cli = |args: &[&str]| -> anyhow::Result<String> {
        let out = Command::new(&privet)
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .with_context(|| format!("cannot run {}", privet.display()))?;
        if !out.status.success() {
            bail!(
                "privet {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    cli(&["project", "create", "default"])?;

    eprintln!("filling the vault with {} people…", args.people);
    let started = Instant::now();
    {
        let opened = privet_vault::open_in(&data, None, true)?;
        let vault = opened.vault;
        let project = ProjectId(1);
        let mut ticket = Ticket::default();
        for i in 0..args.people {
            let (id, email, name) = person(i);
            let p = vault.pseudonym(project, IdKind::Person, &id, &mut ticket)?;
            vault.set_field(project, p, "$email", &email, &mut ticket)?;
            vault.set_field(project, p, "$name", &name, &mut ticket)?;
            if i % 50_000 == 49_999 {
                vault.sync_blocking(ticket)?;
            }
        }
        vault.sync_blocking(ticket)?;
    }
    let fill = started.elapsed().as_secs_f64();

    // The leak: 70% known people written four ways, 30% strangers. Known people appear at most once.
    let leak = root.join("leak.csv");
    let accounts = root.join("accounts.csv");
    let mut rng = StdRng::seed_from_u64(7);
    let mut expected_matched = 0u64;
    {
        let mut out = BufWriter::new(std::fs::File::create(&leak)?);
        writeln!(
            out,
            "email,name,city,country,os,browser,referrer,user_id,org_id"
        )?;
        for r in 0..args.leaked {
            let known = r < args.people && rng.random_bool(0.7);
            if !known {
                writeln!(
                    out,
                    "stranger{r}@nowhere.example,Stranger {r},Oslo,NO,Linux,Firefox,https://news.example/,,"
                )?;
                continue;
            }
            expected_matched += 1;
            let (id, email, name) = person(r);
            let (local, domain) = email.split_once('@').expect("an address");
            let written = match r % 4 {
                0 => email.to_uppercase(),
                1 => format!("{local}+promo@{domain}"),
                2 if domain == "gmail.com" => format!("{}@googlemail.com", local.replace('.', "")),
                2 => email.clone(),
                _ => String::new(),
            };
            let uid = if written.is_empty() { id.as_str() } else { "" };
            writeln!(
                out,
                "{written},\"{name}\",Berlin,DE,Mac OS X,Chrome,https://www.example.com/,{uid},org-{}",
                r % 5000
            )?;
        }
        out.flush()?;
        let mut acc = BufWriter::new(std::fs::File::create(&accounts)?);
        writeln!(acc, "email,name,user_id,org_id")?;
        for i in 0..args.people {
            let (id, email, name) = person(i);
            writeln!(acc, "{email},\"{name}\",{id},org-{}", i % 5000)?;
        }
        acc.flush()?;
    }
    let incident = cli(&[
        "incident",
        "open",
        "--title",
        "benchmark",
        "--aware-reason",
        "benchmark leak",
    ])?;
    let incident = incident.trim().lines().last().unwrap_or("1").to_string();

    let mut rows = Vec::new();
    let leak_s = leak.to_string_lossy().to_string();
    let accounts_s = accounts.to_string_lossy().to_string();
    for (label, extra) in [
        ("Privet: leak × vault", vec![]),
        (
            "Privet: leak × vault + accounts",
            vec!["--accounts", accounts_s.as_str()],
        ),
    ] {
        let mut argv = vec![
            "breach",
            "assess",
            "--incident",
            incident.as_str(),
            leak_s.as_str(),
            "--quiet",
        ];
        argv.extend(extra);
        let started = Instant::now();
        let (output, rss) = run_measured(
            Command::new(&privet)
                .args(&argv)
                .arg("--data-dir")
                .arg(&data),
        )?;
        let secs = started.elapsed().as_secs_f64();
        let out = String::from_utf8_lossy(&output.stdout);
        let want = format!(": {expected_matched} matched,");
        if !output.status.success() || !out.contains(&want) {
            bail!(
                "{label}: expected `{want}` in:\n{out}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        rows.push((label.to_string(), secs, rss));
    }

    // The peer: DuckDB joining the leak with the accounts on the lower-cased, trimmed address (exact rule only).
    let script = format!(
        r#"
import duckdb, time
c = duckdb.connect()
t = time.time()
n = c.execute("""
  SELECT count(*) FROM read_csv('{leak}', header=true, all_varchar=true) l
  JOIN read_csv('{accounts}', header=true, all_varchar=true) a ON lower(trim(l.email)) = lower(trim(a.email))
""").fetchone()[0]
print(n, time.time() - t)
"#,
        leak = leak.display(),
        accounts = accounts.display()
    );
    let out = Command::new(&python)
        .args(["-c", &script])
        .output()
        .with_context(|| {
            format!(
                "cannot run {} (scripts/setup-bench-env installs duckdb)",
                python.display()
            )
        })?;
    if !out.status.success() {
        bail!("duckdb failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let duck_matched: u64 = parts.next().unwrap_or("0").parse()?;
    let duck_secs: f64 = parts.next().unwrap_or("0").parse()?;

    let mut table = Table::new();
    table.load_preset(ASCII_MARKDOWN);
    table.set_header(["run", "seconds", "records/s", "peak RSS MB", "matched"]);
    for (label, secs, rss) in &rows {
        table.add_row([
            label.clone(),
            format!("{secs:.1}"),
            format!("{:.0}", args.leaked as f64 / secs),
            format!("{}", rss / 1024),
            format!("{expected_matched} (all four forms)"),
        ]);
    }
    table.add_row([
        "DuckDB: join on lower(trim(email))".to_string(),
        format!("{duck_secs:.1}"),
        format!("{:.0}", args.leaked as f64 / duck_secs),
        "-".into(),
        format!("{duck_matched} (exact addresses only)"),
    ]);
    println!(
        "{} leaked records against {} known people (vault filled in {fill:.0} s; not timed below)\n",
        args.leaked, args.people
    );
    println!("{table}");
    println!(
        "\nratio Privet (vault) / DuckDB: {:.2}; Privet also decrypts the vault, applies four match rules, rates \
         risk and writes the reports.",
        rows[0].1 / duck_secs
    );
    Ok(())
}

/// Runs a command to completion; returns its standard output and peak resident set (KiB), from `wait4`.
fn run_measured(command: &mut Command) -> anyhow::Result<(std::process::Output, u64)> {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    // Read the pipes on threads so a chatty child never blocks on a full pipe while we wait for it.
    let mut child = child;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).map(|_| v)
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut v).map(|_| v)
    });
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `pid` is our child, not yet waited for; wait4 fills `status` and `usage`.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    if waited != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    // SAFETY: initialised by the successful wait4 above.
    let rss = unsafe { usage.assume_init() }.ru_maxrss as u64;
    let output = std::process::Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(status),
        stdout: out.join().expect("reader thread")?,
        stderr: err.join().expect("reader thread")?,
    };
    Ok((output, rss))
}
