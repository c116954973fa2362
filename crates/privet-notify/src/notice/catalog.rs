//! The notice texts: the built-in Fluent files, the override folder, one Fluent bundle per locale, locale
//! negotiation, and formatting a message into [`Rich`] text whose interpolated values stay apart from the
//! translated words, so that each output (subject, plain text, HTML) can escape and isolate them its own way.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::types::FluentNumber;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::{CharacterDirection, LanguageIdentifier};

use super::NoticeError;

/// The built-in texts, English (the reference) first; [`Catalog::tags`] keeps this order.
const BUILTIN: [(&str, &str); 7] = [
    ("en", include_str!("locales/en.ftl")),
    ("de", include_str!("locales/de.ftl")),
    ("es", include_str!("locales/es.ftl")),
    ("fr", include_str!("locales/fr.ftl")),
    ("ar", include_str!("locales/ar.ftl")),
    ("lv", include_str!("locales/lv.ftl")),
    ("id", include_str!("locales/id.ftl")),
];

/// Marks an interpolated value in Fluent's output: `OPEN index CLOSE` (private-use characters, removed from
/// every value beforehand, so they cannot be forged).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// A value passed to a message.
#[derive(Clone, Debug)]
pub(super) enum Arg {
    /// A name (controller, processor, organisation, person): any script, isolated by first strong character.
    Name(String),
    /// An address (sender, DPO contact): always shown left to right.
    Addr(String),
    /// Text this module produced in the locale's own language (a date, a list of location parts).
    Plain(String),
    /// A count, for plural selection; formatted with the locale's digit grouping.
    Num(u64),
}

/// How an interpolated value's direction is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dir {
    /// By its first strong character.
    Auto,
    /// Always left to right.
    Ltr,
}

/// One piece of formatted text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seg {
    /// Translated words (and [`Arg::Plain`] and [`Arg::Num`] values).
    Text(String),
    /// A [`Arg::Name`] or [`Arg::Addr`] value.
    Value(String, Dir),
}

/// A formatted message: translated text with its interpolated values kept apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Rich(pub Vec<Seg>);

impl Rich {
    /// The text with the values inlined and no marks at all.
    pub fn plain(&self) -> String {
        self.0
            .iter()
            .map(|seg| match seg {
                Seg::Text(t) | Seg::Value(t, _) => t.as_str(),
            })
            .collect()
    }

    /// A value on its own.
    pub fn value(text: &str, dir: Dir) -> Rich {
        Rich(vec![Seg::Value(text.to_string(), dir)])
    }
}

/// One locale's texts.
pub(super) struct Locale {
    /// The locale's tag (`en`, `pt-BR`).
    pub tag: String,
    /// Whether it is written right to left.
    pub rtl: bool,
    langid: LanguageIdentifier,
    bundle: FluentBundle<Arc<FluentResource>>,
    /// The message ids this locale defines itself (built in or in its override file).
    own: BTreeSet<String>,
}

impl Locale {
    /// Formats message `id` with `args`.
    pub fn rich(&self, id: &str, args: &[(&str, Arg)]) -> Result<Rich, NoticeError> {
        let mut fluent_args = FluentArgs::new();
        let mut values = Vec::new();
        for (name, arg) in args {
            match arg {
                Arg::Name(v) | Arg::Addr(v) => {
                    let dir = if matches!(arg, Arg::Addr(_)) {
                        Dir::Ltr
                    } else {
                        Dir::Auto
                    };
                    fluent_args.set(*name, format!("{OPEN}{}{CLOSE}", values.len()));
                    values.push((v.as_str(), dir));
                }
                Arg::Plain(v) => fluent_args.set(*name, v.as_str()),
                Arg::Num(n) => fluent_args.set(*name, FluentValue::from(FluentNumber::from(*n))),
            }
        }
        let out = self
            .format(id, Some(&fluent_args))
            .map_err(|detail| NoticeError::Format {
                locale: self.tag.clone(),
                id: id.to_string(),
                detail,
            })?;
        Ok(split(&out, &values))
    }

    /// Formats message `id`, which takes no values, as plain text.
    pub fn plain(&self, id: &str) -> Result<String, NoticeError> {
        Ok(self.rich(id, &[])?.plain())
    }

    /// Formats message `id`; a missing message or any Fluent error is an error.
    fn format(&self, id: &str, args: Option<&FluentArgs>) -> Result<String, String> {
        let message = self
            .bundle
            .get_message(id)
            .ok_or_else(|| format!("there is no message `{id}`"))?;
        let pattern = message
            .value()
            .ok_or_else(|| format!("message `{id}` has attributes only and no text"))?;
        let mut errors = Vec::new();
        let out = self.bundle.format_pattern(pattern, args, &mut errors);
        if errors.is_empty() {
            Ok(out.into_owned())
        } else {
            let detail: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Err(detail.join("; "))
        }
    }
}

/// Splits Fluent's output at the value markers.
fn split(out: &str, values: &[(&str, Dir)]) -> Rich {
    let mut segs = Vec::new();
    let mut text = String::new();
    let mut rest = out;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len_utf8()..];
        let marker = after
            .find(CLOSE)
            .and_then(|end| Some((after[..end].parse::<usize>().ok()?, end)))
            .and_then(|(i, end)| Some((*values.get(i)?, end)));
        match marker {
            Some(((value, dir), end)) => {
                text.push_str(&rest[..start]);
                if !text.is_empty() {
                    segs.push(Seg::Text(std::mem::take(&mut text)));
                }
                segs.push(Seg::Value(value.to_string(), dir));
                rest = &after[end + CLOSE.len_utf8()..];
            }
            None => {
                text.push_str(&rest[..start + OPEN.len_utf8()]);
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        segs.push(Seg::Text(text));
    }
    Rich(segs)
}

/// An override file, parsed and checked.
struct Override {
    path: PathBuf,
    langid: LanguageIdentifier,
    resource: Arc<FluentResource>,
    ids: BTreeSet<String>,
}

/// Every locale's texts.
pub(super) struct Catalog {
    locales: Vec<Locale>,
    /// The message ids of the built-in English texts, which every locale should define.
    reference: Vec<String>,
}

impl Catalog {
    /// Loads the built-in texts and the overrides in `overrides`, then checks that every message of every
    /// overridden locale formats.
    pub fn load(overrides: Option<&Path>) -> Result<Catalog, NoticeError> {
        let mut builtin = Vec::new();
        for (tag, source) in BUILTIN {
            let resource = FluentResource::try_new(source.to_string()).map_err(|(_, errors)| {
                NoticeError::BuiltIn {
                    locale: tag.to_string(),
                    detail: errors.first().map(ToString::to_string).unwrap_or_default(),
                }
            })?;
            let langid: LanguageIdentifier = tag.parse().map_err(|_| NoticeError::BuiltIn {
                locale: tag.to_string(),
                detail: "not a language tag".into(),
            })?;
            builtin.push((langid, Arc::new(resource)));
        }
        let reference: Vec<String> = message_ids(&builtin[0].1).into_iter().collect();
        let known: BTreeSet<&str> = reference.iter().map(String::as_str).collect();
        let mut files = match overrides {
            Some(dir) => read_overrides(dir, &known)?,
            None => BTreeMap::new(),
        };

        let mut locales = Vec::new();
        let mut checks = Vec::new();
        for (langid, resource) in &builtin {
            let tag = langid.to_string();
            let mut bundle = new_bundle(langid)?;
            bundle
                .add_resource(resource.clone())
                .map_err(|errors| NoticeError::BuiltIn {
                    locale: tag.clone(),
                    detail: errors.first().map(ToString::to_string).unwrap_or_default(),
                })?;
            let mut own = message_ids(resource);
            if let Some(file) = files.remove(&tag.to_ascii_lowercase()) {
                bundle.add_resource_overriding(file.resource.clone());
                own.extend(file.ids.iter().cloned());
                checks.push((locales.len(), file.path, file.resource.clone()));
            }
            locales.push(Locale {
                rtl: langid.character_direction() == CharacterDirection::RTL,
                tag,
                langid: langid.clone(),
                bundle,
                own,
            });
        }
        // Locales only the overrides have, in tag order; their base is the built-in locale of the same
        // language, else English.
        for file in files.into_values() {
            let same_language = builtin
                .iter()
                .find(|(langid, _)| langid.language == file.langid.language);
            let base = same_language.unwrap_or(&builtin[0]);
            let mut bundle = new_bundle(&file.langid)?;
            bundle
                .add_resource(base.1.clone())
                .map_err(|errors| NoticeError::BuiltIn {
                    locale: base.0.to_string(),
                    detail: errors.first().map(ToString::to_string).unwrap_or_default(),
                })?;
            bundle.add_resource_overriding(file.resource.clone());
            let mut own = file.ids.clone();
            if same_language.is_some() {
                own.extend(message_ids(&base.1));
            }
            checks.push((locales.len(), file.path, file.resource.clone()));
            locales.push(Locale {
                tag: file.langid.to_string(),
                rtl: file.langid.character_direction() == CharacterDirection::RTL,
                langid: file.langid,
                bundle,
                own,
            });
        }

        let catalog = Catalog { locales, reference };
        for (index, path, resource) in checks {
            catalog.check(&catalog.locales[index], &path, resource.source())?;
        }
        Ok(catalog)
    }

    /// Formats every message of an overridden locale with sample values: an override that uses an unknown
    /// variable, refers to a missing message, or contains a link fails here, at start-up, rather than in
    /// the middle of sending notices.
    fn check(&self, locale: &Locale, path: &Path, source: &str) -> Result<(), NoticeError> {
        let args = sample_args();
        for id in &self.reference {
            let fail = |problem: String| NoticeError::OverrideMessage {
                path: path.to_path_buf(),
                line: line_of(source, id).unwrap_or(1),
                id: id.clone(),
                problem,
            };
            // Plural selection panics inside fluent-bundle for a language without CLDR plural rules.
            let formatted = catch_unwind(AssertUnwindSafe(|| locale.format(id, Some(&args))))
                .map_err(|_| {
                    fail(format!(
                        "cannot be formatted in locale {}: its language has no plural rules; name the file \
                         after a standard language tag",
                        locale.tag
                    ))
                })?
                .map_err(|detail| {
                    fail(format!(
                        "does not format ({detail}); use only the variables the en.ftl message uses"
                    ))
                })?;
            let lower = formatted.to_lowercase();
            if lower.contains("://") || lower.contains("mailto:") {
                return Err(fail(
                    "contains a link; notices never carry links so that people can tell them from phishing: \
                     name the domain as plain text"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// Every locale's tag, built-in ones first.
    pub fn tags(&self) -> Vec<String> {
        self.locales.iter().map(|l| l.tag.clone()).collect()
    }

    /// Every locale.
    pub fn all(&self) -> &[Locale] {
        &self.locales
    }

    /// The locale tagged `tag` (ignoring case, `_` for `-`).
    pub fn get(&self, tag: &str) -> Result<&Locale, NoticeError> {
        let wanted = tag.trim().replace('_', "-");
        self.locales
            .iter()
            .find(|l| l.tag.eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| NoticeError::UnknownLocale {
                locale: tag.to_string(),
                available: self.tags().join(", "),
            })
    }

    /// The best locale for a language preference: one tag, or an `Accept-Language` list (`de-AT, en;q=0.5`).
    pub fn find_list(&self, requested: &str) -> Option<&str> {
        let mut wanted: Vec<(f32, usize, &str)> = requested
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q=")?.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (!tag.is_empty() && tag != "*" && quality > 0.0).then_some((quality, position, tag))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        wanted.into_iter().find_map(|(_, _, tag)| self.find(tag))
    }

    /// The best locale for one tag: the same tag, else the same language and region, else the plain
    /// language, else any locale of the language.
    fn find(&self, requested: &str) -> Option<&str> {
        let requested = requested.trim().replace('_', "-");
        if let Some(l) = self
            .locales
            .iter()
            .find(|l| l.tag.eq_ignore_ascii_case(&requested))
        {
            return Some(&l.tag);
        }
        let wanted: LanguageIdentifier = requested.parse().ok()?;
        let same_language = |l: &&Locale| l.langid.language == wanted.language;
        self.locales
            .iter()
            .filter(same_language)
            .find(|l| wanted.region.is_some() && l.langid.region == wanted.region)
            .or_else(|| {
                self.locales
                    .iter()
                    .filter(same_language)
                    .find(|l| l.langid.region.is_none() && l.langid.script.is_none())
            })
            .or_else(|| self.locales.iter().find(same_language))
            .map(|l| l.tag.as_str())
    }

    /// (locale, message id) for every English message a locale does not define itself.
    pub fn missing(&self) -> Vec<(String, String)> {
        let mut missing = Vec::new();
        for locale in self.locales.iter().skip(1) {
            for id in &self.reference {
                if !locale.own.contains(id) {
                    missing.push((locale.tag.clone(), id.clone()));
                }
            }
        }
        missing
    }

    /// (locale, message id) for every message a locale defines that English does not (tests only: the
    /// loader refuses such ids in overrides).
    #[cfg(test)]
    pub fn extra(&self) -> Vec<(String, String)> {
        let reference: BTreeSet<&String> = self.reference.iter().collect();
        self.locales
            .iter()
            .flat_map(|l| {
                l.own
                    .iter()
                    .filter(|id| !reference.contains(id))
                    .map(|id| (l.tag.clone(), id.clone()))
            })
            .collect()
    }
}

/// Reads `<dir>/*.ftl`, keyed by lower-case locale tag.
fn read_overrides(
    dir: &Path,
    known: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Override>, NoticeError> {
    let read_error = |source| NoticeError::ReadOverrides {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        let is_ftl = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ftl"));
        if is_ftl && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();

    let mut files: BTreeMap<String, Override> = BTreeMap::new();
    for path in paths {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let langid: LanguageIdentifier = match stem.replace('_', "-").parse() {
            Ok(langid) if !stem.is_empty() => langid,
            _ => return Err(NoticeError::OverrideName { path, stem }),
        };
        let key = langid.to_string().to_ascii_lowercase();
        if let Some(other) = files.get(&key) {
            return Err(NoticeError::OverrideTwice {
                other: other.path.clone(),
                locale: langid.to_string(),
                path,
            });
        }
        let source =
            std::fs::read_to_string(&path).map_err(|source| NoticeError::ReadOverrides {
                path: path.clone(),
                source,
            })?;
        let source = source
            .strip_prefix('\u{FEFF}')
            .unwrap_or(&source)
            .to_string();
        let resource = match FluentResource::try_new(source) {
            Ok(resource) => resource,
            Err((resource, errors)) => {
                let first = &errors[0];
                let (line, column) = position(resource.source(), first.pos.start);
                return Err(NoticeError::OverrideSyntax {
                    path,
                    line,
                    column,
                    detail: first.to_string(),
                });
            }
        };
        let mut ids = BTreeSet::new();
        for (line, id) in message_definitions(resource.source()) {
            if !known.contains(id) {
                return Err(NoticeError::OverrideUnknownMessage {
                    line,
                    id: id.to_string(),
                    path,
                });
            }
            if !ids.insert(id.to_string()) {
                return Err(NoticeError::OverrideDuplicate {
                    line,
                    id: id.to_string(),
                    path,
                });
            }
        }
        files.insert(
            key,
            Override {
                path,
                langid,
                resource: Arc::new(resource),
                ids,
            },
        );
    }
    Ok(files)
}

/// The ids of the messages (not terms) in a resource.
fn message_ids(resource: &FluentResource) -> BTreeSet<String> {
    message_definitions(resource.source())
        .map(|(_, id)| id.to_string())
        .collect()
}

/// (1-based line, id) of every message definition in Fluent source that parsed without errors: in Fluent a
/// message starts at column 0 with its identifier and `=`, while comments start with `#`, terms with `-`, and
/// every continuation line of a value is indented.
fn message_definitions(source: &str) -> impl Iterator<Item = (usize, &str)> {
    source.lines().enumerate().filter_map(|(index, line)| {
        if !line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(line.len());
        line[end..]
            .trim_start_matches([' ', '\t'])
            .starts_with('=')
            .then(|| (index + 1, &line[..end]))
    })
}

/// 1-based line and column of byte offset `offset`.
fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..source.floor_char_boundary(offset.min(source.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The 1-based line where message `id` is defined.
fn line_of(source: &str, id: &str) -> Option<usize> {
    message_definitions(source).find_map(|(line, found)| (found == id).then_some(line))
}

/// A bundle for `langid`: no Fluent isolation marks (see the module documentation), the locale's digit
/// grouping, and Fluent's built-in functions.
fn new_bundle(
    langid: &LanguageIdentifier,
) -> Result<FluentBundle<Arc<FluentResource>>, NoticeError> {
    let mut bundle = FluentBundle::new_concurrent(vec![langid.clone()]);
    bundle.set_use_isolating(false);
    bundle.set_formatter(Some(number_formatter(langid.language.as_str())));
    bundle.add_builtins().map_err(|e| NoticeError::BuiltIn {
        locale: langid.to_string(),
        detail: e.to_string(),
    })?;
    Ok(bundle)
}

/// Values that let every message of every locale format: the loader formats overrides with them.
fn sample_args() -> FluentArgs<'static> {
    let mut args = FluentArgs::new();
    for (name, value) in [
        ("controller", "Example"),
        ("processor", "Processor"),
        ("organisation", "Organisation"),
        ("name", "Name"),
        ("sender", "Example <security@example.com>"),
        ("dpo", "dpo@example.com"),
        ("aware", "2 January 2025"),
        ("occurred", "1 January 2025"),
        ("parts", "city"),
        ("year", "2025"),
    ] {
        args.set(name, value);
    }
    for (name, value) in [
        ("members", 3u64),
        ("people", 1234),
        ("day", 1),
        ("month", 1),
    ] {
        args.set(name, FluentValue::from(FluentNumber::from(value)));
    }
    args
}

/// The number formatter for a language: whole numbers get the language's group separator (`12,345`,
/// `12.345`, `12 345`), from `MIN_DIGITS` digits on.
fn number_formatter<M>(language: &str) -> fn(&FluentValue, &M) -> Option<String> {
    match language {
        "de" | "id" | "it" | "nl" | "da" | "tr" | "el" | "ro" | "hr" | "sl" | "sr" | "vi"
        | "is" | "ca" => group_digits::<'.', 4, M>,
        "es" | "pt" => group_digits::<'.', 5, M>,
        "pl" => group_digits::<'\u{a0}', 5, M>,
        "fr" | "lv" | "lt" | "ru" | "uk" | "cs" | "sk" | "fi" | "sv" | "nb" | "nn" | "no"
        | "hu" | "bg" | "et" | "be" | "kk" => group_digits::<'\u{a0}', 4, M>,
        _ => group_digits::<',', 4, M>,
    }
}

fn group_digits<const SEP: char, const MIN_DIGITS: usize, M>(
    value: &FluentValue,
    _: &M,
) -> Option<String> {
    let FluentValue::Number(number) = value else {
        return None;
    };
    let n = number.value;
    if number.options.minimum_fraction_digits.is_some() || n.fract() != 0.0 || n.abs() >= 1e15 {
        return None;
    }
    let digits = (n.abs() as u64).to_string();
    let mut out = String::new();
    if n < 0.0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && digits.len() >= MIN_DIGITS && (digits.len() - i).is_multiple_of(3) {
            out.push(SEP);
        }
        out.push(digit);
    }
    Some(out)
}
