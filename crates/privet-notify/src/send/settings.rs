//! SMTP settings: where notices go, from whom, how fast, and how the connection is secured.
//!
//! The server is named by a URL:
//!
//! | URL                                   | connection                                                    |
//! |---------------------------------------|---------------------------------------------------------------|
//! | `smtp://host:port`                    | plain, upgraded with STARTTLS when the server offers it       |
//! | `smtp://host:port?tls=required`       | STARTTLS, refusing servers that do not offer it               |
//! | `smtps://host:465`                    | TLS from the first byte (implicit TLS)                        |
//! | `smtp://host:port?tls=none`           | plain text (a local relay)                                    |
//!
//! `user:password@` before the host enables AUTH (PLAIN or LOGIN); both are percent-decoded. A password
//! is never sent over an unencrypted connection unless `tls=none` says so explicitly.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, TlsParameters};

use super::error::SendError;

/// How notices are sent. Build it with [`SmtpSettings::from_config`] or fill it in directly.
#[derive(Clone)]
pub struct SmtpSettings {
    /// The SMTP server (see the module documentation for the URL forms).
    pub url: String,
    /// A PEM file of extra certificate authorities to trust (for a server with a private CA or a self-signed
    /// certificate), on top of the system's.
    pub ca_file: Option<PathBuf>,
    /// The one sender every notice comes from (`Example Security <security@example.com>`). Its domain also
    /// ends every Message-ID.
    pub sender: String,
    /// Where replies go, if not to the sender.
    pub reply_to: Option<String>,
    /// Most messages per second, overall.
    pub rate_per_second: f64,
    /// Attempts per message (and per connection) before giving up; transient failures are retried with
    /// exponential back-off between attempts.
    pub max_attempts: u32,
    /// DKIM signing, when configured.
    pub dkim: Option<DkimSettings>,
    /// How long to wait for the server to connect or answer.
    pub timeout: Duration,
}

/// DKIM signing: a PEM private key (RSA, PKCS#1 or PKCS#8, or Ed25519, PKCS#8), its selector and domain
/// (the signature's `s=` and `d=`; the public key is published at `<selector>._domainkey.<domain>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimSettings {
    pub key_file: PathBuf,
    pub selector: String,
    pub domain: String,
}

/// The default for [`SmtpSettings::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl SmtpSettings {
    /// The settings of the `[breach]` configuration section. `url_override` (a command-line flag) takes
    /// precedence over `breach.smtp_url`. Errors name the missing or invalid setting.
    pub fn from_config(
        c: &privet_config::BreachConfig,
        url_override: Option<&str>,
    ) -> Result<Self, SendError> {
        let url = match url_override.or(c.smtp_url.as_deref()) {
            Some(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => {
                return Err(SendError::Config(
                    "no SMTP server is configured: set breach.smtp_url (for example \
                     smtp://user:password@mail.example.com:587?tls=required) or pass the SMTP URL on the \
                     command line"
                        .into(),
                ));
            }
        };
        let dkim = match (&c.dkim_key_file, &c.dkim_selector, &c.dkim_domain) {
            (None, None, None) => None,
            (Some(key_file), Some(selector), Some(domain)) => Some(DkimSettings {
                key_file: key_file.clone(),
                selector: selector.clone(),
                domain: domain.clone(),
            }),
            (key, selector, domain) => {
                let missing: Vec<&str> = [
                    (key.is_none(), "breach.dkim_key_file"),
                    (selector.is_none(), "breach.dkim_selector"),
                    (domain.is_none(), "breach.dkim_domain"),
                ]
                .into_iter()
                .filter_map(|(missing, name)| missing.then_some(name))
                .collect();
                return Err(SendError::Config(format!(
                    "DKIM signing is half configured: {} missing; set breach.dkim_key_file, breach.dkim_selector \
                     and breach.dkim_domain together, or none of them",
                    missing.join(" and ")
                )));
            }
        };
        let settings = SmtpSettings {
            url,
            ca_file: c.smtp_ca_file.clone(),
            sender: c.sender.clone(),
            reply_to: c.reply_to.clone().filter(|r| !r.trim().is_empty()),
            rate_per_second: c.rate_per_second,
            max_attempts: c.max_attempts,
            dkim,
            timeout: DEFAULT_TIMEOUT,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Checks everything that can be checked without a server: the URL, the sender, the numbers.
    pub fn validate(&self) -> Result<(), SendError> {
        Endpoint::parse(&self.url)?;
        super::message::parse_sender(self)?;
        if !(self.rate_per_second.is_finite() && self.rate_per_second > 0.0) {
            return Err(SendError::Config(format!(
                "breach.rate_per_second must be a positive number of messages per second, not {}",
                self.rate_per_second
            )));
        }
        if self.max_attempts == 0 {
            return Err(SendError::Config(
                "breach.max_attempts must be at least 1 (it counts the first attempt)".into(),
            ));
        }
        if self.timeout.is_zero() {
            return Err(SendError::Config(
                "the SMTP timeout must be longer than zero".into(),
            ));
        }
        if let Some(d) = &self.dkim
            && (d.selector.trim().is_empty() || d.domain.trim().is_empty())
        {
            return Err(SendError::Config(
                "breach.dkim_selector and breach.dkim_domain must not be empty".into(),
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpSettings {
    /// Like a derived `Debug`, with the URL's password hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &redact_url(&self.url))
            .field("ca_file", &self.ca_file)
            .field("sender", &self.sender)
            .field("reply_to", &self.reply_to)
            .field("rate_per_second", &self.rate_per_second)
            .field("max_attempts", &self.max_attempts)
            .field("dkim", &self.dkim)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The URL with its password (if any) replaced by `***`, for logs and messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(an unparseable URL)".into(),
    }
}

/// How the connection is secured.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS when the server offers it.
    Opportunistic,
    /// STARTTLS, or no delivery.
    Required,
    /// TLS from the first byte.
    Implicit,
    /// Plain text.
    None,
}

/// A parsed SMTP URL.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<Credentials>,
}

impl Endpoint {
    pub fn parse(raw: &str) -> Result<Endpoint, SendError> {
        let bad = |what: String| {
            SendError::Config(format!(
                "the SMTP URL {} {what}; use smtp://host:port, smtp://host:port?tls=required, smtps://host:465 \
                 or smtp://host:port?tls=none, with user:password@ before the host for AUTH",
                redact_url(raw)
            ))
        };
        let url = url::Url::parse(raw).map_err(|e| {
            SendError::Config(format!(
                "the SMTP URL is not a valid URL ({e}); write it as smtp://host:port or smtps://host:465"
            ))
        })?;
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(bad("has no host".into())),
        };
        let mut tls_param = None;
        for (key, value) in url.query_pairs() {
            match &*key {
                "tls" => tls_param = Some(value.into_owned()),
                other => {
                    return Err(bad(format!(
                        "has an unknown parameter `{other}` (only `tls` is known)"
                    )));
                }
            }
        }
        let (tls, default_port) = match (url.scheme(), tls_param.as_deref()) {
            ("smtp", None | Some("opportunistic")) => (TlsMode::Opportunistic, 25),
            ("smtp", Some("required")) => (TlsMode::Required, 25),
            ("smtp", Some("none")) => (TlsMode::None, 25),
            ("smtps", None | Some("implicit")) => (TlsMode::Implicit, 465),
            ("smtp" | "smtps", Some(other)) => {
                return Err(bad(format!(
                    "has tls={other}, which is not one of opportunistic, required, none (smtp://) or implicit \
                     (smtps://)"
                )));
            }
            (other, _) => return Err(bad(format!("has the scheme `{other}`, not smtp or smtps"))),
        };
        let credentials = if url.username().is_empty() {
            None
        } else {
            let user = percent_decode(url.username())
                .ok_or_else(|| bad("has a badly percent-encoded user".into()))?;
            let password = percent_decode(url.password().unwrap_or(""))
                .ok_or_else(|| bad("has a badly percent-encoded password".into()))?;
            Some(Credentials::new(user, password))
        };
        if !matches!(url.path(), "" | "/") {
            return Err(bad("has a path; an SMTP URL names only a server".into()));
        }
        Ok(Endpoint {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            credentials,
        })
    }

    /// TLS parameters for this server, trusting the system's authorities and those in `ca_file`.
    pub fn tls_parameters(
        &self,
        ca_file: Option<&std::path::Path>,
    ) -> Result<TlsParameters, SendError> {
        let mut builder = TlsParameters::builder(self.host.clone());
        if let Some(path) = ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                SendError::Config(format!(
                    "breach.smtp_ca_file {}: {e}; point it at a readable PEM file of CA certificates",
                    path.display()
                ))
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                SendError::Config(format!(
                    "breach.smtp_ca_file {}: not a PEM certificate file ({e}); it must hold one or more \
                     -----BEGIN CERTIFICATE----- blocks",
                    path.display()
                ))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        builder
            .build()
            .map_err(|e| SendError::Config(format!("cannot set up TLS for the SMTP server: {e}")))
    }
}

/// Decodes `%XX` escapes; `None` when an escape is malformed or the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
