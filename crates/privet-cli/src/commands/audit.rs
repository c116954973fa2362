//! `privet audit list|verify|head`: reading the audit log and proving nobody changed it.

use clap::Subcommand;

use crate::Common;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// The latest entries, newest first.
    List {
        /// Only actions starting with this (`identity.` for reveals, `sign_in` for sign-ins).
        #[arg(long)]
        action: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Check every entry's seal and link and the head file; exits non-zero, naming each problem, if an entry was
    /// edited, deleted, inserted, reordered or cut off the end.
    Verify {
        /// A head recorded earlier with `privet audit head` (SEQ:HASH): also proves nothing up to it was rewritten.
        #[arg(long)]
        head: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Print the current head (SEQ:HASH). Keep it somewhere else (a ticket, a notebook) to check later with
    /// `privet audit verify --head`.
    Head {
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::List {
            action,
            limit,
            json,
            common,
        } => {
            let log = super::open_audit(&super::load_config(&common)?)?;
            let entries = log.entries(&privet_audit::Filter {
                action,
                limit,
                ..Default::default()
            })?;
            if json {
                for e in entries {
                    println!("{}", serde_json::to_string(&e)?);
                }
                return Ok(());
            }
            let mut table =
                crate::output::table(&["#", "when", "who", "action", "outcome", "on", "reason"]);
            for e in entries {
                table.add_row(vec![
                    e.seq.to_string(),
                    e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    e.actor,
                    e.action,
                    format!("{:?}", e.outcome).to_lowercase(),
                    e.target.unwrap_or_default(),
                    e.reason.unwrap_or_default(),
                ]);
            }
            println!("{table}");
        }
        AuditCommand::Verify { head, common } => {
            let log = super::open_audit(&super::load_config(&common)?)?;
            let v = log.verify(head.as_deref())?;
            if v.ok() {
                println!(
                    "the audit log is intact: {} entries, every seal and link checks out",
                    v.entries
                );
                if v.unanchored > 0 {
                    println!(
                        "({} latest entries were written after the head file was last moved: a writer stopped in between; not tampering)",
                        v.unanchored
                    );
                }
                if let Some(head) = v.head {
                    println!("head {head}");
                }
            } else {
                for p in &v.problems {
                    eprintln!("problem: {p}");
                }
                anyhow::bail!(
                    "the audit log was tampered with ({} problems in {} entries)",
                    v.problems.len(),
                    v.entries
                );
            }
        }
        AuditCommand::Head { common } => {
            let log = super::open_audit(&super::load_config(&common)?)?;
            match log.head()? {
                Some(head) => println!("{head}"),
                None => println!("the audit log is empty"),
            }
        }
    }
    Ok(())
}
