//! What a breach notice says, in the reader's language (GDPR Art. 34(2), and the public communication of
//! Art. 34(3)(c)).
//!
//! [`Notices`] holds one Project Fluent bundle per locale, built once from the texts built into the binary
//! (`locales/<locale>.ftl`: en, de, es, fr, ar, lv, id) and an optional folder of `<locale>.ftl` overrides
//! (`breach.templates`). [`Notices::render`] turns an [`Audience`] (one person, an organisation's
//! administrators, or the public), the [`Controller`] and the [`IncidentFacts`] into a [`Rendered`] notice: a
//! subject, a plain-text body and a self-contained HTML body. [`Notices::public_page`] puts the public notice in
//! every locale on one HTML page.
//!
//! Every notice says what happened (naming the processor when there is one, with the dates), which of the
//! reader's data was exposed and which sensitive data was not, what the likely consequence is (convincing,
//! targeted phishing), what the controller did, what to do (check the sender's domain, never send secrets,
//! turn on multi-factor authentication, distrust urgency; change the password or rotate keys when those
//! leaked), the one sender notices come from, and the data protection officer's contact. A notice has no
//! links at all: domains are named as text, and a value that contains a link (`https://…`, `mailto:`) is
//! refused, because "no notice of ours ever contains a link" is the one rule a reader can check.
//!
//! # Message ids
//!
//! `locales/en.ftl` is the reference: every locale defines every message in it ([`Notices::missing`] lists
//! gaps). Groups: `language-name`, `date`, `list-separator`; `subject-{person,org,public}-{processor,own}`;
//! `greeting`, `greeting-named`; `heading-*`; `happened-{person,org,public}-{processor,own}`,
//! `happened-occurred`, `org-why`, `public-why`; `exposed-intro-*`, `sensitive-exposed-{person,org}`,
//! `not-exposed-intro`; `cat-<category>` and `cat-members-<category>` (category labels, `loc-*` for the parts
//! of a location); `consequences-{person,org,public}-{targeted,general}`; `measures-empty`; `advice-*`;
//! `official-domains-intro`, `sender-statement`, `sender-statement-public`, `dpo-contact`, `complaint`,
//! `signoff`.
//!
//! # Overrides
//!
//! A file `<dir>/<locale>.ftl` redefines any of those messages for that locale (only the ones it contains).
//! A file for a locale that is not built in (`pt.ftl`, `de-CH.ftl`) adds that locale; messages it lacks come
//! from the built-in locale of the same language, else from English, and [`Notices::missing`] names them.
//! Loading fails, naming the file and line, on a Fluent syntax error, on a message id that is not a notice
//! message, and on a message that does not format (an unknown `$variable`) or contains a link.
//!
//! # Bidirectional text
//!
//! Fluent's own isolation marks (U+2068/U+2069 around every placeable) are turned off: they show up as boxes
//! in many mail subjects and plain-text clients and get copied along with addresses. Instead each output
//! isolates only what needs it:
//!
//! * Subject: no invisible characters at all in left-to-right locales. In right-to-left locales, a value
//!   with Latin letters (a processor or company name) is framed by U+200E LEFT-TO-RIGHT MARK, which every
//!   mail client has handled for decades, so that its trailing punctuation stays with it.
//! * Plain text: no invisible characters in left-to-right locales. In right-to-left locales, values with
//!   left-to-right letters are wrapped in U+2066 LRI … U+2069 PDI (U+2068 FSI when the value mixes scripts),
//!   and addresses (sender, DPO contact) always in LRI … PDI; purely right-to-left values are left alone. The
//!   official domains stand on lines of their own with no marks in any locale, so they copy exactly.
//! * HTML: no invisible characters. `<html lang dir>` sets the direction, every interpolated value is in a
//!   `<bdi>` (`<bdi dir="ltr">` for addresses and domains), and every value is HTML-escaped.
//!
//! Values are also cleaned before use: control characters become spaces and explicit bidi controls are
//! removed, so that a crafted name cannot reorder the text around it or inject a header line.

mod catalog;
mod compose;
mod output;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use privet_config::BreachConfig;
use privet_model::DataCategory;

use catalog::Catalog;

/// Who sends the notice: the controller's facts every notice quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    /// The controller's name as people know it ("Example AI, Inc.").
    pub name: String,
    /// How to reach the data protection officer (an address, or a name and an address).
    pub dpo_contact: String,
    /// The only domains the controller mails from and runs websites on, named in every notice.
    pub official_domains: Vec<String>,
    /// The one sender every notice comes from (`Example Security <security@example.com>`); the caller must
    /// send from exactly this address, because the notice says so.
    pub sender: String,
}

impl From<&BreachConfig> for Controller {
    fn from(config: &BreachConfig) -> Self {
        Controller {
            name: config.controller.clone(),
            dpo_contact: config.dpo_contact.clone(),
            official_domains: config.official_domains.clone(),
            sender: config.sender.clone(),
        }
    }
}

/// What is known about the incident.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct IncidentFacts {
    /// The processor whose systems were breached ("Mixpanel"); `None` when it was the controller's own.
    pub processor: Option<String>,
    /// When the unauthorised access happened, when known.
    pub occurred_on: Option<NaiveDate>,
    /// When the controller became aware of the breach.
    pub aware_on: NaiveDate,
    /// What the controller did and will do, one line each, in the controller's words; shown as a list under
    /// a localised heading, in whatever language they are written in. No links.
    pub measures: Vec<String>,
}

/// Whom a notice is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// One affected person.
    Person {
        /// Their name, for the greeting.
        name: Option<String>,
        /// The categories of *their* data that were exposed.
        exposed: Vec<DataCategory>,
    },
    /// A summary for an organisation's administrators: how many of its members were affected, and what to
    /// tell their team.
    OrgAdmin {
        /// The administrator's name, for the greeting.
        name: Option<String>,
        /// The organisation's name.
        organisation: String,
        /// How many of its members were affected.
        members_affected: u64,
        /// The categories exposed for any of them.
        exposed: Vec<DataCategory>,
    },
    /// The public communication for people who cannot be reached individually (Art. 34(3)(c)).
    Public {
        /// The categories exposed for anyone.
        exposed: Vec<DataCategory>,
        /// How many people were affected.
        people: u64,
    },
}

/// A notice, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The locale it is written in (one of [`Notices::locales`]); use it for `Content-Language`.
    pub locale: String,
    /// The subject line: one line, no HTML.
    pub subject: String,
    /// The plain-text body, wrapped at 72 columns.
    pub text: String,
    /// A complete HTML document: inline CSS, no external resources, no images, no links.
    pub html: String,
    /// Whether the locale is written right to left (the HTML already says `dir="rtl"`).
    pub rtl: bool,
}

/// Every locale's notice texts, built once.
pub struct Notices {
    catalog: Catalog,
}

/// Why notices could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error(
        "cannot read the notice overrides at {path}: {source}; check that breach.templates names a readable \
         folder of <locale>.ftl files, or unset it to use the built-in texts"
    )]
    ReadOverrides {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: `{stem}` is not a language tag; name override files after their locale, such as de.ftl or \
         pt-BR.ftl"
    )]
    OverrideName { path: PathBuf, stem: String },
    #[error("{path} and {other} both override locale {locale}; keep one of them")]
    OverrideTwice {
        path: PathBuf,
        other: PathBuf,
        locale: String,
    },
    #[error(
        "{path}:{line}:{column}: Fluent syntax error: {detail}; fix the message there (see en.ftl for the form)"
    )]
    OverrideSyntax {
        path: PathBuf,
        line: usize,
        column: usize,
        detail: String,
    },
    #[error(
        "{path}:{line}: `{id}` is not a notice message; override only the message ids of the built-in \
         en.ftl (check the spelling)"
    )]
    OverrideUnknownMessage {
        path: PathBuf,
        line: usize,
        id: String,
    },
    #[error("{path}:{line}: message `{id}` is defined twice; keep one definition")]
    OverrideDuplicate {
        path: PathBuf,
        line: usize,
        id: String,
    },
    #[error("{path}:{line}: message `{id}` {problem}")]
    OverrideMessage {
        path: PathBuf,
        line: usize,
        id: String,
        problem: String,
    },
    #[error(
        "built-in notice texts for {locale} are broken ({detail}); this is a bug in Privet, please report it"
    )]
    BuiltIn { locale: String, detail: String },
    #[error(
        "no notice texts for locale `{locale}` (available: {available}); pick one with Notices::negotiate"
    )]
    UnknownLocale { locale: String, available: String },
    #[error(
        "message `{id}` in locale {locale} did not format: {detail}; fix the override that defines it"
    )]
    Format {
        locale: String,
        id: String,
        detail: String,
    },
    #[error(
        "{field} contains a link ({value:?}); notices never carry links so that people can tell them from \
         phishing: name the domain or address as plain text instead"
    )]
    LinkInValue { field: &'static str, value: String },
    #[error("{field} is empty; {hint}")]
    Missing {
        field: &'static str,
        hint: &'static str,
    },
}

impl Notices {
    /// Loads the built-in texts and, when `overrides` names a folder, its `<locale>.ftl` files (every
    /// message they define replaces the built-in one; a file for a new locale adds the locale). Other files
    /// in the folder are ignored.
    pub fn new(overrides: Option<&Path>) -> Result<Notices, NoticeError> {
        Ok(Notices {
            catalog: Catalog::load(overrides)?,
        })
    }

    /// [`Notices::new`] with the override folder from the configuration (`breach.templates`).
    pub fn from_config(config: &BreachConfig) -> Result<Notices, NoticeError> {
        Notices::new(config.templates.as_deref())
    }

    /// The locales notices can be written in: en, de, es, fr, ar, lv, id, then any added by overrides.
    pub fn locales(&self) -> Vec<String> {
        self.catalog.tags()
    }

    /// The locale to write to someone who asked for `requested` (a profile's locale such as `de-AT` or
    /// `pt_BR`, or an `Accept-Language` value): the same locale, else one of the same language, else
    /// `default` (itself negotiated), else English. Case and `_`/`-` do not matter.
    pub fn negotiate(&self, requested: Option<&str>, default: &str) -> String {
        requested
            .and_then(|r| self.catalog.find_list(r))
            .or_else(|| self.catalog.find_list(default))
            .unwrap_or("en")
            .to_string()
    }

    /// Writes the notice for `audience` in `locale` (one of [`Notices::locales`]; see
    /// [`Notices::negotiate`]).
    pub fn render(
        &self,
        locale: &str,
        audience: &Audience,
        controller: &Controller,
        facts: &IncidentFacts,
    ) -> Result<Rendered, NoticeError> {
        let locale = self.catalog.get(locale)?;
        let doc = compose::compose(locale, audience, controller, facts)?;
        Ok(Rendered {
            locale: doc.locale.clone(),
            subject: output::subject(&doc),
            text: output::text(&doc),
            html: output::html(&doc),
            rtl: doc.rtl,
        })
    }

    /// One HTML page with the public notice (Art. 34(3)(c)) in every locale, for the controller's website:
    /// each locale in its own section with its `lang` and `dir`, and the list of languages (each language's
    /// name and notice title, which opens that section) as the menu. No links, no scripts.
    pub fn public_page(
        &self,
        controller: &Controller,
        facts: &IncidentFacts,
        exposed: &[DataCategory],
        people: u64,
    ) -> Result<String, NoticeError> {
        let audience = Audience::Public {
            exposed: exposed.to_vec(),
            people,
        };
        let mut sections = Vec::new();
        for locale in self.catalog.all() {
            let doc = compose::compose(locale, &audience, controller, facts)?;
            let name = locale.plain("language-name")?;
            sections.push((name, doc));
        }
        Ok(output::page(&sections))
    }

    /// The messages English has that a locale does not define itself, as (locale, message id); empty for
    /// the built-in locales. For a locale added by an override, these are the messages that fall back to
    /// another language.
    pub fn missing(&self) -> Vec<(String, String)> {
        self.catalog.missing()
    }
}
