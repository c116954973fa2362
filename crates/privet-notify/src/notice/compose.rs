//! What goes into each notice, in which order: turns an audience, the controller and the incident facts into
//! a [`Doc`] of localised blocks (headings, paragraphs, lists), which `output` then writes as a subject, plain
//! text and HTML. Deciding the content here, once, keeps the three outputs saying the same thing.

use std::collections::BTreeSet;

use chrono::Datelike;
use privet_model::DataCategory;

use super::catalog::{Arg, Dir, Locale, Rich};
use super::{Audience, Controller, IncidentFacts, NoticeError};

/// A notice, localised but not yet written out.
#[derive(Clone, Debug)]
pub(super) struct Doc {
    pub locale: String,
    pub rtl: bool,
    pub subject: Rich,
    pub blocks: Vec<Block>,
}

/// One block of a notice. Message ids and list roles are kept so that the tests can check what a notice
/// says in every locale without matching wording.
#[derive(Clone, Debug)]
#[cfg_attr(not(test), allow(dead_code))]
pub(super) enum Block {
    Heading(Rich),
    /// A paragraph, with the id of its message.
    Para {
        id: String,
        text: Rich,
    },
    /// A paragraph to stand out (sensitive data was exposed).
    Warning {
        id: String,
        text: Rich,
    },
    List {
        role: Role,
        items: Vec<Item>,
    },
    /// The official domains, one per line, exactly as configured.
    Domains(Vec<String>),
}

/// What a list is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Exposed,
    NotExposed,
    Measures,
    Advice,
}

/// A list item, with the id of its message (`measure` for the controller's own lines).
#[derive(Clone, Debug)]
#[cfg_attr(not(test), allow(dead_code))]
pub(super) struct Item {
    pub id: String,
    pub text: Rich,
}

impl Doc {
    /// The items of the list with `role` (tests).
    #[cfg(test)]
    pub fn list(&self, role: Role) -> Vec<&Item> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::List { role: r, items } if *r == role => Some(items.iter()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

/// Categories whose exposure lets an attacker address someone personally and convincingly.
const TARGETING: [DataCategory; 7] = [
    DataCategory::Name,
    DataCategory::Email,
    DataCategory::Phone,
    DataCategory::OrgName,
    DataCategory::City,
    DataCategory::Region,
    DataCategory::Country,
];

/// The location categories shown as one item, with the message naming each part.
const LOCATION_PARTS: [(DataCategory, &str); 3] = [
    (DataCategory::City, "loc-city"),
    (DataCategory::Region, "loc-region"),
    (DataCategory::Country, "loc-country"),
];

/// Which audience's variant of a message to use.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Kind {
    Person,
    Org,
    Public,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Person => "person",
            Kind::Org => "org",
            Kind::Public => "public",
        }
    }
}

/// Builds the notice for `audience` in `locale`.
pub(super) fn compose(
    locale: &Locale,
    audience: &Audience,
    controller: &Controller,
    facts: &IncidentFacts,
) -> Result<Doc, NoticeError> {
    let (kind, name, exposed) = match audience {
        Audience::Person { name, exposed } => (Kind::Person, name.as_deref(), exposed),
        Audience::OrgAdmin { name, exposed, .. } => (Kind::Org, name.as_deref(), exposed),
        Audience::Public { exposed, .. } => (Kind::Public, None, exposed),
    };
    let exposed: BTreeSet<DataCategory> = exposed.iter().copied().collect();
    if exposed.is_empty() {
        return Err(NoticeError::Missing {
            field: "the audience's exposed categories",
            hint: "a notice must say which data was exposed: pass the categories the leaked data contained",
        });
    }

    let controller_name = required(
        "breach.controller",
        &controller.name,
        "set the controller's name",
    )?;
    let sender = required(
        "breach.sender",
        &controller.sender,
        "set the one address notices are sent from",
    )?;
    let dpo = required(
        "breach.dpo_contact",
        &controller.dpo_contact,
        "set how to reach the data protection officer",
    )?;
    let mut domains = Vec::new();
    for domain in &controller.official_domains {
        let domain = clean("breach.official_domains", domain)?;
        if domain.contains('/') {
            return Err(NoticeError::LinkInValue {
                field: "breach.official_domains",
                value: domain,
            });
        }
        if !domain.is_empty() {
            domains.push(domain);
        }
    }
    if domains.is_empty() {
        return Err(NoticeError::Missing {
            field: "breach.official_domains",
            hint: "list the domains you send mail from, so that people can tell notices from phishing",
        });
    }
    let processor = match &facts.processor {
        Some(p) => Some(clean("the processor's name", p)?).filter(|p| !p.is_empty()),
        None => None,
    };
    let mut measures = Vec::new();
    for line in &facts.measures {
        let line = clean("a measures line", line)?;
        if !line.is_empty() {
            measures.push(line);
        }
    }
    // The recipient's name comes from their profile, which a client can set to anything: one that holds a
    // link is not shown (the greeting goes without a name) rather than stopping the notice.
    let name = name
        .and_then(|n| clean("the recipient's name", n).ok())
        .filter(|n| !n.is_empty());

    let mut args: Vec<(&'static str, Arg)> = vec![
        ("controller", Arg::Name(controller_name)),
        ("sender", Arg::Addr(sender)),
        ("dpo", Arg::Addr(dpo)),
        ("aware", Arg::Plain(date(locale, facts.aware_on)?)),
    ];
    if let Some(processor) = &processor {
        args.push(("processor", Arg::Name(processor.clone())));
    }
    if let Some(occurred) = facts.occurred_on {
        args.push(("occurred", Arg::Plain(date(locale, occurred)?)));
    }
    if let Some(name) = &name {
        args.push(("name", Arg::Name(name.clone())));
    }
    match audience {
        Audience::OrgAdmin {
            organisation,
            members_affected,
            ..
        } => {
            let organisation = clean("the organisation's name", organisation)?;
            if organisation.is_empty() {
                return Err(NoticeError::Missing {
                    field: "the organisation's name",
                    hint: "an administrators' summary names the organisation it is about",
                });
            }
            args.push(("organisation", Arg::Name(organisation)));
            args.push(("members", Arg::Num(*members_affected)));
        }
        Audience::Public { people, .. } => args.push(("people", Arg::Num(*people))),
        Audience::Person { .. } => {}
    }
    let parts: Vec<String> = LOCATION_PARTS
        .iter()
        .filter(|(c, _)| exposed.contains(c))
        .map(|(_, id)| locale.plain(id))
        .collect::<Result<_, _>>()?;
    if !parts.is_empty() {
        let separator = locale.plain("list-separator")?;
        args.push(("parts", Arg::Plain(parts.join(&separator))));
    }

    let mut doc = Builder {
        locale,
        args,
        blocks: Vec::new(),
    };
    let k = kind.key();
    let source = if processor.is_some() {
        "processor"
    } else {
        "own"
    };
    let members = kind == Kind::Org;
    let sensitive_exposed: Vec<DataCategory> = DataCategory::SENSITIVE
        .into_iter()
        .filter(|c| exposed.contains(c))
        .collect();
    let not_exposed: Vec<DataCategory> = DataCategory::SENSITIVE
        .into_iter()
        .filter(|c| !exposed.contains(c))
        .collect();

    let subject = doc.rich(&format!("subject-{k}-{source}"))?;

    // Greeting, and why this reader gets it.
    match kind {
        Kind::Person | Kind::Org => {
            doc.para(if name.is_some() {
                "greeting-named"
            } else {
                "greeting"
            })?;
            if kind == Kind::Org {
                doc.para("org-why")?;
            }
        }
        Kind::Public => doc.para("public-why")?,
    }

    // 1. What happened, and when.
    doc.heading("heading-what-happened")?;
    doc.para(&format!("happened-{k}-{source}"))?;
    if facts.occurred_on.is_some() {
        doc.para("happened-occurred")?;
    }

    // 2. Which data was exposed, and which sensitive data was not.
    doc.heading(&format!("heading-exposed-{k}"))?;
    doc.para(&format!("exposed-intro-{k}"))?;
    let prefix = if members { "cat-members-" } else { "cat-" };
    doc.list(Role::Exposed, category_ids(&exposed, prefix))?;
    if !sensitive_exposed.is_empty() {
        doc.warning(if members {
            "sensitive-exposed-org"
        } else {
            "sensitive-exposed-person"
        })?;
    }
    if !not_exposed.is_empty() {
        doc.heading("heading-not-exposed")?;
        doc.para("not-exposed-intro")?;
        let ids = not_exposed
            .iter()
            .map(|c| format!("{prefix}{}", category_key(*c)))
            .collect();
        doc.list(Role::NotExposed, ids)?;
    }

    // 3. Likely consequences.
    doc.heading(if members {
        "heading-consequences-org"
    } else {
        "heading-consequences"
    })?;
    let targeted = TARGETING.iter().any(|c| exposed.contains(c));
    doc.para(&format!(
        "consequences-{k}-{}",
        if targeted { "targeted" } else { "general" }
    ))?;

    // 4. What the controller did.
    doc.heading("heading-measures")?;
    if measures.is_empty() {
        doc.para("measures-empty")?;
    } else {
        let items = measures
            .into_iter()
            .map(|line| Item {
                id: "measure".into(),
                text: Rich::value(&line, Dir::Auto),
            })
            .collect();
        doc.blocks.push(Block::List {
            role: Role::Measures,
            items,
        });
    }

    // 5. What to do: first what the exposed secrets require, then how to tell us from phishing.
    let mut advice: Vec<String> = sensitive_exposed
        .iter()
        .map(|c| {
            let members = if members { "members-" } else { "" };
            format!("advice-{members}{}", category_key(*c))
        })
        .collect();
    let general: &[&str] = match kind {
        Kind::Person => &[
            "advice-check-sender",
            "advice-no-secrets",
            "advice-mfa",
            "advice-urgency",
            "advice-no-links",
        ],
        Kind::Public => &[
            "advice-check-sender",
            "advice-no-secrets",
            "advice-mfa",
            "advice-urgency",
            "advice-no-links-public",
        ],
        Kind::Org => &[
            "advice-members-phishing",
            "advice-members-no-secrets",
            "advice-members-mfa",
            "advice-members-report",
            "advice-check-sender",
        ],
    };
    advice.extend(general.iter().map(|s| s.to_string()));
    doc.heading(if members {
        "heading-advice-org"
    } else {
        "heading-advice-person"
    })?;
    doc.list(Role::Advice, advice)?;

    // The official domains, as text.
    doc.heading("heading-official-domains")?;
    doc.para("official-domains-intro")?;
    doc.blocks.push(Block::Domains(domains));

    // 6. The one sender, and whom to ask.
    doc.heading("heading-contact")?;
    doc.para(if kind == Kind::Public {
        "sender-statement-public"
    } else {
        "sender-statement"
    })?;
    doc.para("dpo-contact")?;
    doc.para("complaint")?;
    if kind != Kind::Public {
        doc.para("signoff")?;
    }

    Ok(Doc {
        locale: locale.tag.clone(),
        rtl: locale.rtl,
        subject,
        blocks: doc.blocks,
    })
}

/// Accumulates a notice's blocks; every message gets every value.
struct Builder<'a> {
    locale: &'a Locale,
    args: Vec<(&'static str, Arg)>,
    blocks: Vec<Block>,
}

impl Builder<'_> {
    fn rich(&self, id: &str) -> Result<Rich, NoticeError> {
        self.locale.rich(id, &self.args)
    }

    fn heading(&mut self, id: &str) -> Result<(), NoticeError> {
        let text = self.rich(id)?;
        self.blocks.push(Block::Heading(text));
        Ok(())
    }

    fn para(&mut self, id: &str) -> Result<(), NoticeError> {
        let text = self.rich(id)?;
        self.blocks.push(Block::Para {
            id: id.to_string(),
            text,
        });
        Ok(())
    }

    fn warning(&mut self, id: &str) -> Result<(), NoticeError> {
        let text = self.rich(id)?;
        self.blocks.push(Block::Warning {
            id: id.to_string(),
            text,
        });
        Ok(())
    }

    fn list(&mut self, role: Role, ids: Vec<String>) -> Result<(), NoticeError> {
        let items = ids
            .into_iter()
            .map(|id| {
                Ok(Item {
                    text: self.rich(&id)?,
                    id,
                })
            })
            .collect::<Result<_, NoticeError>>()?;
        self.blocks.push(Block::List { role, items });
        Ok(())
    }
}

/// The message ids for the exposed categories, in [`DataCategory::ALL`] order: city, region and country are
/// one item (`location`, naming the parts), operating system and browser one (`os-browser`) when both are
/// there.
fn category_ids(exposed: &BTreeSet<DataCategory>, prefix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut location = false;
    let mut software = false;
    for c in DataCategory::ALL {
        if !exposed.contains(&c) {
            continue;
        }
        let key = match c {
            DataCategory::City | DataCategory::Region | DataCategory::Country => {
                if std::mem::replace(&mut location, true) {
                    continue;
                }
                "location".to_string()
            }
            DataCategory::Os | DataCategory::Browser => {
                if std::mem::replace(&mut software, true) {
                    continue;
                }
                let both =
                    exposed.contains(&DataCategory::Os) && exposed.contains(&DataCategory::Browser);
                if both {
                    "os-browser".to_string()
                } else {
                    category_key(c)
                }
            }
            _ => category_key(c),
        };
        ids.push(format!("{prefix}{key}"));
    }
    ids
}

/// A category's key as message ids spell it (`user-id`).
fn category_key(c: DataCategory) -> String {
    c.key().replace('_', "-")
}

/// A date in the locale's words (`9 November 2025`, `9. November 2025`, `2025. gada 9. novembrī`).
fn date(locale: &Locale, d: chrono::NaiveDate) -> Result<String, NoticeError> {
    Ok(locale
        .rich(
            "date",
            &[
                ("day", Arg::Num(u64::from(d.day()))),
                ("month", Arg::Num(u64::from(d.month()))),
                ("year", Arg::Plain(d.year().to_string())),
            ],
        )?
        .plain())
}

/// A value from configuration or the caller, made safe to show: control characters (line breaks included)
/// become spaces, explicit bidi controls and this module's markers are removed, runs of spaces collapse, and
/// a link is refused.
pub(super) fn clean(field: &'static str, value: &str) -> Result<String, NoticeError> {
    let lower = value.to_lowercase();
    if lower.contains("://") || lower.contains("mailto:") {
        return Err(NoticeError::LinkInValue {
            field,
            value: value.to_string(),
        });
    }
    let cleaned: String = value
        .chars()
        .filter(|c| !is_bidi_control(*c) && !('\u{E000}'..='\u{E001}').contains(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Ok(cleaned.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A cleaned value that must not be empty.
fn required(field: &'static str, value: &str, hint: &'static str) -> Result<String, NoticeError> {
    let value = clean(field, value)?;
    if value.is_empty() {
        return Err(NoticeError::Missing { field, hint });
    }
    Ok(value)
}

/// Explicit directional formatting characters (marks, embeddings, overrides, isolates).
pub(super) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}
