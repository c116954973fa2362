//! One SMTP connection, reused for many messages, driven command by command with lettre's low-level
//! [`SmtpConnection`] so that the outbox can be updated at the exact point where a message becomes
//! possibly delivered: after the server has accepted MAIL, RCPT and DATA (354), just before the body and
//! its final `.` are transmitted.

use std::cell::Cell;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Mechanism;
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::error::SendError;
use super::mask::mask_addresses;
use super::settings::{Endpoint, TlsMode};

/// Why a connection could not be set up.
pub(crate) enum ConnectError {
    /// Trying again will not help (TLS refused, authentication refused, STARTTLS missing, 5xx greeting).
    Fatal(String),
    /// Worth another attempt after a pause (refused, timed out, 4xx greeting).
    Transient(String),
}

/// What became of one message.
pub(crate) enum Outcome {
    /// The server accepted it (250 after the body).
    Sent,
    /// The server did not take it. `permanent` for 5xx replies; `reached_sending` when the outbox row was
    /// marked `sending` (the attempt is then already counted).
    NotDelivered {
        error: String,
        permanent: bool,
        reached_sending: bool,
    },
    /// The body and its final `.` were transmitted but no verdict came back: it may have been delivered.
    InDoubt { error: String },
    /// The server refuses every message (it rejected the sender); stop the run.
    Fatal { error: String },
}

/// A lazily (re)connected SMTP client.
pub(crate) struct Client {
    endpoint: Endpoint,
    tls: Option<TlsParameters>,
    timeout: Duration,
    hello: ClientId,
    conn: Option<SmtpConnection>,
    /// Whether a transaction ran on `conn` (so the next one starts with RSET).
    used: bool,
}

/// A lettre error as text, with any address in it masked.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    mask_addresses(&text)
}

impl Client {
    pub fn new(endpoint: Endpoint, tls: Option<TlsParameters>, timeout: Duration) -> Client {
        Client {
            endpoint,
            tls,
            timeout,
            hello: ClientId::default(),
            conn: None,
            used: false,
        }
    }

    fn server(&self) -> String {
        format!("{}:{}", self.endpoint.host, self.endpoint.port)
    }

    /// Makes sure there is a live connection ready for a new transaction: resets a used one (reconnecting
    /// when the server dropped it meanwhile), or connects.
    pub fn ready(&mut self) -> Result<(), ConnectError> {
        if let Some(conn) = &mut self.conn {
            if !self.used {
                return Ok(());
            }
            if conn.command(Rset).is_ok() {
                self.used = false;
                return Ok(());
            }
            tracing::debug!("the SMTP connection went stale; reconnecting");
            self.drop_connection();
        }
        self.conn = Some(self.connect()?);
        self.used = false;
        Ok(())
    }

    fn connect(&self) -> Result<SmtpConnection, ConnectError> {
        let server = self.server();
        let classify = |e: lettre::transport::smtp::Error, what: &str| {
            let text = format!("{what} the SMTP server {server}: {}", describe(&e));
            // rustls reports a refused certificate as an I/O error of the handshake.
            if e.is_tls() || text.to_ascii_lowercase().contains("certificate") {
                let hint = if text.contains("CaUsedAsEndEntity") {
                    " (the server's self-signed certificate is marked as a CA: rustls accepts a self-signed server \
                     certificate only with basicConstraints CA:FALSE; or sign it with a separate CA)"
                } else {
                    ""
                };
                ConnectError::Fatal(format!(
                    "{text}{hint}; check that the server's certificate is valid for {} (add its CA with \
                     breach.smtp_ca_file) or pick another tls= mode",
                    self.endpoint.host
                ))
            } else if e.is_permanent() || e.is_client() {
                ConnectError::Fatal(text)
            } else {
                ConnectError::Transient(text)
            }
        };
        let implicit = self.endpoint.tls == TlsMode::Implicit;
        let mut conn = SmtpConnection::connect(
            (self.endpoint.host.as_str(), self.endpoint.port),
            Some(self.timeout),
            &self.hello,
            if implicit { self.tls.as_ref() } else { None },
            None,
        )
        .map_err(|e| classify(e, "cannot connect to"))?;
        if matches!(
            self.endpoint.tls,
            TlsMode::Required | TlsMode::Opportunistic
        ) {
            let tls = self
                .tls
                .as_ref()
                .expect("TLS parameters are built for every TLS mode");
            if conn.can_starttls() {
                conn.starttls(tls, &self.hello)
                    .map_err(|e| classify(e, "STARTTLS failed with"))?;
            } else if self.endpoint.tls == TlsMode::Required {
                conn.abort();
                return Err(ConnectError::Fatal(format!(
                    "the SMTP server {server} does not offer STARTTLS, which the URL requires (tls=required); \
                     use the server's TLS port (smtps://{}:465) or a server that supports STARTTLS",
                    self.endpoint.host
                )));
            }
        }
        if let Some(credentials) = &self.endpoint.credentials {
            if !conn.is_encrypted() && self.endpoint.tls != TlsMode::None {
                conn.abort();
                return Err(ConnectError::Fatal(format!(
                    "the SMTP server {server} did not offer STARTTLS, so the password would travel in clear text; \
                     use tls=required or smtps:// with a server that supports TLS, or say tls=none explicitly for a \
                     relay on a trusted network"
                )));
            }
            if let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials) {
                let text = describe(&e);
                conn.abort();
                return Err(if e.is_transient() {
                    ConnectError::Transient(format!(
                        "the SMTP server {server} could not authenticate now: {text}"
                    ))
                } else {
                    ConnectError::Fatal(format!(
                        "the SMTP server {server} refused the login: {text}; check the user and password in the \
                         SMTP URL (percent-encode special characters) and that the server offers AUTH PLAIN or LOGIN"
                    ))
                });
            }
        }
        Ok(conn)
    }

    /// Closes the connection without ceremony (the server discards an unfinished transaction).
    pub fn drop_connection(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.abort();
        }
        self.used = false;
    }

    /// Says goodbye.
    pub fn quit(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.quit();
        }
    }

    /// After a negative reply before the body: keep the connection (reset) unless the server is closing it.
    fn after_refusal(&mut self, e: &lettre::transport::smtp::Error) {
        let closing = e.status().is_some_and(|c| u16::from(c) == 421)
            || !(e.is_permanent() || e.is_transient());
        if closing {
            self.drop_connection();
        } else if let Some(conn) = &mut self.conn {
            if conn.command(Rset).is_err() {
                self.drop_connection();
            } else {
                self.used = false;
            }
        }
    }

    /// A negative reply to `command` before the body: the message was not delivered (for good on a 5xx).
    fn refused(&mut self, command: &str, e: &lettre::transport::smtp::Error) -> Outcome {
        let error = format!("{command} refused: {}", describe(e));
        self.after_refusal(e);
        Outcome::NotDelivered {
            error,
            permanent: e.is_permanent(),
            reached_sending: false,
        }
    }

    /// Sends one message on the ready connection. `before_body` runs (and must durably record that the
    /// message may now be delivered) after the server accepted DATA and before the body is transmitted; if it
    /// fails, the connection is dropped so that the server discards the transaction, and its error returned.
    pub fn transact(
        &mut self,
        envelope: &Envelope,
        body: &[u8],
        before_body: impl FnOnce() -> Result<(), SendError>,
    ) -> Result<Outcome, SendError> {
        let conn = self
            .conn
            .as_mut()
            .expect("Client::ready is called before Client::transact");
        self.used = true;

        let mut params = Vec::new();
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Ok(Outcome::NotDelivered {
                    error: "the address is internationalised (non-ASCII) and the SMTP server does not support \
                            SMTPUTF8"
                        .into(),
                    permanent: true,
                    reached_sending: false,
                });
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        if !body.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }

        if let Err(e) = conn.command(Mail::new(envelope.from().cloned(), params)) {
            return Ok(match self.refused("MAIL FROM", &e) {
                // A server that refuses the sender for good refuses every message: stop the run.
                Outcome::NotDelivered {
                    error,
                    permanent: true,
                    ..
                } => Outcome::Fatal {
                    error: format!(
                        "the SMTP server refuses the sender ({error}); check breach.sender and that the server \
                         lets this client send as it"
                    ),
                },
                outcome => outcome,
            });
        }
        for to in envelope.to() {
            if let Err(e) = conn.command(Rcpt::new(to.clone(), vec![])) {
                return Ok(self.refused("RCPT TO", &e));
            }
        }
        if let Err(e) = conn.command(Data) {
            return Ok(self.refused("DATA", &e));
        }

        // 354: the server waits for the body. Record that the message may be delivered from now on.
        if let Err(e) = before_body() {
            self.drop_connection();
            return Err(e);
        }

        let finished = Cell::new(false);
        let parts = BodyParts {
            body: Some(body),
            finished: &finished,
        };
        match conn.message_iter(parts) {
            Ok(_) => Ok(Outcome::Sent),
            Err(e) if e.is_permanent() || e.is_transient() => {
                // A definite "no" to the final dot: not delivered.
                let permanent = e.is_permanent();
                let error = format!("message refused: {}", describe(&e));
                self.after_refusal(&e);
                Ok(Outcome::NotDelivered {
                    error,
                    permanent,
                    reached_sending: true,
                })
            }
            Err(e) if !finished.get() => {
                // The body was cut off before the final dot: the server discards it.
                let error = format!(
                    "connection lost while sending the message: {}",
                    describe(&e)
                );
                self.drop_connection();
                Ok(Outcome::NotDelivered {
                    error,
                    permanent: false,
                    reached_sending: true,
                })
            }
            Err(e) => {
                let error = format!(
                    "no answer after the message was transmitted: {}",
                    describe(&e)
                );
                self.drop_connection();
                Ok(Outcome::InDoubt { error })
            }
        }
    }
}

/// The body as one part, noting when lettre has written all of it (and moves on to the final dot).
struct BodyParts<'a> {
    body: Option<&'a [u8]>,
    finished: &'a Cell<bool>,
}

impl<'a> Iterator for BodyParts<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let part = self.body.take();
        if part.is_none() {
            self.finished.set(true);
        }
        part
    }
}
