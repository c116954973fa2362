//! Delivery of breach notices through a real SMTP server, exactly once per (incident, recipient).
//!
//! # Exactly once
//!
//! Every notice has a row in the `outbox` table of an SQLite database, keyed by the incident and an opaque
//! recipient key chosen by the caller. The outbox never holds an address or a name:
//!
//! ```sql
//! CREATE TABLE outbox (
//!     incident INTEGER NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL, locale TEXT NOT NULL,
//!     status TEXT NOT NULL,      -- pending | sending | sent | failed
//!     attempts INTEGER NOT NULL, message_id TEXT NOT NULL,
//!     last_error TEXT,           -- addresses masked
//!     queued_at TEXT NOT NULL, sending_at TEXT, sent_at TEXT,   -- RFC 3339, UTC
//!     PRIMARY KEY (incident, recipient))
//! ```
//!
//! [`deliver`] follows this protocol, committing (WAL, `synchronous=FULL`) every status
//! change before the next step:
//!
//! 1. All rows of the run are inserted as `pending` in one transaction (`INSERT OR IGNORE`: rows from
//!    earlier runs keep their state).
//! 2. Rows already `sent` are skipped (counted as `already_sent`). Rows left in `sending` by an earlier run
//!    are *in doubt* — that run handed the message to the server and stopped before hearing back, so it may
//!    have been delivered — and are skipped and reported, unless [`DeliverOptions::resend_in_doubt`].
//!    Rows left `failed` are tried again.
//! 3. On one reused connection: `MAIL`, `RCPT`, `DATA`; only after the server's 354 is the row marked
//!    `sending`, then the body and the final `.` are transmitted, and after the server's 250 the row is
//!    marked `sent`. A crash before the body is complete leaves the row `pending`, and that is safe to send
//!    again: a server discards a transaction whose `DATA` was never terminated. Only a crash (or a lost
//!    connection) between the final `.` and the `sent` commit leaves a row in doubt, and a resent notice
//!    carries the same Message-ID so that it can be recognised.
//! 4. Transient failures (connection errors, 4xx replies) are retried with exponential back-off up to
//!    [`SmtpSettings::max_attempts`], then the row is `failed`; a 5xx reply to `RCPT` fails it at once.
//! 5. At most [`SmtpSettings::rate_per_second`] messages per second are started.
//!
//! A second `deliver` on the same outbox while one runs is refused (a lock file beside the database).
//!
//! # Privacy
//!
//! No address or name is written to the outbox, to logs, to errors or to the [`Tally`]: they know
//! recipients only by key, and server replies (which often echo the address) are masked (`a***@example.com`)
//! before they are stored or shown.

mod error;
mod mask;
mod message;
mod outbox;
mod settings;
mod smtp;

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

pub use error::SendError;
pub use mask::{mask_address, mask_addresses};
pub use message::{MAX_KEY_LEN, build_message, message_id};
pub use outbox::{OutboxCounts, confirm_delivered, outbox_status};
pub use settings::{DEFAULT_TIMEOUT, DkimSettings, SmtpSettings, TlsMode, redact_url};

use message::{Composer, Signer, check_keys, has_address};
use outbox::{NewRow, Outbox, Status};
use settings::Endpoint;
use smtp::{Client, ConnectError, Outcome};

/// One notice to send.
#[derive(Clone)]
pub struct Outgoing {
    /// The recipient's opaque key, unique within the incident: 1 to [`MAX_KEY_LEN`] characters of
    /// `A-Z a-z 0-9 . _ -`. It is what the outbox, logs and the tally know the recipient by, and it appears
    /// in the Message-ID and in dry-run file names. Never an address.
    pub recipient: String,
    /// The email address (`ada@example.com` or `Ada Lovelace <ada@example.com>`); empty when the person has
    /// none (the notice is then skipped and counted in [`Tally::skipped_no_address`]).
    pub address: String,
    /// `person` or `org_admin`.
    pub kind: String,
    /// The notice's language tag (`en`, `pt-BR`), sent as `Content-Language`.
    pub locale: String,
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
}

impl fmt::Debug for Outgoing {
    /// Shows the key and the masked address, never the address or the texts (which carry the name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("recipient", &self.recipient)
            .field("address", &mask_address(&self.address))
            .field("kind", &self.kind)
            .field("locale", &self.locale)
            .field("text_bytes", &self.text.len())
            .field("html_bytes", &self.html.len())
            .finish_non_exhaustive()
    }
}

/// How [`deliver`] behaves.
#[derive(Clone, Debug)]
pub struct DeliverOptions {
    /// Send again the notices an earlier run left in doubt (`sending`). Off by default: people may get a
    /// notice twice (with the same Message-ID), which is better than not at all only when the operator
    /// decides so.
    pub resend_in_doubt: bool,
    /// A progress bar to advance by one per notice (the caller's, so that a run delivered in batches has one
    /// bar for all of them); `None` shows nothing.
    pub progress: Option<ProgressBar>,
    /// The pause after the first failed attempt; it doubles after each further one.
    pub retry_delay: Duration,
    /// The longest pause between attempts.
    pub max_retry_delay: Duration,
}

impl Default for DeliverOptions {
    fn default() -> Self {
        DeliverOptions {
            resend_in_doubt: false,
            progress: None,
            retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(60),
        }
    }
}

/// What a [`deliver`] run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Accepted by the server in this run.
    pub sent: u64,
    /// Already sent by an earlier run (not sent again).
    pub already_sent: u64,
    /// Keys of notices that may or may not have been delivered: left in `sending` by an earlier run (and not
    /// resent), or transmitted in this run without an answer from the server.
    pub in_doubt: Vec<String>,
    /// Keys of notices given up on in this run, with the (masked) reason.
    pub failed: Vec<(String, String)>,
    /// Notices without an address (not queued; those people need the public notice).
    pub skipped_no_address: u64,
}

/// Paces message starts to at most `rate` per second.
struct Pace {
    interval: Duration,
    next: Option<Instant>,
}

impl Pace {
    fn new(rate: f64) -> Pace {
        Pace {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: None,
        }
    }

    fn wait(&mut self) {
        let now = Instant::now();
        if let Some(next) = self.next
            && next > now
        {
            std::thread::sleep(next - now);
        }
        let start = self.next.map_or(now, |n| n.max(now));
        self.next = Some(start + self.interval);
    }
}

fn backoff(options: &DeliverOptions, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
    options
        .retry_delay
        .saturating_mul(factor)
        .min(options.max_retry_delay)
}

/// Holds the lock file beside an outbox for the duration of a run.
fn lock_outbox(db: &Path) -> Result<File, SendError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let lock = PathBuf::from(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(SendError::io(&lock))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SendError::Busy {
            path: db.to_path_buf(),
            lock,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(SendError::Io {
            path: lock,
            source: e,
        }),
    }
}

/// Sends the notices of `incident` through the server of `settings`, exactly once per recipient key, with
/// the outbox in the SQLite database `db` (created if missing). See the module documentation for the
/// protocol. Per-recipient failures are reported in the returned [`Tally`]; an `Err` means the run could not
/// start or had to stop (bad settings, outbox unusable, server unusable), with the outbox telling how far it
/// got — run again once the cause is fixed.
pub fn deliver(
    db: &Path,
    incident: i64,
    messages: impl IntoIterator<Item = Outgoing>,
    settings: &SmtpSettings,
    options: &DeliverOptions,
) -> Result<Tally, SendError> {
    settings.validate()?;
    let messages: Vec<Outgoing> = messages.into_iter().collect();
    check_keys(messages.iter().map(|m| m.recipient.as_str()))?;
    for m in &messages {
        if m.kind.is_empty() || !m.kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(SendError::Message(format!(
                "recipient {}: the kind `{}` is not a lower-case word such as `person` or `org_admin`",
                m.recipient, m.kind
            )));
        }
    }
    let composer = Composer::new(settings)?;
    let signer = settings.dkim.as_ref().map(Signer::load).transpose()?;
    let endpoint = Endpoint::parse(&settings.url)?;
    let tls = match endpoint.tls {
        TlsMode::None => None,
        _ => Some(endpoint.tls_parameters(settings.ca_file.as_deref())?),
    };

    let _lock = lock_outbox(db)?;
    let mut outbox = Outbox::open(db, incident)?;
    let mut tally = Tally::default();
    let (to_send, without): (Vec<Outgoing>, Vec<Outgoing>) =
        messages.into_iter().partition(has_address);
    tally.skipped_no_address = without.len() as u64;
    let ids: Vec<String> = to_send
        .iter()
        .map(|m| composer.message_id(incident, &m.recipient))
        .collect();
    let rows: Vec<NewRow<'_>> = to_send
        .iter()
        .zip(&ids)
        .map(|(m, id)| NewRow {
            recipient: &m.recipient,
            kind: &m.kind,
            locale: &m.locale,
            message_id: id,
        })
        .collect();
    outbox.queue(&rows)?;
    tracing::info!(
        incident,
        queued = to_send.len(),
        skipped_no_address = tally.skipped_no_address,
        server = %redact_url(&settings.url),
        "delivering breach notices"
    );

    let bar = options.progress.clone().unwrap_or_else(ProgressBar::hidden);
    let mut run = Run {
        outbox: &outbox,
        client: Client::new(endpoint, tls, settings.timeout),
        pace: Pace::new(settings.rate_per_second),
        settings,
        options,
        tally,
    };
    let result = (|| {
        for m in &to_send {
            run.one(&composer, signer.as_ref(), incident, m)?;
            bar.inc(1);
            let t = &run.tally;
            bar.set_message(format!(
                "sent {}, already {}, failed {}, in doubt {}",
                t.sent,
                t.already_sent,
                t.failed.len(),
                t.in_doubt.len()
            ));
        }
        Ok(())
    })();
    run.client.quit();
    if options.progress.is_none() {
        bar.finish();
    }
    outbox.checkpoint();
    let tally = run.tally;
    match result {
        Ok(()) => {
            tracing::info!(
                incident,
                sent = tally.sent,
                already_sent = tally.already_sent,
                failed = tally.failed.len(),
                in_doubt = tally.in_doubt.len(),
                skipped_no_address = tally.skipped_no_address,
                "breach notices delivered"
            );
            Ok(tally)
        }
        Err(SendError::Smtp(why)) => Err(SendError::Smtp(format!(
            "{why}; delivery stopped after sending {} notices in this run — the rest stay pending in the outbox, \
             run again once this is fixed",
            tally.sent
        ))),
        Err(e) => Err(e),
    }
}

/// The state of one delivery run.
struct Run<'a> {
    outbox: &'a Outbox,
    client: Client,
    pace: Pace,
    settings: &'a SmtpSettings,
    options: &'a DeliverOptions,
    tally: Tally,
}

impl Run<'_> {
    /// Delivers one notice (or finds it already delivered or in doubt).
    fn one(
        &mut self,
        composer: &Composer,
        signer: Option<&Signer>,
        incident: i64,
        m: &Outgoing,
    ) -> Result<(), SendError> {
        let key = m.recipient.as_str();
        let status = self.outbox.status(key)?;
        // A notice that may already have been delivered stays `sending` (in doubt) until it is sent again or
        // given up on; any other goes back to `pending` between attempts.
        let mut in_doubt = status == Some(Status::Sending);
        match status {
            Some(Status::Sent) => {
                self.tally.already_sent += 1;
                return Ok(());
            }
            Some(Status::Sending) if !self.options.resend_in_doubt => {
                tracing::warn!(
                    recipient = key,
                    "notice in doubt (an earlier run may have delivered it); not resent"
                );
                self.tally.in_doubt.push(key.to_string());
                return Ok(());
            }
            _ => {}
        }
        let mut message = match composer.compose(m, incident) {
            Ok(message) => message,
            Err(e) => {
                let error = e.to_string();
                self.outbox
                    .record_failure(key, Status::Failed, &error, false)?;
                tracing::warn!(recipient = key, error, "notice not sent");
                self.tally.failed.push((key.to_string(), error));
                return Ok(());
            }
        };
        if let Some(signer) = signer {
            signer.sign(&mut message)?;
        }
        let body = message.formatted();
        let envelope = message.envelope().clone();
        let max = self.settings.max_attempts;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Err(e) = self.client.ready() {
                match e {
                    ConnectError::Fatal(error) => {
                        self.outbox
                            .record_failure(key, again(in_doubt), &error, false)?;
                        return Err(SendError::Smtp(error));
                    }
                    ConnectError::Transient(error) => {
                        self.outbox
                            .record_failure(key, again(in_doubt), &error, true)?;
                        if attempt >= max {
                            return Err(SendError::Smtp(format!(
                                "{error} (after {attempt} attempts)"
                            )));
                        }
                        tracing::warn!(attempt, error, "SMTP server unavailable; retrying");
                        std::thread::sleep(backoff(self.options, attempt));
                        continue;
                    }
                }
            }
            self.pace.wait();
            let outbox = self.outbox;
            match self
                .client
                .transact(&envelope, &body, || outbox.mark_sending(key))?
            {
                Outcome::Sent => {
                    self.outbox.mark_sent(key)?;
                    tracing::debug!(recipient = key, "notice sent");
                    self.tally.sent += 1;
                    return Ok(());
                }
                Outcome::NotDelivered {
                    error,
                    permanent,
                    reached_sending,
                } => {
                    let give_up = permanent || attempt >= max;
                    let status = if give_up {
                        Status::Failed
                    } else {
                        again(in_doubt)
                    };
                    self.outbox
                        .record_failure(key, status, &error, !reached_sending)?;
                    if give_up {
                        tracing::warn!(recipient = key, attempt, error, "notice failed");
                        self.tally.failed.push((key.to_string(), error));
                        return Ok(());
                    }
                    log_retry(key, attempt, &error, false);
                }
                Outcome::InDoubt { error } => {
                    in_doubt = true;
                    self.outbox
                        .record_failure(key, Status::Sending, &error, false)?;
                    if !self.options.resend_in_doubt || attempt >= max {
                        tracing::warn!(
                            recipient = key,
                            error,
                            "notice in doubt (it may have been delivered)"
                        );
                        self.tally.in_doubt.push(key.to_string());
                        return Ok(());
                    }
                    log_retry(key, attempt, &error, true);
                }
                Outcome::Fatal { error } => {
                    self.outbox
                        .record_failure(key, again(in_doubt), &error, true)?;
                    return Err(SendError::Smtp(error));
                }
            }
            std::thread::sleep(backoff(self.options, attempt));
        }
    }
}

/// Logs that the notice to `key` will be attempted again after `error`: resent while in doubt (as asked),
/// or retried after the server did not accept it.
fn log_retry(key: &str, attempt: u32, error: &str, in_doubt: bool) {
    if in_doubt {
        tracing::warn!(
            recipient = key,
            attempt,
            error,
            "notice in doubt; resending as asked"
        );
    } else {
        tracing::info!(
            recipient = key,
            attempt,
            error,
            "notice not accepted yet; retrying"
        );
    }
}

/// The status of a notice to be attempted again: still in doubt if it was, else pending.
fn again(in_doubt: bool) -> Status {
    if in_doubt {
        Status::Sending
    } else {
        Status::Pending
    }
}

/// Writes every notice of `incident` for review instead of sending it: `<dir>/<recipient>.eml` (the full
/// RFC 5322 message, exactly as [`deliver`] would hand it to the server apart from the DKIM signature, the
/// Date and the MIME boundary), and `<dir>/<recipient>.html` and `<dir>/<recipient>.txt`. Sends nothing and
/// touches no outbox. Notices without an address are left out. Returns how many notices were written.
pub fn dry_run(
    dir: &Path,
    incident: i64,
    messages: impl IntoIterator<Item = Outgoing>,
    settings: &SmtpSettings,
) -> Result<u64, SendError> {
    let composer = Composer::new(settings)?;
    let messages: Vec<Outgoing> = messages.into_iter().collect();
    check_keys(messages.iter().map(|m| m.recipient.as_str()))?;
    std::fs::create_dir_all(dir).map_err(SendError::io(dir))?;
    let mut written = 0;
    for m in messages.iter().filter(|m| has_address(m)) {
        let message = composer.compose(m, incident)?;
        message::write_review(dir, m, &message)?;
        written += 1;
    }
    Ok(written)
}
