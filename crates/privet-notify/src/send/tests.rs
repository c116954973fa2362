//! Tests of delivery against a real SMTP server: `aiosmtpd`, run by `tests/python/smtp_sink.py` from the
//! test virtualenv (`scripts/setup-test-env`), with certificates and keys made by the `openssl` CLI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;

// ---------------------------------------------------------------------------------------------------------
// Harness

fn python() -> PathBuf {
    let venv = std::env::var_os("TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/privet/venv")
        });
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "no Python test virtualenv at {}: run scripts/setup-test-env",
        venv.display()
    );
    python
}

/// The SMTP sink script of this checkout. `cargo test` names the crate's directory at run time; the path compiled
/// in is only a fallback, since a shared target directory may hold a test binary built from another checkout.
fn sink_script() -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    crate_dir.join("../../tests/python/smtp_sink.py")
}

/// A running `smtp_sink.py`, killed on drop.
struct Sink {
    child: Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sink {
    fn start(args: &[&str]) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("received");
        let log = std::fs::File::create(dir.path().join("sink.log")).unwrap();
        let mut child = Command::new(python())
            .arg(sink_script())
            .args(["--port", "0", "--out"])
            .arg(&out)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start smtp_sink.py (run scripts/setup-test-env)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = line.strip_prefix("READY ") {
                    let _ = tx.send(port.trim().parse::<u16>().unwrap());
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                let log = std::fs::read_to_string(dir.path().join("sink.log")).unwrap_or_default();
                panic!("smtp_sink.py did not print READY (run scripts/setup-test-env):\n{log}");
            }
        };
        Sink {
            child,
            port,
            out,
            _dir: dir,
        }
    }

    /// A sink speaking TLS (`tls`: `starttls` or `implicit`) with a fresh self-signed certificate, which it
    /// returns (with the directory that holds it).
    fn start_tls(tls: &str, args: &[&str]) -> (Sink, PathBuf, tempfile::TempDir) {
        let certs = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(certs.path());
        let mut all = vec![
            "--tls",
            tls,
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ];
        all.extend(args);
        (Sink::start(&all), cert, certs)
    }

    fn url(&self, scheme: &str, userinfo: &str, query: &str) -> String {
        format!("{scheme}://{userinfo}127.0.0.1:{}{query}", self.port)
    }

    /// Settings for plain SMTP (no TLS, no login) to this sink.
    fn settings(&self) -> SmtpSettings {
        settings(self.url("smtp", "", "?tls=none"))
    }

    /// The received message files, in order.
    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.out)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files
    }

    fn received(&self) -> Vec<Received> {
        self.files().iter().map(|f| parse_eml(f)).collect()
    }

    /// How many connections the received messages came over.
    fn connections(&self) -> usize {
        let peers: std::collections::HashSet<String> = self
            .received()
            .into_iter()
            .map(|m| m.session.unwrap().split(';').next().unwrap().to_string())
            .collect();
        peers.len()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A received message, as parsed by Python's `email` package (an independent MIME implementation).
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Received {
    raw: String,
    rcpt: Vec<String>,
    /// `peer-port=N; tls=yes|no; auth=yes|no` (messages received by the sink only)
    session: Option<String>,
    subject: String,
    from: String,
    to: String,
    reply_to: Option<String>,
    message_id: String,
    date: Option<String>,
    content_language: Option<String>,
    auto_submitted: Option<String>,
    content_type: String,
    dkim: Option<String>,
    parts: Vec<Part>,
}

impl Received {
    fn session(&self) -> &str {
        self.session.as_deref().expect("received by the sink")
    }
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Part {
    #[serde(rename = "type")]
    content_type: String,
    charset: Option<String>,
    content: String,
    disposition: Option<String>,
}

const PARSE_EML: &str = r#"
import sys, json, email
from email import policy
raw = open(sys.argv[1], 'rb').read()
msg = email.message_from_bytes(raw, policy=policy.default)
h = lambda name: str(msg[name]) if msg[name] is not None else None
parts = [
    {"type": p.get_content_type(), "charset": p.get_content_charset(), "content": p.get_content(),
     "disposition": p.get_content_disposition()}
    for p in msg.walk() if not p.is_multipart()
]
print(json.dumps({
    "raw": raw.decode("utf-8", "replace"), "rcpt": [str(r) for r in msg.get_all("x-sink-rcpt-to", [])],
    "session": h("x-sink-session"),
    "subject": h("subject"), "from": h("from"), "to": h("to"), "reply_to": h("reply-to"),
    "message_id": h("message-id"), "date": h("date"), "content_language": h("content-language"),
    "auto_submitted": h("auto-submitted"), "content_type": msg.get_content_type(), "dkim": h("dkim-signature"),
    "parts": parts,
}))
"#;

fn parse_eml(path: &Path) -> Received {
    let out = Command::new(python())
        .args(["-c", PARSE_EML])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate for 127.0.0.1: (cert.pem, key.pem).
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
        dir,
    );
    (dir.join("cert.pem"), dir.join("key.pem"))
}

const SENDER: &str = "Example Security <security@example.com>";

fn settings(url: String) -> SmtpSettings {
    SmtpSettings {
        url,
        ca_file: None,
        sender: SENDER.into(),
        reply_to: Some("Privacy Team <privacy@example.com>".into()),
        rate_per_second: 1000.0,
        max_attempts: 3,
        dkim: None,
        timeout: Duration::from_secs(10),
    }
}

fn options() -> DeliverOptions {
    DeliverOptions {
        retry_delay: Duration::from_millis(20),
        ..DeliverOptions::default()
    }
}

fn address(i: usize) -> String {
    format!("person.number{i}@example.org")
}

fn outgoing(i: usize) -> Outgoing {
    Outgoing {
        recipient: format!("p{i}"),
        address: format!("Zoë Müller {i} <{}>", address(i)),
        kind: "person".into(),
        locale: "de".into(),
        subject: format!("Wichtig: Datenpanne bei Example – Ihre Daten ({i})"),
        text: format!("Hallo Zoë Müller {i},\n\nwir müssen Ihnen leider mitteilen …\n.\nEnde.\n"),
        html: format!("<p>Hallo Zoë Müller {i},</p><p>wir müssen Ihnen leider mitteilen …</p>"),
    }
}

fn batch(n: usize) -> Vec<Outgoing> {
    (0..n).map(outgoing).collect()
}

fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("outbox.sqlite")
}

/// A fresh outbox database, and the directory that holds it (removed when dropped).
fn fresh_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    (dir, db)
}

/// Delivers the first `n` notices of [`batch`] for incident 7.
fn send(db: &Path, n: usize, s: &SmtpSettings) -> Tally {
    deliver(db, 7, batch(n), s, &options()).unwrap()
}

/// Why delivering the first `n` notices of [`batch`] for incident 7 failed.
fn send_err(db: &Path, n: usize, s: &SmtpSettings) -> String {
    deliver(db, 7, batch(n), s, &options())
        .unwrap_err()
        .to_string()
}

fn resend_in_doubt() -> DeliverOptions {
    DeliverOptions {
        resend_in_doubt: true,
        ..options()
    }
}

/// A sink that answers the first RCPT commands with a transient failure (`transient`: `CODE:COUNT`, see
/// `smtp_sink.py --transient`), and settings for it that try each message `max_attempts` times.
fn flaky_sink(transient: &str, max_attempts: u32) -> (Sink, SmtpSettings) {
    let sink = Sink::start(&["--transient", transient]);
    let mut s = sink.settings();
    s.max_attempts = max_attempts;
    (sink, s)
}

/// Why a run on `sink` with `s` failed before anything was sent.
fn refused_run(sink: &Sink, s: &SmtpSettings) -> String {
    let (_dir, db) = fresh_db();
    let err = send_err(&db, 1, s);
    assert!(sink.files().is_empty());
    err
}

/// Settings for a local port nothing listens on, giving up after two attempts.
fn unreachable_server() -> SmtpSettings {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = settings(format!("smtp://127.0.0.1:{port}?tls=none"));
    s.max_attempts = 2;
    s
}

fn row(db: &Path, recipient: &str) -> (String, i64, Option<String>) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT status, attempts, last_error FROM outbox WHERE incident = 7 AND recipient = ?1",
        [recipient],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

fn set_status(db: &Path, recipient: &str, status: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        "UPDATE outbox SET status = ?2 WHERE incident = 7 AND recipient = ?1",
        [recipient, status],
    )
    .unwrap();
}

/// Every byte of the outbox database and its WAL and shared-memory files.
fn db_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(b) = std::fs::read(PathBuf::from(name)) {
            bytes.extend(b);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

// ---------------------------------------------------------------------------------------------------------
// Delivery

#[test]
fn send_delivers_multipart_notices_with_the_right_headers_and_a_rerun_sends_nothing() {
    let sink = Sink::start(&[]);
    let (_dir, db) = fresh_db();
    let s = sink.settings();

    let tally = send(&db, 4, &s);
    assert_eq!(tally.sent, 4, "{tally:?}");
    assert_eq!(
        (tally.already_sent, tally.failed.len(), tally.in_doubt.len()),
        (0, 0, 0)
    );

    let received = sink.received();
    assert_eq!(received.len(), 4);
    assert_eq!(sink.connections(), 1, "one connection for all messages");
    for (i, m) in received.iter().enumerate() {
        assert_eq!(m.rcpt, vec![format!("<{}>", address(i))]);
        assert_eq!(m.from, SENDER);
        assert_eq!(m.to, format!("Zoë Müller {i} <{}>", address(i)));
        assert_eq!(
            m.reply_to.as_deref(),
            Some("Privacy Team <privacy@example.com>")
        );
        assert_eq!(
            m.subject,
            format!("Wichtig: Datenpanne bei Example – Ihre Daten ({i})")
        );
        let subject_line = m.raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(
            subject_line.is_ascii() && subject_line.contains("=?utf-8?"),
            "RFC 2047: {subject_line}"
        );
        assert_eq!(m.message_id, format!("<privet.7.p{i}@example.com>"));
        assert!(m.date.is_some());
        assert_eq!(m.content_language.as_deref(), Some("de"));
        assert_eq!(m.auto_submitted.as_deref(), Some("auto-generated"));
        assert_eq!(m.content_type, "multipart/alternative");
        assert_eq!(m.parts.len(), 2, "no attachments: {:?}", m.parts);
        assert_eq!(m.parts[0].content_type, "text/plain");
        assert_eq!(m.parts[0].charset.as_deref(), Some("utf-8"));
        assert_eq!(m.parts[0].content.replace("\r\n", "\n"), outgoing(i).text);
        assert_eq!(m.parts[1].content_type, "text/html");
        assert_eq!(m.parts[1].charset.as_deref(), Some("utf-8"));
        assert_eq!(m.parts[1].content.trim_end(), outgoing(i).html);
        assert!(m.parts.iter().all(|p| p.disposition.is_none()));
        assert!(m.dkim.is_none());
        assert!(m.session().ends_with("tls=no; auth=no"));
    }
    assert_eq!(
        outbox_status(&db, 7).unwrap(),
        OutboxCounts {
            sent: 4,
            ..Default::default()
        }
    );
    let (status, attempts, error) = row(&db, "p0");
    assert_eq!((status.as_str(), attempts, error), ("sent", 1, None));

    // Again, with one more notice: only the new one goes out.
    let tally = send(&db, 5, &s);
    assert_eq!((tally.sent, tally.already_sent), (1, 4), "{tally:?}");
    assert_eq!(sink.files().len(), 5);
    let tally = send(&db, 5, &s);
    assert_eq!((tally.sent, tally.already_sent), (0, 5), "{tally:?}");
    assert_eq!(sink.files().len(), 5);
    // Another incident is another outbox key space.
    assert_eq!(outbox_status(&db, 8).unwrap().total(), 0);
}

#[test]
fn send_leaves_in_doubt_rows_alone_unless_asked_and_resends_pending_ones() {
    let sink = Sink::start(&[]);
    let (_dir, db) = fresh_db();
    let s = sink.settings();
    assert_eq!(send(&db, 3, &s).sent, 3);

    // As if a run had died after handing p1's body to the server, and another before p2's body was complete.
    set_status(&db, "p1", "sending");
    set_status(&db, "p2", "pending");
    let tally = send(&db, 3, &s);
    assert_eq!(tally.in_doubt, vec!["p1".to_string()]);
    assert_eq!((tally.sent, tally.already_sent), (1, 1), "{tally:?}");
    assert_eq!(sink.files().len(), 4);
    assert_eq!(
        outbox_status(&db, 7).unwrap(),
        OutboxCounts {
            sending: 1,
            sent: 2,
            ..Default::default()
        }
    );

    // Still in doubt on the next run; resent only when asked.
    let tally = send(&db, 3, &s);
    assert_eq!((tally.in_doubt.len(), tally.sent), (1, 0));
    let tally = deliver(&db, 7, batch(3), &s, &resend_in_doubt()).unwrap();
    assert_eq!(
        (tally.sent, tally.already_sent, tally.in_doubt.len()),
        (1, 2, 0),
        "{tally:?}"
    );
    let received = sink.received();
    assert_eq!(received.len(), 5);
    assert_eq!(
        received[4].message_id, "<privet.7.p1@example.com>",
        "a resend has the same Message-ID"
    );
    assert_eq!(outbox_status(&db, 7).unwrap().sent, 3);
}

#[test]
fn send_reports_no_answer_after_the_body_as_in_doubt() {
    // The server takes 3 s to answer the final dot; the client gives up after 1 s.
    let sink = Sink::start(&["--delay", "3"]);
    let (_dir, db) = fresh_db();
    let mut s = sink.settings();
    s.timeout = Duration::from_secs(1);
    let tally = send(&db, 1, &s);
    assert_eq!(tally.in_doubt, vec!["p0".to_string()], "{tally:?}");
    assert_eq!(tally.sent, 0);
    let (status, attempts, error) = row(&db, "p0");
    assert_eq!((status.as_str(), attempts), ("sending", 1));
    assert!(error.unwrap().contains("no answer"));
    // And indeed the server did deliver it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.files().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(sink.files().len(), 1);
    // The next run does not send it again.
    s.timeout = Duration::from_secs(10);
    let tally = send(&db, 1, &s);
    assert_eq!((tally.sent, tally.in_doubt.len()), (0, 1));
    assert_eq!(sink.files().len(), 1);
    // The operator finds it in the server's log and confirms it: no longer in doubt, never sent again.
    let keys = ["p0".to_string(), "p9".to_string()];
    assert_eq!(confirm_delivered(&db, 7, &keys).unwrap(), 1);
    assert_eq!(
        confirm_delivered(&db, 7, &keys).unwrap(),
        0,
        "only rows in doubt change"
    );
    let tally = send(&db, 1, &s);
    assert_eq!(
        (tally.sent, tally.already_sent, tally.in_doubt.len()),
        (0, 1, 0)
    );
    assert_eq!(sink.files().len(), 1);
}

#[test]
fn send_fails_a_rejected_recipient_with_a_masked_error_and_delivers_the_others() {
    let rejected = address(1);
    let sink = Sink::start(&["--reject", &rejected]);
    let (_dir, db) = fresh_db();
    let s = sink.settings();
    let tally = send(&db, 3, &s);
    assert_eq!(tally.sent, 2, "{tally:?}");
    assert_eq!(tally.failed.len(), 1);
    let (key, error) = &tally.failed[0];
    assert_eq!(key, "p1");
    assert!(error.contains("550"), "{error}");
    assert!(error.contains("p***@example.org"), "{error}");
    assert!(!error.contains(&rejected), "{error}");
    let (status, attempts, stored) = row(&db, "p1");
    assert_eq!(
        (status.as_str(), attempts),
        ("failed", 1),
        "a 5xx to RCPT is not retried"
    );
    assert_eq!(stored.as_deref(), Some(error.as_str()));
    let rcpts: Vec<String> = sink.received().into_iter().flat_map(|m| m.rcpt).collect();
    assert_eq!(
        rcpts,
        vec![format!("<{}>", address(0)), format!("<{}>", address(2))]
    );
    assert_eq!(
        sink.connections(),
        1,
        "the connection is reset and reused after a rejection"
    );
}

#[test]
fn send_retries_transient_failures_then_delivers() {
    let (sink, s) = flaky_sink("451:2", 5);
    let (_dir, db) = fresh_db();
    let started = Instant::now();
    let tally = send(&db, 2, &s);
    assert_eq!(tally.sent, 2, "{tally:?}");
    assert_eq!(row(&db, "p0").1, 3, "two 451s, then delivered");
    assert_eq!(row(&db, "p1").1, 1);
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "back-off of 20 ms, then 40 ms"
    );
    assert_eq!(sink.files().len(), 2);
    assert_eq!(sink.connections(), 1);
}

#[test]
fn send_reconnects_after_a_421_that_closes_the_connection() {
    let (sink, s) = flaky_sink("421:1", 3);
    let (_dir, db) = fresh_db();
    let tally = send(&db, 3, &s);
    assert_eq!(tally.sent, 3, "{tally:?}");
    assert_eq!(row(&db, "p0").1, 2);
    assert_eq!(sink.files().len(), 3);
}

#[test]
fn send_marks_a_message_failed_when_retries_run_out() {
    let (_sink, s) = flaky_sink("451:1000", 2);
    let (_dir, db) = fresh_db();
    let tally = send(&db, 1, &s);
    assert_eq!(tally.sent, 0);
    assert_eq!(tally.failed.len(), 1);
    assert!(tally.failed[0].1.contains("451"), "{:?}", tally.failed);
    assert!(!tally.failed[0].1.contains(&address(0)));
    let (status, attempts, _) = row(&db, "p0");
    assert_eq!((status.as_str(), attempts), ("failed", 2));
}

#[test]
fn send_never_writes_an_address_or_name_to_the_outbox() {
    let sink = Sink::start(&["--reject", &address(2), "--transient", "451:1"]);
    let (_dir, db) = fresh_db();
    let mut messages = batch(4);
    messages[3].address = "not an address, Zoë Müller".into();
    let tally = deliver(&db, 7, messages, &sink.settings(), &options()).unwrap();
    assert_eq!(tally.sent, 2, "{tally:?}");
    assert_eq!(tally.failed.len(), 2, "{tally:?}");
    assert!(
        tally.failed[1].1.contains("not a valid email address"),
        "{:?}",
        tally.failed
    );
    let bytes = db_bytes(&db);
    assert!(
        contains(&bytes, "privet.7.p0@example.com"),
        "the test reads the right file"
    );
    for i in 0..4 {
        assert!(
            !contains(&bytes, &address(i)),
            "address {i} is in the outbox"
        );
        assert!(
            !contains(&bytes, &format!("number{i}@")),
            "local part {i} is in the outbox"
        );
    }
    assert!(!contains(&bytes, "Müller"), "a name is in the outbox");
    assert!(!contains(&bytes, "not an address"));
    let debug = format!("{tally:?} {:?}", batch(1));
    assert!(
        !debug.contains(&address(0)) && !debug.contains("Müller"),
        "{debug}"
    );
}

#[test]
fn send_skips_notices_without_an_address() {
    let sink = Sink::start(&[]);
    let (_dir, db) = fresh_db();
    let mut messages = batch(3);
    messages[1].address = "  ".into();
    let tally = deliver(&db, 7, messages, &sink.settings(), &options()).unwrap();
    assert_eq!((tally.sent, tally.skipped_no_address), (2, 1));
    assert_eq!(outbox_status(&db, 7).unwrap().total(), 2);
}

#[test]
fn send_honours_the_rate_limit() {
    let sink = Sink::start(&[]);
    let (_dir, db) = fresh_db();
    let mut s = sink.settings();
    s.rate_per_second = 20.0;
    let started = Instant::now();
    let tally = send(&db, 10, &s);
    let elapsed = started.elapsed();
    assert_eq!(tally.sent, 10);
    // 10 messages at 20/s: nine intervals of 50 ms at least.
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
}

#[test]
fn send_refuses_a_second_run_on_the_same_outbox() {
    let (dir, db) = fresh_db();
    let lock = std::fs::File::create(dir.path().join("outbox.sqlite.lock")).unwrap();
    lock.try_lock().unwrap();
    let s = settings("smtp://127.0.0.1:9?tls=none".into());
    let err = deliver(&db, 7, batch(1), &s, &options()).unwrap_err();
    assert!(matches!(err, SendError::Busy { .. }), "{err}");
    assert!(err.to_string().contains("another delivery"));
}

#[test]
fn send_stops_when_the_server_cannot_be_reached() {
    let (_dir, db) = fresh_db();
    let err = send_err(&db, 2, &unreachable_server());
    assert!(
        err.contains("cannot connect") && err.contains("after 2 attempts"),
        "{err}"
    );
    assert!(err.contains("run again"), "{err}");
    assert_eq!(outbox_status(&db, 7).unwrap().pending, 2);
    assert_eq!(row(&db, "p0").1, 2);
}

#[test]
fn send_stops_when_the_server_refuses_the_sender() {
    // The server wants AUTH and the URL has no credentials: MAIL FROM gets a 530.
    let sink = Sink::start(&["--auth", "mailer:secret", "--auth-plain-ok"]);
    let (_dir, db) = fresh_db();
    let s = sink.settings();
    let err = send_err(&db, 2, &s);
    assert!(
        err.contains("refuses the sender") && err.contains("530"),
        "{err}"
    );
    assert_eq!(outbox_status(&db, 7).unwrap().pending, 2);
}

#[test]
fn send_keeps_a_notice_in_doubt_when_its_resend_fails_to_start() {
    let sink = Sink::start(&[]);
    let (_dir, db) = fresh_db();
    send(&db, 2, &sink.settings());
    set_status(&db, "p0", "sending");
    set_status(&db, "p1", "pending");
    // Resending to a server that is down: the in-doubt notice stays in doubt, the pending one pending.
    let s = unreachable_server();
    assert!(deliver(&db, 7, batch(2), &s, &resend_in_doubt()).is_err());
    assert_eq!(row(&db, "p0").0, "sending");
    assert_eq!(row(&db, "p1").0, "pending");
}

// ---------------------------------------------------------------------------------------------------------
// Authentication and TLS

#[test]
fn send_authenticates_with_the_url_credentials() {
    let sink = Sink::start(&["--auth", "mailer:p@ss w0rd", "--auth-plain-ok"]);
    let (_dir, db) = fresh_db();
    let s = settings(sink.url("smtp", "mailer:p%40ss%20w0rd@", "?tls=none"));
    assert_eq!(send(&db, 2, &s).sent, 2);
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert!(received[0].session().ends_with("tls=no; auth=yes"));

    // A wrong password stops the run; the notices stay pending.
    let (_dir, db) = fresh_db();
    let s = settings(sink.url("smtp", "mailer:wrong@", "?tls=none"));
    let err = send_err(&db, 2, &s);
    assert!(err.contains("refused the login"), "{err}");
    assert!(!err.contains("wrong"), "the password is not shown: {err}");
    assert_eq!(outbox_status(&db, 7).unwrap().pending, 2);
    assert_eq!(sink.files().len(), 2);
}

#[test]
fn send_refuses_to_send_a_password_in_clear_unless_told() {
    let sink = Sink::start(&["--auth", "mailer:secret", "--auth-plain-ok"]);
    let err = refused_run(&sink, &settings(sink.url("smtp", "mailer:secret@", "")));
    assert!(err.contains("clear text"), "{err}");
}

#[test]
fn send_uses_required_starttls_with_a_self_signed_ca() {
    let (sink, cert, _certs) = Sink::start_tls("starttls", &["--auth", "mailer:secret"]);
    let (_dir, db) = fresh_db();
    let mut s = settings(sink.url("smtp", "mailer:secret@", "?tls=required"));

    // Without the CA the certificate is not trusted, and nothing is sent.
    let err = send_err(&db, 2, &s);
    assert!(err.contains("certificate") || err.contains("tls"), "{err}");
    assert!(err.contains("breach.smtp_ca_file"), "{err}");
    assert_eq!(outbox_status(&db, 7).unwrap().pending, 2);

    s.ca_file = Some(cert);
    let tally = send(&db, 2, &s);
    assert_eq!(tally.sent, 2, "{tally:?}");
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert!(received[1].session().ends_with("tls=yes; auth=yes"));
}

#[test]
fn send_requires_starttls_when_the_url_says_so() {
    let sink = Sink::start(&[]);
    let err = refused_run(&sink, &settings(sink.url("smtp", "", "?tls=required")));
    assert!(err.contains("does not offer STARTTLS"), "{err}");
}

#[test]
fn send_speaks_implicit_tls() {
    let (sink, cert, _certs) = Sink::start_tls("implicit", &[]);
    let (_dir, db) = fresh_db();
    let mut s = settings(sink.url("smtps", "", ""));
    s.ca_file = Some(cert);
    let tally = send(&db, 2, &s);
    assert_eq!(tally.sent, 2, "{tally:?}");
    let received = sink.received();
    assert_eq!(received[1].message_id, "<privet.7.p1@example.com>");
    assert!(received[1].session().contains("tls=yes"));
}

// ---------------------------------------------------------------------------------------------------------
// DKIM

fn dkim_tag<'a>(header: &'a str, tag: &str) -> Option<&'a str> {
    header
        .split(';')
        .map(str::trim)
        .find_map(|kv| kv.strip_prefix(tag).and_then(|v| v.strip_prefix('=')))
}

fn deliver_signed(key_args: &[&str], selector: &str) -> Received {
    let keys = tempfile::tempdir().unwrap();
    let mut args = key_args.to_vec();
    args.extend(["-out", "dkim.pem"]);
    openssl(&args, keys.path());
    let sink = Sink::start(&[]);
    let (_dir, db) = fresh_db();
    let mut s = sink.settings();
    s.dkim = Some(DkimSettings {
        key_file: keys.path().join("dkim.pem"),
        selector: selector.into(),
        domain: "example.com".into(),
    });
    assert_eq!(send(&db, 1, &s).sent, 1);
    sink.received().remove(0)
}

/// Verifies a stored message's DKIM signature with dkimpy (an independent implementation), the public key served
/// as the DNS record would be.
const VERIFY_DKIM: &str = r#"
import sys, dkim
raw = open(sys.argv[1], 'rb').read()
record = ("v=DKIM1; k=rsa; p=%s" % sys.argv[2]).encode()
sys.exit(0 if dkim.verify(raw, dnsfunc=lambda name, timeout=5: record) else 1)
"#;

fn dkim_verifies(eml: &Path, public_key_b64: &str) -> bool {
    Command::new(python())
        .args(["-c", VERIFY_DKIM])
        .arg(eml)
        .arg(public_key_b64)
        .status()
        .unwrap()
        .success()
}

#[test]
fn rsa_dkim_signatures_verify_and_break_when_the_message_changes() {
    let keys = tempfile::tempdir().unwrap();
    openssl(&["genrsa", "-out", "dkim.pem"], keys.path());
    openssl(
        &[
            "rsa", "-in", "dkim.pem", "-pubout", "-outform", "DER", "-out", "dkim.der",
        ],
        keys.path(),
    );
    let public = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        std::fs::read(keys.path().join("dkim.der")).unwrap(),
    );
    let sink = Sink::start(&[]);
    let (_dir, db) = fresh_db();
    let mut s = sink.settings();
    s.dkim = Some(DkimSettings {
        key_file: keys.path().join("dkim.pem"),
        selector: "mail2025".into(),
        domain: "example.com".into(),
    });
    assert_eq!(send(&db, 1, &s).sent, 1);
    let eml = sink.files().remove(0);
    assert!(dkim_verifies(&eml, &public), "the signature verifies");
    let tampered = keys.path().join("tampered.eml");
    let text = std::fs::read_to_string(&eml).unwrap();
    std::fs::write(&tampered, text.replacen("Subject: ", "Subject: Re: ", 1)).unwrap();
    assert!(
        !dkim_verifies(&tampered, &public),
        "an edited subject breaks it"
    );
}

#[test]
fn send_signs_with_an_rsa_dkim_key() {
    // OpenSSL 3 writes PKCS#8 (BEGIN PRIVATE KEY); -traditional writes PKCS#1 (BEGIN RSA PRIVATE KEY).
    for args in [&["genrsa"][..], &["genrsa", "-traditional"][..]] {
        let m = deliver_signed(args, "mail2025");
        let dkim = m.dkim.expect("a DKIM-Signature header");
        let dkim: String = dkim.split_whitespace().collect();
        assert_eq!(dkim_tag(&dkim, "d"), Some("example.com"), "{dkim}");
        assert_eq!(dkim_tag(&dkim, "s"), Some("mail2025"), "{dkim}");
        assert_eq!(dkim_tag(&dkim, "a"), Some("rsa-sha256"), "{dkim}");
        let signed = dkim_tag(&dkim, "h").unwrap().to_ascii_lowercase();
        // (lettre signs top-level headers only; Content-Type belongs to the MIME part and is covered by bh=.)
        for h in [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "mime-version",
            "content-language",
        ] {
            assert!(
                signed.split(':').any(|s| s == h),
                "{h} is not signed: {signed}"
            );
        }
        assert!(dkim_tag(&dkim, "b").is_some_and(|b| b.len() > 100));
    }
}

#[test]
fn send_signs_with_an_ed25519_dkim_key() {
    let m = deliver_signed(&["genpkey", "-algorithm", "ed25519"], "ed");
    let dkim: String = m
        .dkim
        .expect("a DKIM-Signature header")
        .split_whitespace()
        .collect();
    assert_eq!(dkim_tag(&dkim, "d"), Some("example.com"), "{dkim}");
    assert_eq!(dkim_tag(&dkim, "s"), Some("ed"), "{dkim}");
    assert_eq!(dkim_tag(&dkim, "a"), Some("ed25519-sha256"), "{dkim}");
}

#[test]
fn send_rejects_an_unusable_dkim_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("dkim.pem");
    std::fs::write(
        &key,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut s = settings("smtp://127.0.0.1:9?tls=none".into());
    s.dkim = Some(DkimSettings {
        key_file: key,
        selector: "s".into(),
        domain: "example.com".into(),
    });
    let err = send_err(&db_in(&dir), 1, &s);
    assert!(
        err.contains("breach.dkim_key_file") && err.contains("openssl genrsa"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Dry run, messages, settings

#[test]
fn send_dry_run_writes_messages_for_review_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("review");
    let mut messages = batch(2);
    messages.push(Outgoing {
        address: String::new(),
        ..outgoing(2)
    });
    let s = settings("smtp://127.0.0.1:9?tls=none".into());
    assert_eq!(dry_run(&out, 7, messages, &s).unwrap(), 2);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["p0.eml", "p0.html", "p0.txt", "p1.eml", "p1.html", "p1.txt"]
    );
    let m = parse_eml(&out.join("p1.eml"));
    assert_eq!(m.message_id, "<privet.7.p1@example.com>");
    assert_eq!(m.subject, outgoing(1).subject);
    assert_eq!(m.parts.len(), 2);
    assert_eq!(
        std::fs::read_to_string(out.join("p1.txt")).unwrap(),
        outgoing(1).text
    );
    assert_eq!(
        std::fs::read_to_string(out.join("p1.html")).unwrap(),
        outgoing(1).html
    );
    assert!(!dir.path().join("outbox.sqlite").exists());
}

#[test]
fn send_build_message_is_what_deliver_sends() {
    let s = settings("smtp://127.0.0.1:9".into());
    let m = build_message(&outgoing(3), &s, 42).unwrap();
    let text = String::from_utf8(m.formatted()).unwrap();
    assert!(
        text.contains("Message-ID: <privet.42.p3@example.com>"),
        "{text}"
    );
    assert!(text.contains("Auto-Submitted: auto-generated"));
    assert!(text.contains("Content-Language: de"));
    assert!(
        text.is_ascii(),
        "7-bit clean: headers and bodies are encoded"
    );
    assert_eq!(m.envelope().to()[0].to_string(), address(3));
}

#[test]
fn send_checks_recipient_keys() {
    let s = settings("smtp://127.0.0.1:9?tls=none".into());
    let (_dir, db) = fresh_db();
    let mut bad = outgoing(0);
    bad.recipient = address(0);
    for (messages, expected) in [
        (vec![bad], "never an email address"),
        (vec![outgoing(1), outgoing(1)], "appears twice"),
    ] {
        let err = deliver(&db, 7, messages, &s, &options())
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains(&address(0)), "{err}");
    }
    for key in ["", ".x", "a..b", "a/b", "ä"] {
        assert!(message::check_key(key).is_err(), "{key:?}");
    }
    for key in ["p1", "3f2a9c", "org_admin.17", "A-b_c.d"] {
        assert!(message::check_key(key).is_ok(), "{key:?}");
    }
}

#[test]
fn send_settings_come_from_the_breach_config() {
    let mut c = privet_config::BreachConfig::default();
    let err = SmtpSettings::from_config(&c, None).unwrap_err().to_string();
    assert!(err.contains("breach.smtp_url"), "{err}");

    let s = SmtpSettings::from_config(&c, Some("smtps://u:s3cr%2Ft@mail.example.com")).unwrap();
    assert_eq!(s.sender, c.sender);
    assert_eq!(
        (s.rate_per_second, s.max_attempts, s.timeout),
        (10.0, 5, DEFAULT_TIMEOUT)
    );
    let debug = format!("{s:?}");
    assert!(!debug.contains("s3cr") && debug.contains("***"), "{debug}");

    c.smtp_url = Some("smtp://mail.example.com:587?tls=required".into());
    c.dkim_selector = Some("s1".into());
    let err = SmtpSettings::from_config(&c, None).unwrap_err().to_string();
    assert!(
        err.contains("breach.dkim_key_file and breach.dkim_domain missing"),
        "{err}"
    );
    c.dkim_key_file = Some("/k.pem".into());
    c.dkim_domain = Some("example.com".into());
    let s = SmtpSettings::from_config(&c, None).unwrap();
    assert_eq!(s.dkim.unwrap().selector, "s1");

    for (url, expect) in [
        ("http://mail.example.com", "scheme"),
        ("smtp://mail.example.com?tls=maybe", "tls=maybe"),
        ("smtp://mail.example.com?foo=1", "unknown parameter"),
        ("not a url", "not a valid URL"),
    ] {
        let err = SmtpSettings::from_config(&c, Some(url))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{url}: {err}");
    }
    let err = SmtpSettings::from_config(&c, Some("ftp://u:hunter2@x"))
        .unwrap_err()
        .to_string();
    assert!(!err.contains("hunter2"), "{err}");

    c.sender = "nobody".into();
    let err = SmtpSettings::from_config(&c, None).unwrap_err().to_string();
    assert!(err.contains("breach.sender"), "{err}");
    c.sender = SENDER.into();
    c.rate_per_second = 0.0;
    assert!(
        SmtpSettings::from_config(&c, None)
            .unwrap_err()
            .to_string()
            .contains("rate_per_second")
    );
}

#[test]
fn send_parses_smtp_urls() {
    let e = Endpoint::parse("smtp://a%40b:p%3Aw@mail.example.com:2525?tls=required").unwrap();
    assert_eq!(
        (e.host.as_str(), e.port, e.tls),
        ("mail.example.com", 2525, TlsMode::Required)
    );
    assert!(e.credentials.is_some());
    let e = Endpoint::parse("smtp://mail.example.com").unwrap();
    assert_eq!((e.port, e.tls), (25, TlsMode::Opportunistic));
    assert!(e.credentials.is_none());
    let e = Endpoint::parse("smtps://[::1]").unwrap();
    assert_eq!(
        (e.host.as_str(), e.port, e.tls),
        ("::1", 465, TlsMode::Implicit)
    );
    assert_eq!(
        Endpoint::parse("smtp://h?tls=none").unwrap().tls,
        TlsMode::None
    );
}

#[test]
fn send_masks_addresses() {
    assert_eq!(
        mask_addresses("550 5.1.1 <ada.lovelace@example.com>: unknown user"),
        "550 5.1.1 <a***@example.com>: unknown user"
    );
    assert_eq!(
        mask_addresses("to bob@x.org and carol+tag@y.example."),
        "to b***@x.org and c***@y.example."
    );
    assert_eq!(mask_addresses("zoë@exämple.de"), "z***@exämple.de");
    assert_eq!(
        mask_addresses("no address @ here, a@ b"),
        "no address @ here, a@ b"
    );
    assert_eq!(mask_address("ada@example.com"), "a***@example.com");
    assert_eq!(mask_address("Ada Lovelace"), "A***");
    assert_eq!(
        mask_address("Ada Lovelace <ada@example.com>"),
        "<a***@example.com>"
    );
    assert_eq!(mask_address(""), "");
}

#[test]
fn send_backs_off_exponentially_up_to_a_cap() {
    let o = DeliverOptions::default();
    let delays: Vec<u64> = (1..=8).map(|a| backoff(&o, a).as_secs()).collect();
    assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
}

// ---------------------------------------------------------------------------------------------------------
// Crash safety: a delivering process killed with SIGKILL

/// Runs `deliver` in a child process (this test binary again) for the crash test; does nothing otherwise.
#[test]
#[ignore = "run by send_survives_kill_9 in a child process"]
fn send_crash_child() {
    let (Some(db), Some(url)) = (
        std::env::var_os("PRIVET_SEND_CRASH_DB"),
        std::env::var("PRIVET_SEND_CRASH_URL").ok(),
    ) else {
        return;
    };
    let mut s = settings(url);
    s.timeout = Duration::from_secs(120);
    let _ = deliver(Path::new(&db), 7, batch(3), &s, &options());
}

#[test]
fn send_survives_kill_9() {
    // The server saves each message, then takes a minute to say so: the child is killed in that window.
    let slow = Sink::start(&["--delay", "60"]);
    let (_dir, db) = fresh_db();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "send::tests::send_crash_child"])
        .env("PRIVET_SEND_CRASH_DB", &db)
        .env("PRIVET_SEND_CRASH_URL", slow.url("smtp", "", "?tls=none"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while slow.files().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the child never handed over a message"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // p0 was handed over (and is in the server's hands): in doubt. The others were never started.
    assert_eq!(row(&db, "p0").0, "sending");
    assert_eq!(row(&db, "p1").0, "pending");
    let sink = Sink::start(&[]);
    let s = sink.settings();
    let tally = send(&db, 3, &s);
    assert_eq!(tally.in_doubt, vec!["p0".to_string()], "{tally:?}");
    assert_eq!(tally.sent, 2);
    let rcpts: Vec<String> = sink.received().into_iter().flat_map(|m| m.rcpt).collect();
    assert_eq!(
        rcpts,
        [format!("<{}>", address(1)), format!("<{}>", address(2))]
    );
}
