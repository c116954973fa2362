//! `privet user create|list|set-role|disable|enable|unlock|reset-mfa|require-mfa`: dashboard accounts.

use std::io::Read;

use anyhow::Context;
use clap::Subcommand;
use privet_auth::Role;
use serde_json::json;

use crate::Common;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a dashboard user. Prints a one-time password as the last line (they choose their own at first
    /// sign-in), or reads one from standard input with --password-stdin.
    Create {
        email: String,
        /// admin (users, keys, projects), analyst (pseudonymous analytics), or privacy-officer (reveals,
        /// erasures, breach response, the audit log).
        #[arg(long)]
        role: Role,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        common: Common,
    },
    /// List the users (never their passwords).
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Change a user's role (their sessions end, so it applies at once).
    SetRole {
        /// The user's email or id.
        user: String,
        #[arg(long)]
        role: Role,
        #[command(flatten)]
        common: Common,
    },
    /// Disable a user: they cannot sign in, and their sessions end.
    Disable {
        user: String,
        #[command(flatten)]
        common: Common,
    },
    /// Re-enable a disabled user.
    Enable {
        user: String,
        #[command(flatten)]
        common: Common,
    },
    /// Lift a lock-out after repeated failed sign-ins.
    Unlock {
        user: String,
        #[command(flatten)]
        common: Common,
    },
    /// Remove a user's authenticator and recovery codes (a lost phone); they enrol again at next sign-in if MFA
    /// is mandatory.
    ResetMfa {
        user: String,
        #[command(flatten)]
        common: Common,
    },
    /// Make two-step verification mandatory for everyone (`on`) or optional (`off`).
    RequireMfa {
        #[arg(value_parser = ["on", "off"])]
        state: String,
        #[command(flatten)]
        common: Common,
    },
}

fn common(c: &UserCommand) -> &Common {
    match c {
        UserCommand::Create { common, .. }
        | UserCommand::List { common }
        | UserCommand::SetRole { common, .. }
        | UserCommand::Disable { common, .. }
        | UserCommand::Enable { common, .. }
        | UserCommand::Unlock { common, .. }
        | UserCommand::ResetMfa { common, .. }
        | UserCommand::RequireMfa { common, .. } => common,
    }
}

pub fn run(command: UserCommand) -> anyhow::Result<()> {
    let config = super::load_config(common(&command))?;
    let (_, control) = super::open_control(&config)?;
    if let UserCommand::List { .. } = command {
        let mut table =
            crate::output::table(&["id", "email", "role", "two-step", "status", "created"]);
        let now = chrono::Utc::now();
        for u in control.users()? {
            let status = if u.disabled_at.is_some() {
                "disabled"
            } else if u.locked(now) {
                "locked"
            } else {
                "active"
            };
            table.add_row(vec![
                u.id.to_string(),
                u.email,
                u.role.to_string(),
                if u.mfa_enrolled { "on" } else { "off" }.to_string(),
                status.to_string(),
                u.created_at,
            ]);
        }
        println!("{table}");
        println!(
            "two-step verification is {}",
            if control.require_mfa()? {
                "mandatory"
            } else {
                "optional"
            }
        );
        return Ok(());
    }
    let audit = super::open_audit(&config)?;
    match command {
        UserCommand::Create {
            email,
            role,
            password_stdin,
            ..
        } => {
            let (password, generated) = if password_stdin {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("cannot read the password from standard input")?;
                (text.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (privet_auth::users::password::generate(), true)
            };
            let user = control.create_user(&email, role, &password, generated)?;
            let _ = control.issue_setup_token();
            super::audited(
                &audit,
                "user.create",
                Some(format!("user:{}", user.id)),
                json!({"role": role.as_str()}),
            )?;
            if generated {
                println!(
                    "Created {} user {} (id {}). Their one-time password, shown only now (they choose their own at first sign-in):",
                    user.role, user.email, user.id
                );
                println!("{password}");
            } else {
                println!(
                    "Created {} user {} (id {}).",
                    user.role, user.email, user.id
                );
            }
        }
        UserCommand::SetRole { user, role, .. } => {
            let u = control.find_user(&user)?;
            let u = control.set_user_role(u.id, role)?;
            super::audited(
                &audit,
                "user.role",
                Some(format!("user:{}", u.id)),
                json!({"role": role.as_str()}),
            )?;
            println!("{} is now {}", u.email, u.role);
        }
        UserCommand::Disable { user, .. } => set_disabled(&control, &audit, &user, true)?,
        UserCommand::Enable { user, .. } => set_disabled(&control, &audit, &user, false)?,
        UserCommand::Unlock { user, .. } => {
            let u = control.find_user(&user)?;
            control.unlock_user(u.id)?;
            super::audited(
                &audit,
                "user.unlock",
                Some(format!("user:{}", u.id)),
                json!(null),
            )?;
            println!("{} is unlocked", u.email);
        }
        UserCommand::ResetMfa { user, .. } => {
            let u = control.find_user(&user)?;
            control.remove_totp(u.id)?;
            control.end_sessions_of(u.id)?;
            super::audited(
                &audit,
                "mfa.reset",
                Some(format!("user:{}", u.id)),
                json!(null),
            )?;
            println!("{}'s authenticator and recovery codes are removed", u.email);
        }
        UserCommand::RequireMfa { state, .. } => {
            let on = state == "on";
            control.set_require_mfa(on)?;
            super::audited(
                &audit,
                "settings.require_mfa",
                Some("settings".into()),
                json!({"require_mfa": on}),
            )?;
            println!(
                "two-step verification is now {}",
                if on {
                    "mandatory: users without it enrol at their next sign-in"
                } else {
                    "optional"
                }
            );
        }
        UserCommand::List { .. } => {}
    }
    Ok(())
}

fn set_disabled(
    control: &privet_auth::Control,
    audit: &privet_audit::AuditLog,
    user: &str,
    disabled: bool,
) -> anyhow::Result<()> {
    let u = control.find_user(user)?;
    control.set_user_disabled(u.id, disabled)?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    super::audited(audit, action, Some(format!("user:{}", u.id)), json!(null))?;
    println!(
        "{} is {}",
        u.email,
        if disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}
