//! Composing one notice as an RFC 5322 message, and DKIM signing.
//!
//! A notice is `multipart/alternative` (text/plain and text/html, both UTF-8) with no attachments, from the
//! one configured sender, with a deterministic Message-ID `<privet.{incident}.{recipient}@{sender domain}>`
//! so that a resent notice is recognisable as the same one, `Content-Language` and
//! `Auto-Submitted: auto-generated` (RFC 3834: auto-responders must not answer).

use std::collections::HashSet;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use super::Outgoing;
use super::error::SendError;
use super::mask::mask_address;
use super::settings::{DkimSettings, SmtpSettings};

/// Longest recipient key.
pub const MAX_KEY_LEN: usize = 128;

/// The sender mailbox and its domain.
pub(crate) fn parse_sender(settings: &SmtpSettings) -> Result<(Mailbox, String), SendError> {
    let sender: Mailbox = settings.sender.trim().parse().map_err(|e| {
        SendError::Config(format!(
            "breach.sender `{}` is not a valid mailbox ({e}); write it as `Example Security <security@example.com>`",
            settings.sender
        ))
    })?;
    let domain = sender.email.domain().to_string();
    Ok((sender, domain))
}

fn parse_reply_to(settings: &SmtpSettings) -> Result<Option<Mailbox>, SendError> {
    settings
        .reply_to
        .as_deref()
        .map(|r| {
            r.trim().parse().map_err(|e| {
                SendError::Config(format!(
                    "breach.reply_to `{r}` is not a valid mailbox ({e}); write it as `Privacy <privacy@example.com>` \
                     or leave it out"
                ))
            })
        })
        .transpose()
}

/// Checks a recipient key: it ends up in the Message-ID and in file names, and must never be an address.
pub(crate) fn check_key(key: &str) -> Result<(), SendError> {
    let ok = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && !key.starts_with('.')
        && !key.ends_with('.')
        && !key.contains("..")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(SendError::Message(format!(
            "the recipient key `{}` is not usable: keys must be 1 to {MAX_KEY_LEN} characters of A-Z a-z 0-9 . _ - \
             (no leading, trailing or double dot); use an opaque id such as a person's pseudonymous id, never an \
             email address",
            mask_address(key)
        )))
    }
}

/// Checks every key of a run and that none repeats.
pub(crate) fn check_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<(), SendError> {
    let mut seen = HashSet::new();
    for key in keys {
        check_key(key)?;
        if !seen.insert(key) {
            return Err(SendError::Message(format!(
                "the recipient key `{key}` appears twice in one run; keys must be unique within an incident (merge \
                 the two notices or give them different keys)"
            )));
        }
    }
    Ok(())
}

/// Whether the notice has an address at all (people without one get the public notice instead).
pub(crate) fn has_address(o: &Outgoing) -> bool {
    !o.address.trim().is_empty()
}

/// The deterministic Message-ID of a notice.
pub fn message_id(incident: i64, recipient: &str, sender_domain: &str) -> String {
    format!("<privet.{incident}.{recipient}@{sender_domain}>")
}

/// Parts of the settings parsed once per run.
pub(crate) struct Composer {
    sender: Mailbox,
    sender_domain: String,
    reply_to: Option<Mailbox>,
}

impl Composer {
    pub fn new(settings: &SmtpSettings) -> Result<Composer, SendError> {
        let (sender, sender_domain) = parse_sender(settings)?;
        Ok(Composer {
            sender,
            sender_domain,
            reply_to: parse_reply_to(settings)?,
        })
    }

    pub fn message_id(&self, incident: i64, recipient: &str) -> String {
        message_id(incident, recipient, &self.sender_domain)
    }

    /// Composes one notice (unsigned).
    pub fn compose(&self, o: &Outgoing, incident: i64) -> Result<Message, SendError> {
        check_key(&o.recipient)?;
        let to: Mailbox = o.address.trim().parse().map_err(|e| {
            SendError::Message(format!(
                "recipient {}: the address `{}` is not a valid email address ({e}); correct it in the profile",
                o.recipient,
                mask_address(o.address.trim())
            ))
        })?;
        let locale = o.locale.trim().replace('_', "-");
        if locale.is_empty()
            || !locale
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(SendError::Message(format!(
                "recipient {}: the locale `{}` is not a language tag such as `en` or `pt-BR`",
                o.recipient, o.locale
            )));
        }
        let mut builder = Message::builder()
            .from(self.sender.clone())
            .to(to)
            .subject(o.subject.clone())
            .message_id(Some(self.message_id(incident, &o.recipient)))
            .date_now()
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                locale,
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                o.text.clone(),
                o.html.clone(),
            ))
            .map_err(|e| {
                SendError::Message(format!(
                    "recipient {}: the message could not be composed: {}",
                    o.recipient,
                    super::mask::mask_addresses(&e.to_string())
                ))
            })
    }
}

/// Composes the notice `o` of `incident` as it will be sent (before DKIM signing, which happens at sending
/// time): see the module documentation for its shape. Errors name the recipient key, never the address.
pub fn build_message(
    o: &Outgoing,
    settings: &SmtpSettings,
    incident: i64,
) -> Result<Message, SendError> {
    Composer::new(settings)?.compose(o, incident)
}

/// The headers a DKIM signature covers (those absent from a message are skipped).
const SIGNED_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
    "Auto-Submitted",
];

/// A loaded DKIM key and its selector and domain.
pub(crate) struct Signer {
    settings: DkimSettings,
    pem: String,
    algorithm: DkimSigningAlgorithm,
}

impl Signer {
    /// Reads and checks the key.
    pub fn load(settings: &DkimSettings) -> Result<Signer, SendError> {
        let path = &settings.key_file;
        let text = std::fs::read_to_string(path).map_err(|e| {
            SendError::Config(format!(
                "breach.dkim_key_file {}: {e}; point it at a readable PEM private key",
                path.display()
            ))
        })?;
        let (pem, algorithm) = normalise_key(&text).map_err(|why| {
            SendError::Config(format!(
                "breach.dkim_key_file {}: {why}; generate a key with `openssl genrsa -out dkim.pem 2048` or \
                 `openssl genpkey -algorithm ed25519 -out dkim.pem`",
                path.display()
            ))
        })?;
        let signer = Signer {
            settings: settings.clone(),
            pem,
            algorithm,
        };
        signer.config(&[])?;
        Ok(signer)
    }

    fn config(&self, headers: &[&'static str]) -> Result<DkimConfig, SendError> {
        let key = DkimSigningKey::new(&self.pem, self.algorithm).map_err(|e| {
            SendError::Config(format!(
                "breach.dkim_key_file {}: the key cannot be used for DKIM ({e})",
                self.settings.key_file.display()
            ))
        })?;
        Ok(DkimConfig::new(
            self.settings.selector.trim().to_string(),
            self.settings.domain.trim().to_string(),
            key,
            headers
                .iter()
                .copied()
                .map(HeaderName::new_from_ascii_str)
                .collect(),
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        ))
    }

    /// Adds a `DKIM-Signature` header covering [`SIGNED_HEADERS`] present in `message`.
    pub fn sign(&self, message: &mut Message) -> Result<(), SendError> {
        let present: Vec<&'static str> = SIGNED_HEADERS
            .iter()
            .copied()
            .filter(|h| message.headers().get_raw(h).is_some())
            .collect();
        message.sign(&self.config(&present)?);
        Ok(())
    }
}

/// Turns a PEM key into what lettre reads: PKCS#1 PEM for RSA, base64 of the 32-byte seed for Ed25519.
fn normalise_key(text: &str) -> Result<(String, DkimSigningAlgorithm), String> {
    if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
        return Ok((text.to_string(), DkimSigningAlgorithm::Rsa));
    }
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err(
            "the key is encrypted; DKIM needs an unencrypted key file (readable only by Privet)"
                .into(),
        );
    }
    let der = pem_block(text, "PRIVATE KEY").ok_or(
        "not a PEM private key (expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)",
    )?;
    const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    const ED25519_OID: &[u8] = &[0x2b, 0x65, 0x70];
    let bad = || "the PKCS#8 key cannot be parsed".to_string();
    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE { OID, params }, privateKey OCTET STRING }
    let (info, _) = der_take(&der, 0x30).ok_or_else(bad)?;
    let (_version, rest) = der_take(info, 0x02).ok_or_else(bad)?;
    let (algorithm, rest) = der_take(rest, 0x30).ok_or_else(bad)?;
    let (oid, _) = der_take(algorithm, 0x06).ok_or_else(bad)?;
    let (private, _) = der_take(rest, 0x04).ok_or_else(bad)?;
    if oid == RSA_OID {
        let body = BASE64.encode(private);
        let mut pem = String::from("-----BEGIN RSA PRIVATE KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END RSA PRIVATE KEY-----\n");
        Ok((pem, DkimSigningAlgorithm::Rsa))
    } else if oid == ED25519_OID {
        // CurvePrivateKey ::= OCTET STRING (the 32-byte seed)
        let (seed, _) = der_take(private, 0x04).ok_or_else(bad)?;
        if seed.len() != 32 {
            return Err(bad());
        }
        Ok((BASE64.encode(seed), DkimSigningAlgorithm::Ed25519))
    } else {
        Err("the key is neither RSA nor Ed25519, the two algorithms DKIM allows".into())
    }
}

/// The DER bytes of the first `-----BEGIN {label}-----` block of `text`.
fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    BASE64.decode(body).ok()
}

/// Reads one DER element with the given tag: its contents and what follows it.
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Writes `o` for review: `<dir>/<recipient>.eml` (the message as it would be sent, DKIM aside),
/// `<dir>/<recipient>.html` and `<dir>/<recipient>.txt`.
pub(crate) fn write_review(dir: &Path, o: &Outgoing, message: &Message) -> Result<(), SendError> {
    for (ext, bytes) in [
        ("eml", message.formatted()),
        ("html", o.html.as_bytes().to_vec()),
        ("txt", o.text.as_bytes().to_vec()),
    ] {
        let path = dir.join(format!("{}.{ext}", o.recipient));
        std::fs::write(&path, bytes).map_err(SendError::io(&path))?;
    }
    Ok(())
}
