//! Free-text scanning: personal data and secrets hidden in string properties are replaced by placeholders.
//!
//! Found: emails (`[email]`), phone numbers (`[phone]`), IPv4/IPv6 addresses (`[ip]`), payment card numbers that
//! pass the Luhn check (`[card]`), IBANs that pass the mod-97 check (`[iban]`), JWTs (`[jwt]`), API keys and
//! secrets in the shapes of OpenAI, AWS, GitHub, Slack, Stripe, Google and Privet itself (`[secret]`), the
//! project's own identifier shapes (`[id]`, configured as regular expressions), and any value the vault holds for
//! this person or their organisation (`[personal]`), such as their name.
//!
//! Speed: one `RegexSet` pass tells which kinds occur at all (most strings match none and are done); only the
//! kinds that matched are searched again for their spans. Values the vault knows are found with an
//! Aho-Corasick automaton per person and per organisation ([`KnownValues`], usually over two or three values),
//! run only on a text that passes the subject's sketch and holds every byte of one of the values ([`Lookout`]).

use std::cell::OnceCell;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use privet_model::Pseudonym;
use privet_model::byteset::ByteSet;
use privet_vault::{Known, KnownSketch};
use regex::{Regex, RegexSet};
use smallvec::SmallVec;

use crate::vault::IdentityVault;

/// A kind of sensitive span and its placeholder.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    Email,
    Phone,
    Ip,
    Card,
    Iban,
    Jwt,
    Secret,
    Id,
    Personal,
}

impl Finding {
    pub fn placeholder(self) -> &'static str {
        match self {
            Finding::Email => "[email]",
            Finding::Phone => "[phone]",
            Finding::Ip => "[ip]",
            Finding::Card => "[card]",
            Finding::Iban => "[iban]",
            Finding::Jwt => "[jwt]",
            Finding::Secret => "[secret]",
            Finding::Id => "[id]",
            Finding::Personal => "[personal]",
        }
    }
}

/// Built-in patterns, in priority order (earlier kinds win overlapping spans).
const BUILT_IN: &[(Finding, &str)] = &[
    (
        Finding::Jwt,
        r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    (
        Finding::Secret,
        r"\b(?:sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|A(?:KIA|SIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|pvt_[0-9a-f]{48})",
    ),
    (
        Finding::Secret,
        r"(?i)\b(?:api[_-]?key|secret|password|passwd|token|bearer)\b\s*[:=]?\s*[A-Za-z0-9_\-./+=]{12,}",
    ),
    (
        Finding::Email,
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    ),
    (
        Finding::Iban,
        r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
    ),
    (Finding::Card, r"\b[2-6](?:[ -]?[0-9]){12,18}\b"),
    (
        Finding::Ip,
        r"\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\b",
    ),
    (
        Finding::Ip,
        r"(?i)\b(?:[0-9a-f]{1,4})?(?::{1,2}[0-9a-f]{1,4}){2,7}\b",
    ),
    (
        Finding::Phone,
        r"(?:\+|\b00)[1-9][0-9 ()./-]{6,18}[0-9]\b|\(?\b[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}\b|\b0[1-9](?:[ .-]?[0-9]{2}){4}\b",
    ),
];

/// The scanner for one project: built-in patterns plus the project's identifier shapes.
pub struct Scanner {
    set: RegexSet,
    patterns: Vec<(Finding, Regex)>,
}

/// A span to replace.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    finding: Finding,
    priority: usize,
}

impl Scanner {
    /// Builds the scanner; `identifier_patterns` are regular expressions for the project's own id shapes.
    pub fn new(identifier_patterns: &[String]) -> Result<Scanner, regex::Error> {
        let mut patterns: Vec<(Finding, String)> = BUILT_IN
            .iter()
            .map(|(f, p)| (*f, (*p).to_string()))
            .collect();
        patterns.extend(
            identifier_patterns
                .iter()
                .map(|p| (Finding::Id, format!(r"\b(?:{p})\b"))),
        );
        let set = RegexSet::new(patterns.iter().map(|(_, p)| p))?;
        let patterns = patterns
            .into_iter()
            .map(|(f, p)| Regex::new(&p).map(|r| (f, r)))
            .collect::<Result<_, _>>()?;
        Ok(Scanner { set, patterns })
    }

    /// Replaces every sensitive span of `text`; returns `None` when nothing was found (the common case, with no
    /// allocation). `known` finds values the vault holds for this person and organisation (case-insensitively).
    pub fn redact(&self, text: &str, known: &Lookout<'_>) -> Option<(String, Vec<Finding>)> {
        let mut spans: Vec<Span> = Vec::new();
        if could_match(text) {
            for index in self.set.matches(text).iter() {
                let (finding, regex) = &self.patterns[index];
                for m in regex.find_iter(text) {
                    if valid(*finding, m.as_str()) {
                        spans.push(Span {
                            start: m.start(),
                            end: m.end(),
                            finding: *finding,
                            priority: index,
                        });
                    }
                }
            }
        }
        // The text's bytes, found once for every set of values that could fit in it.
        let bytes = if known.is_empty() {
            ByteSet::EMPTY
        } else {
            ByteSet::of(text.as_bytes())
        };
        for known in known.searchers(text.len(), bytes) {
            for m in known.automaton.find_iter(text) {
                spans.push(Span {
                    start: m.start(),
                    end: m.end(),
                    finding: Finding::Personal,
                    priority: 0,
                });
            }
        }
        if spans.is_empty() {
            return None;
        }
        // Longest, then highest-priority span wins where spans overlap.
        spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end), s.priority));
        let mut out = String::with_capacity(text.len());
        let mut findings = Vec::new();
        let mut at = 0;
        for span in spans {
            if span.start < at {
                continue;
            }
            out.push_str(&text[at..span.start]);
            out.push_str(span.finding.placeholder());
            findings.push(span.finding);
            at = span.end;
        }
        out.push_str(&text[at..]);
        Some((out, findings))
    }
}

/// The values to look for in one record's free text: what the vault holds for its person and organisations, and
/// what the record itself carried to the vault.
///
/// Each subject comes with the sketch of its values ([`KnownSketch`]), kept in the vault's table: a text that
/// fails it (most do) is ruled out without reading the values, which are fetched from the vault the first time a
/// text (or a carried value, for [`Lookout::holds`]) passes. With tens of thousands of people, their values are
/// rarely in the processor's caches, and reading them for every event cost more than the rest of the scan.
#[derive(Default)]
pub struct Lookout<'v> {
    vault: Option<&'v dyn IdentityVault>,
    /// Usually a person and an organisation: no allocation.
    subjects: SmallVec<[Subject; 2]>,
    carried: Option<KnownValues>,
}

/// A subject whose values may be searched for.
struct Subject {
    id: Pseudonym,
    sketch: KnownSketch,
    /// Fetched when a text first passes the sketch.
    known: OnceCell<Arc<Known>>,
}

impl<'v> Lookout<'v> {
    /// Nothing to look for but the built-in kinds.
    pub fn none() -> Lookout<'v> {
        Lookout::default()
    }

    /// Looks for the values `vault` holds for these subjects.
    pub fn of(vault: &'v dyn IdentityVault, subjects: impl IntoIterator<Item = Pseudonym>) -> Self {
        let subjects = subjects
            .into_iter()
            .map(|id| Subject {
                id,
                sketch: vault.known_sketch(id),
                known: OnceCell::new(),
            })
            .filter(|s| s.sketch != KnownSketch::NOTHING)
            .collect();
        Lookout {
            vault: Some(vault),
            subjects,
            carried: None,
        }
    }

    /// The values the record carried that the vault did not hold yet (replacing any given before).
    pub fn carry<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        self.carried = KnownValues::new(values);
    }

    /// Whether the vault holds `value` for one of the subjects (its values are read only when `value` passes
    /// the subject's sketch).
    pub fn holds(&self, value: &str) -> bool {
        let bytes = ByteSet::of(value.as_bytes());
        self.subjects.iter().any(|s| {
            s.sketch.could_be_in(value.len(), bytes)
                && self.known(s).values().iter().any(|h| h == value)
        })
    }

    fn known<'s>(&self, subject: &'s Subject) -> &'s Known {
        subject.known.get_or_init(|| {
            self.vault
                .expect("subjects come with their vault")
                .known_values(subject.id)
        })
    }

    /// The searchers that could find something in a text of `len` bytes holding `bytes`.
    fn searchers(&self, len: usize, bytes: ByteSet) -> impl Iterator<Item = &KnownValues> {
        self.subjects
            .iter()
            .filter(move |s| s.sketch.could_be_in(len, bytes))
            .filter_map(|s| searcher(self.known(s)).as_ref())
            .chain(&self.carried)
            .filter(move |k| len >= k.shortest && k.could_occur_in(bytes))
    }

    /// Whether there is nothing to look for: then no text's bytes are needed.
    fn is_empty(&self) -> bool {
        self.subjects.is_empty() && self.carried.is_none()
    }
}

/// The searcher over a subject's values, built once per set of values and kept beside them in the vault.
fn searcher(known: &Known) -> &Option<KnownValues> {
    known.searcher(|values| KnownValues::new(values.iter().map(String::as_str)))
}

/// Values the vault holds for one person or organisation (or that one record carried), ready to be searched
/// for. Built once per set of values and kept beside them in the vault (`privet_vault::Known`): building an
/// automaton on every event would cost more than the search.
pub struct KnownValues {
    automaton: AhoCorasick,
    /// The shortest value, in bytes: shorter text cannot hold any of them.
    shortest: usize,
    /// Each value's bytes: a text that lacks a byte of every value cannot hold any of them.
    bytes: Vec<ByteSet>,
}

impl KnownValues {
    /// `None` when there is nothing worth searching for (values shorter than 3 characters are ignored: they
    /// would redact ordinary words).
    ///
    /// Every pattern holds a whole word (split at whitespace) of one of the values: the vault's [`KnownSketch`],
    /// built from those words, relies on it to rule texts out. Splitting values any other way needs the sketch
    /// changed too.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<KnownValues> {
        let mut patterns: Vec<&str> = values
            .into_iter()
            .map(str::trim)
            .filter(|v| v.chars().count() >= 3)
            .collect();
        // Names are also searched for part by part ("Ada Lovelace" → "Lovelace").
        let parts: Vec<&str> = patterns
            .iter()
            .filter(|v| v.contains(' ') && !v.contains('@'))
            .flat_map(|v| v.split_whitespace())
            .filter(|p| p.chars().count() >= 4)
            .collect();
        patterns.extend(parts);
        if patterns.is_empty() {
            return None;
        }
        let shortest = patterns.iter().map(|p| p.len()).min()?;
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok()?;
        Some(KnownValues {
            automaton,
            shortest,
            bytes: patterns.iter().map(|p| ByteSet::of(p.as_bytes())).collect(),
        })
    }

    /// Whether a text with these bytes could hold one of the values.
    fn could_occur_in(&self, text: ByteSet) -> bool {
        self.bytes.iter().any(|value| text.contains(*value))
    }
}

/// A cheap pre-check: every built-in pattern needs a digit, an `@`, a `:` or a long run of word characters.
fn could_match(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 7
        && bytes
            .iter()
            .any(|b| b.is_ascii_digit() || *b == b'@' || *b == b':')
        || bytes.len() >= 16
}

/// Checks that rule out look-alikes: Luhn for cards, mod 97 for IBANs, a digit count for phones.
fn valid(finding: Finding, text: &str) -> bool {
    match finding {
        Finding::Card => luhn(text),
        Finding::Iban => iban(text),
        Finding::Phone => {
            let digits = text.bytes().filter(u8::is_ascii_digit).count();
            (8..=15).contains(&digits)
        }
        Finding::Ip => text.contains('.') || text.parse::<std::net::Ipv6Addr>().is_ok(),
        _ => true,
    }
}

fn luhn(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn iban(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut remainder: u64 = 0;
    for c in tail.chars().chain(head.chars()) {
        let value = match c.to_digit(36) {
            Some(v) => v as u64,
            None => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> String {
        let scanner = Scanner::new(&["(?:user|org)-[0-9a-f]{6,}".to_string()]).unwrap();
        scanner
            .redact(text, &Lookout::none())
            .map_or_else(|| text.to_string(), |(out, _)| out)
    }

    #[test]
    fn finds_personal_data_and_secrets() {
        let cases = [
            (
                "mail me at ada.lovelace+ai@example.co.uk please",
                "mail me at [email] please",
            ),
            ("call +44 20 7946 0958 now", "call [phone] now"),
            ("call (415) 555-0132", "call [phone]"),
            ("tel 06 12 34 56 78", "tel [phone]"),
            (
                "from 203.0.113.195 via 2001:db8:85a3::8a2e:370:7334",
                "from [ip] via [ip]",
            ),
            ("card 4111 1111 1111 1111 exp", "card [card] exp"),
            ("pay DE89 3704 0044 0532 0130 00 today", "pay [iban] today"),
            (
                "key sk-proj-AbCdEf0123456789XyZaBcDeF leaked",
                "key [secret] leaked",
            ),
            ("aws AKIAIOSFODNN7EXAMPLE", "aws [secret]"),
            (
                "gh ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
                "gh [secret]",
            ),
            ("slack xoxb-1234567890-abcdefghij", "slack [secret]"),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
                "jwt [jwt]",
            ),
            ("password: hunter2hunter2!", "[secret]!"),
            ("owner user-4f9a2c11 of org-77ab01", "owner [id] of [id]"),
        ];
        for (input, expected) in cases {
            assert_eq!(scan(input), expected, "input: {input}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for text in [
            "large",
            "Upgraded to the team plan",
            "2026-11-23",
            "version 2.83.0",
            "order 12345",
            "4111 1111 1111 1112",         // fails Luhn
            "GB00 0000 0000 0000 0000 00", // fails mod 97
            "took 1234 ms",
            "/docs/quickstart",
        ] {
            assert_eq!(scan(text), text);
        }
    }

    #[test]
    fn finds_values_the_vault_knows() {
        let scanner = Scanner::new(&[]).unwrap();
        let mut known = Lookout::none();
        known.carry(["Ada Lovelace", "Analytical Engines Ltd", "ab"]);
        let (out, findings) = scanner
            .redact(
                "Ticket from ADA LOVELACE (lovelace) at analytical engines ltd",
                &known,
            )
            .unwrap();
        assert_eq!(out, "Ticket from [personal] ([personal]) at [personal]");
        assert_eq!(findings.len(), 3);
        assert!(KnownValues::new(["ab", " "]).is_none());
    }

    /// A subject's values are read from the vault only when a text passes its sketch, and once per record.
    #[test]
    fn values_are_fetched_only_for_texts_that_pass_the_sketch() {
        use crate::vault::MemoryVault;
        struct Counting(MemoryVault, std::cell::Cell<usize>);
        impl IdentityVault for Counting {
            fn pseudonym(
                &self,
                p: privet_model::ProjectId,
                k: crate::IdKind<'_>,
                v: &str,
            ) -> Pseudonym {
                self.0.pseudonym(p, k, v)
            }
            fn store_field(&self, p: privet_model::ProjectId, s: Pseudonym, n: &str, v: &str) {
                self.0.store_field(p, s, n, v)
            }
            fn known_values(&self, subject: Pseudonym) -> Arc<Known> {
                self.1.set(self.1.get() + 1);
                self.0.known_values(subject)
            }
            fn known_sketch(&self, subject: Pseudonym) -> KnownSketch {
                self.0.known_sketch(subject)
            }
            fn is_published(
                &self,
                p: privet_model::ProjectId,
                d: privet_model::withheld::Dimension,
                k: &str,
            ) -> bool {
                self.0.is_published(p, d, k)
            }
            fn seal(
                &self,
                p: privet_model::ProjectId,
                w: &privet_model::withheld::Withheld,
            ) -> Vec<u8> {
                self.0.seal(p, w)
            }
        }
        let vault = Counting(MemoryVault::default(), Default::default());
        let ada = Pseudonym(1);
        vault.store_field(privet_model::ProjectId(1), ada, "$name", "Ada Lovelace");
        let scanner = Scanner::new(&[]).unwrap();
        let known = Lookout::of(&vault, [ada]);
        // The sketch of "Ada Lovelace": words of three bytes or more, all holding an `a`.
        for text in ["pro", "2.83.0", "tokens", "model", "ad"] {
            assert_eq!(scanner.redact(text, &known), None);
        }
        assert_eq!(vault.1.get(), 0, "no text passed the sketch");
        for text in ["lovely day", "hello Ada", "by LOVELACE"] {
            scanner.redact(text, &known);
        }
        assert_eq!(
            vault.1.get(),
            1,
            "read once, for the first text that passed"
        );
        let (out, _) = scanner.redact("by LOVELACE", &known).unwrap();
        assert_eq!(out, "by [personal]");
    }

    /// The byte pre-checks never hide a value the search would find: on many random texts and values (letters
    /// in both cases, digits, punctuation, spaces and non-ASCII), a text with a match always passes both the
    /// subject's sketch (kept in the vault) and its values' own byte sets.
    #[test]
    fn the_byte_checks_never_hide_a_value() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        const ALPHABET: &[char] = &[
            'a', 'B', 'c', 'D', 'e', '1', '2', '-', '@', '.', ' ', 'é', 'É', '\t', '\u{a0}',
            '\u{2003}',
        ];
        let mut rng = StdRng::seed_from_u64(11);
        let word = |rng: &mut StdRng, len: std::ops::Range<usize>| -> String {
            (0..rng.random_range(len))
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
                .collect()
        };
        let (mut found, mut ruled_out, mut sketched_out) = (0, 0, 0);
        for _ in 0..20_000 {
            // Now and then a value that is empty, blank or too short to search for.
            let values: Vec<String> = (0..rng.random_range(1..4))
                .map(|_| match rng.random_range(0..20) {
                    0 => String::new(),
                    1 => " \t".to_string(),
                    2 => word(&mut rng, 1..3),
                    _ => word(&mut rng, 3..12),
                })
                .collect();
            let Some(known) = KnownValues::new(values.iter().map(String::as_str)) else {
                continue;
            };
            // Half the texts hold one of the values, or one word of it, its ASCII letters in either case.
            let mut text = word(&mut rng, 0..6);
            if rng.random_bool(0.5) {
                let value = &values[rng.random_range(0..values.len())];
                let words: Vec<&str> = value.split_whitespace().collect();
                let value = match words.len() {
                    2.. if rng.random_bool(0.5) => words[rng.random_range(0..words.len())],
                    _ => value.as_str(),
                };
                text.extend(value.chars().map(|c| {
                    if rng.random_bool(0.5) {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                }));
            }
            text.push_str(&word(&mut rng, 0..6));
            let matched = known.automaton.find_iter(&text).next().is_some();
            let bytes = ByteSet::of(text.as_bytes());
            let possible = known.could_occur_in(bytes);
            let sketched = KnownSketch::of(&values).could_be_in(text.len(), bytes);
            assert!(possible || !matched, "{text:?} holds one of {values:?}");
            assert!(sketched || !matched, "{text:?} holds one of {values:?}");
            found += usize::from(matched);
            ruled_out += usize::from(!possible);
            sketched_out += usize::from(!sketched);
        }
        assert!(
            found > 100 && ruled_out > 1000 && sketched_out > 1000,
            "{found} found, {ruled_out} ruled out by the values, {sketched_out} by the sketch"
        );
    }
}
