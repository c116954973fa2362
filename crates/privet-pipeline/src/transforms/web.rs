//! Web: where a visitor came from and which page they were on, without anything a URL can smuggle.
//!
//! * `$referrer` / `$referring_domain` → `referrer_domain` (the host only) and `referrer_type`: `direct`,
//!   `search`, `social`, `email`, `internal` (the page's own host or a configured internal domain) or `other`;
//! * `$current_url` → `url_path`: the path only, no query string or fragment, and path segments that look like
//!   ids, emails or tokens replaced by `:id` (`/orgs/org-4f9a2c/members` → `/orgs/:id/members`);
//! * `utm_source`, `utm_medium`, `utm_campaign` → their own columns (scanned like any text);
//! * `$initial_referrer`, `$initial_referring_domain`, `$search_engine`, `mp_keyword`, `$pathname` are dropped
//!   (they repeat the first visit's referrer, or carry search terms and paths).

use std::borrow::Cow;
use std::sync::LazyLock;

use hashbrown::HashMap;
use privet_config::PolicyConfig;
use privet_model::Dim;
use url::Url;
use xxhash_rust::xxh3::xxh3_128_with_seed;

use super::{Field, Working};
use crate::cache::LocalCache;

/// The properties this transform consumes.
pub const FIELDS: &[(&str, Field)] = &[
    ("$referrer", Field::Referrer),
    ("$referring_domain", Field::ReferringDomain),
    ("$current_url", Field::CurrentUrl),
    ("current_url_path", Field::CurrentUrlPath),
    ("utm_source", Field::UtmSource),
    ("utm_medium", Field::UtmMedium),
    ("utm_campaign", Field::UtmCampaign),
];

/// Dropped: the first visit's referrer, search terms, paths, query strings, and ad-click ids.
pub const DROPPED: &[&str] = &[
    "$initial_referrer",
    "$initial_referring_domain",
    "$search_engine",
    "mp_keyword",
    "$pathname",
    "current_url_search",
    "current_url_protocol",
    "utm_term",
    "utm_content",
    "utm_id",
    "gclid",
    "fbclid",
    "msclkid",
    "dclid",
    "ttclid",
];

const SEARCH: &[&str] = &[
    "google.",
    "bing.com",
    "duckduckgo.com",
    "yahoo.",
    "baidu.com",
    "yandex.",
    "ecosia.org",
    "search.brave.com",
    "startpage.com",
    "qwant.com",
    "naver.com",
    "kagi.com",
    "perplexity.ai",
];
const SOCIAL: &[&str] = &[
    "facebook.com",
    "fb.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "t.co",
    "linkedin.com",
    "lnkd.in",
    "reddit.com",
    "news.ycombinator.com",
    "youtube.com",
    "tiktok.com",
    "pinterest.",
    "threads.net",
    "bsky.app",
    "mastodon.",
    "discord.com",
    "slack.com",
    "telegram.org",
    "t.me",
    "whatsapp.com",
];
const EMAIL: &[&str] = &[
    "mail.google.com",
    "outlook.live.com",
    "outlook.office.com",
    "outlook.office365.com",
    "mail.yahoo.com",
    "mail.proton.me",
    "mail.aol.com",
    "webmail.",
    "mail.zoho.com",
    "fastmail.com",
    "icloud.com",
];

/// What a URL is reduced to: its lower-cased host and its path without ids (no query string or fragment).
#[derive(Clone, Debug, PartialEq)]
pub struct Reduced {
    pub host: Dim,
    pub path: Dim,
    /// The kind of site the host is, as a referrer (found once, with the cached URL).
    site: Option<Kind>,
}

/// A cache of reduced URLs, keyed by what comes before the query string and fragment (the only part the result
/// depends on): a product's pages and referrers repeat, and reducing one costs more than looking it up. Each
/// thread has its own (see [`LocalCache`]).
///
/// The key is a 128-bit hash of that part under a random per-process seed, so no URL (whose path may hold an
/// email or an id) stays in memory; only its reduced, id-free form does.
pub struct Urls {
    seed: u64,
    cache: LocalCache<u128, Option<Reduced>>,
}

impl Default for Urls {
    fn default() -> Self {
        Urls {
            seed: rand::random(),
            cache: LocalCache::new(URL_CACHE),
        }
    }
}

/// Entries in all threads (about 80 bytes each).
const URL_CACHE: usize = 50_000;
/// Longer URLs are reduced every time: 50,000 entries of a few hundred bytes stay small, of 64 KB would not.
const CACHED_KEY_BYTES: usize = 512;

impl Urls {
    /// The host and id-free path of a URL; `None` when it is not an absolute URL with a host.
    pub fn reduce(&self, url: &str) -> Option<Reduced> {
        self.reduce_with(url, |reduced| reduced.cloned())
    }

    /// `read` of what [`Urls::reduce`] gives, without copying it out of the cache.
    pub fn reduce_with<R>(&self, url: &str, read: impl FnOnce(Option<&Reduced>) -> R) -> R {
        let url = privet_model::json::trim(url);
        // Bytes, not chars: both marks are ASCII, and a byte loop does not decode UTF-8.
        let query = url.bytes().position(|b| b == b'?' || b == b'#');
        let before_query = &url[..query.unwrap_or(url.len())];
        // The `url` crate drops trailing spaces and control characters of its whole input: kept inside by a
        // query, they change the result, so such URLs are not cached.
        let cacheable = before_query.len() <= CACHED_KEY_BYTES
            && !before_query.ends_with(|c: char| c.is_whitespace() || c.is_control());
        let key = xxh3_128_with_seed(before_query.as_bytes(), self.seed);
        let mut read = Some(read);
        let mut once = |reduced: Option<&Reduced>| (read.take().expect("read once"))(reduced);
        if cacheable && let Some(hit) = self.cache.with(&key, |hit| hit.map(|h| once(h.as_ref()))) {
            return hit;
        }
        let reduced = parts(url).map(|(host, path)| Reduced {
            site: site_kind(&host),
            host: Dim::from(&*host),
            path: Dim::from(id_free(&path)),
        });
        let result = once(reduced.as_ref());
        if cacheable {
            self.cache.insert(key, reduced);
        }
        result
    }
}

/// Applies the web transform to an event.
pub fn apply(w: &mut Working, policy: &PolicyConfig, urls: &Urls) {
    let referrer = w.take_text(Field::Referrer);
    let referring_domain = w.take_text(Field::ReferringDomain);
    let current = w.take_text(Field::CurrentUrl);
    // mixpanel-browser's page views also carry the page's URL in parts: the query string (which may hold
    // emails and tokens) goes, the path becomes `url_path` like `$current_url`'s.
    let path_part = w.take_text(Field::CurrentUrlPath);
    let (page_host, page_path) = match current.as_deref().and_then(|u| urls.reduce(u)) {
        Some(page) => (Some(page.host), Some(page.path)),
        None => (None, None),
    };
    let page_host = page_host.as_deref();
    w.dims.url_path = page_path.or_else(|| {
        path_part
            .as_deref()
            .and_then(|p| path(&format!("http://x/{}", p.trim_start_matches('/'))))
            .map(Dim::from)
    });
    w.dims.utm_source = w.take_dim(Field::UtmSource);
    w.dims.utm_medium = w.take_dim(Field::UtmMedium);
    w.dims.utm_campaign = w.take_dim(Field::UtmCampaign);
    let referrer_host = referrer
        .as_deref()
        .filter(|r| *r != "$direct")
        .and_then(|r| urls.reduce_with(r, |r| r.map(|r| (r.host.clone(), r.site))))
        .or_else(|| {
            referring_domain
                .as_deref()
                .filter(|r| *r != "$direct")
                .and_then(bare_host)
                .map(|host| (Dim::from(&*host), site_kind(&host)))
        });
    w.dims.referrer_type = Some(
        classify(
            referrer_host.as_ref().map(|(host, site)| (&**host, *site)),
            page_host,
            w.dims.utm_medium.as_deref(),
            policy,
        )
        .into(),
    );
    w.dims.referrer_domain = referrer_host.map(|(host, _)| host);
}

/// The kind of referrer, from its host and the kind of site it is ([`site_kind`]).
fn classify(
    referrer: Option<(&str, Option<Kind>)>,
    page: Option<&str>,
    utm_medium: Option<&str>,
    policy: &PolicyConfig,
) -> &'static str {
    if utm_medium
        .is_some_and(|m| m.eq_ignore_ascii_case("email") || m.eq_ignore_ascii_case("newsletter"))
    {
        return "email";
    }
    let Some((referrer, site)) = referrer else {
        return "direct";
    };
    let internal = page.is_some_and(|p| same_site(p, referrer))
        || policy
            .internal_domains
            .iter()
            .any(|d| same_site(d, referrer));
    if internal {
        return "internal";
    }
    match site {
        Some(Kind::Email) => "email",
        Some(Kind::Search) => "search",
        Some(Kind::Social) => "social",
        None => "other",
    }
}

/// The kind of site a (lower-cased) host is on the referrer lists: does the host, or one of its parent domains,
/// match? ("google." matches google.com, www.google.co.uk.) The most specific kind wins: email before search
/// before social.
fn site_kind(host: &str) -> Option<Kind> {
    let mut best: Option<Kind> = None;
    let starts = std::iter::once(0).chain(host.match_indices('.').map(|(i, _)| i + 1));
    for start in starts {
        let rest = &host[start..];
        let label = rest.split('.').next().unwrap_or(rest);
        let found = [
            KNOWN.exact.get(rest),
            rest.len()
                .gt(&label.len())
                .then(|| KNOWN.prefixes.get(label))
                .flatten(),
        ];
        for kind in found.into_iter().flatten() {
            best = Some(best.map_or(*kind, |b| b.min(*kind)));
        }
        if best == Some(Kind::Email) {
            break;
        }
    }
    best
}

/// Referrer kinds, most specific first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Email,
    Search,
    Social,
}

/// The referrer lists as lookup tables: whole domains, and first labels (`google.`).
struct Known {
    exact: HashMap<&'static str, Kind>,
    prefixes: HashMap<&'static str, Kind>,
}

static KNOWN: LazyLock<Known> = LazyLock::new(|| {
    let mut known = Known {
        exact: HashMap::new(),
        prefixes: HashMap::new(),
    };
    // Least specific first, so that a domain on two lists keeps the more specific kind.
    for (list, kind) in [
        (SOCIAL, Kind::Social),
        (SEARCH, Kind::Search),
        (EMAIL, Kind::Email),
    ] {
        for pattern in list {
            match pattern.strip_suffix('.') {
                Some(label) => known.prefixes.insert(label, kind),
                None => known.exact.insert(pattern, kind),
            };
        }
    }
    known
});

/// Whether host `b` is `a` or one of its subdomains, `www.` aside, ignoring ASCII case (a configured internal
/// domain may be spelled in capitals; hosts from URLs are lower-cased).
fn same_site(a: &str, b: &str) -> bool {
    let (a, b) = (without_www(a.as_bytes()), without_www(b.as_bytes()));
    match b.len().checked_sub(a.len()) {
        Some(0) => a.eq_ignore_ascii_case(b),
        Some(dot) => b[dot - 1] == b'.' && b[dot..].eq_ignore_ascii_case(a),
        None => false,
    }
}

fn without_www(mut host: &[u8]) -> &[u8] {
    while host.len() >= 4 && host[..4].eq_ignore_ascii_case(b"www.") {
        host = &host[4..];
    }
    host
}

fn bare_host(domain: &str) -> Option<String> {
    let domain = domain.trim().to_ascii_lowercase();
    let valid = !domain.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':');
    valid.then_some(domain)
}

/// The path of a URL, without query string or fragment, with id-like segments replaced by `:id`.
pub fn path(url: &str) -> Option<String> {
    parts(url.trim()).map(|(_, path)| id_free(&path))
}

/// A URL's lower-cased host and its path (without query string or fragment), as the `url` crate reads them.
///
/// Plain `http(s)://host[:port]/path` URLs, nearly all of them, are split in place; anything the `url` crate
/// would rewrite (user info, IP addresses, percent-encoded or non-ASCII hosts, dot segments, characters it
/// escapes) is handed to it.
fn parts(url: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    simple_parts(url).or_else(|| {
        let parsed = Url::parse(url).ok()?;
        let host = parsed.host_str()?.to_ascii_lowercase();
        Some((Cow::Owned(host), Cow::Owned(parsed.path().to_string())))
    })
}

fn simple_parts(url: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    let host = match authority.split_once(':') {
        Some((host, port))
            if port.bytes().all(|b| b.is_ascii_digit())
                && (port.is_empty() || port.parse::<u16>().is_ok()) =>
        {
            host
        }
        Some(_) => return None,
        None => authority,
    };
    let plain_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        // A numeric last label may be an IP address in a form the `url` crate normalises.
        && !host
            .rsplit('.')
            .next()
            .is_some_and(|label| label.bytes().next().is_some_and(|b| b.is_ascii_digit()));
    if !plain_host {
        return None;
    }
    let path_end = after
        .bytes()
        .position(|b| matches!(b, b'?' | b'#'))
        .unwrap_or(after.len());
    let path = &after[..path_end];
    let plain_path = path.bytes().all(|b| PATH_BYTES[b as usize])
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..");
    if !plain_path {
        return None;
    }
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    };
    let path = if path.is_empty() { "/" } else { path };
    Some((host, Cow::Borrowed(path)))
}

/// The bytes a path may hold without the `url` crate rewriting it: letters, digits and `-._~!$&'()*+,;=:@/%`.
const PATH_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let punctuation = b"-._~!$&'()*+,;=:@/%";
    let mut i = 0;
    while i < punctuation.len() {
        table[punctuation[i] as usize] = true;
        i += 1;
    }
    table
};

/// A path with id-like segments replaced by `:id`.
fn id_free(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(if looks_like_id(segment) {
            ":id"
        } else {
            segment
        });
    }
    out
}

/// Numbers, UUIDs, hex strings, emails, and long or mixed letter-digit tokens look like ids; words, slugs and
/// short version-like segments (`v1`, `2fa`) do not.
pub fn looks_like_id(segment: &str) -> bool {
    let decoded;
    let s = if segment.contains('%') {
        decoded = percent_decoded(segment);
        decoded.as_str()
    } else {
        segment
    };
    if s.is_empty() {
        return false;
    }
    if s.contains('@') {
        return true;
    }
    let (mut digits, mut letters, mut hex) = (0, 0, true);
    for b in s.bytes() {
        digits += usize::from(b.is_ascii_digit());
        letters += usize::from(b.is_ascii_alphabetic());
        hex &= b.is_ascii_hexdigit() || b == b'-';
    }
    if digits == s.len() {
        return true;
    }
    if hex && digits > 0 && s.len() >= 8 {
        return true;
    }
    if s.len() >= 24 && !s.contains('-') || s.len() >= 40 {
        return true; // tokens, keys, base64
    }
    // Prefixed ids: org-4f9a2c, inv_93kd02, user-12.
    digits >= 2 && letters > 0 && s.len() >= 5
}

fn percent_decoded(segment: &str) -> String {
    url::form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_ids_queries_and_fragments() {
        let cases = [
            (
                "https://app.example.com/settings/organization/org-4f9a2c/members?tab=1#x",
                "/settings/organization/:id/members",
            ),
            (
                "https://app.example.com/users/12345/edit",
                "/users/:id/edit",
            ),
            (
                "https://app.example.com/invite/ada%40example.com",
                "/invite/:id",
            ),
            (
                "https://app.example.com/r/550e8400-e29b-41d4-a716-446655440000",
                "/r/:id",
            ),
            (
                "https://app.example.com/reset/eyJhbGciOiJIUzI1NiJ9abcdefghij",
                "/reset/:id",
            ),
            (
                "https://app.example.com/billing/invoices/inv_93kd02",
                "/billing/invoices/:id",
            ),
            (
                "https://app.example.com/docs/v1/quick-start",
                "/docs/v1/quick-start",
            ),
            ("https://app.example.com/settings/2fa", "/settings/2fa"),
            ("https://app.example.com/", "/"),
        ];
        let urls = Urls::default();
        for (url, expected) in cases {
            assert_eq!(path(url).as_deref(), Some(expected), "{url}");
            assert_eq!(urls.reduce(url).unwrap().path.as_str(), expected, "{url}");
        }
    }

    #[test]
    fn reduced_urls_are_cached_by_what_precedes_the_query() {
        let urls = Urls::default();
        let a = urls
            .reduce(" https://App.example.com/users/12345/edit?email=ada@example.com ")
            .unwrap();
        assert_eq!((&*a.host, &*a.path), ("app.example.com", "/users/:id/edit"));
        let b = urls
            .reduce("https://App.example.com/users/12345/edit#token=abc")
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(urls.cache.len(), 1, "one entry serves both");
        assert!(urls.reduce("not a url?x=1").is_none());
        let long = format!("https://example.com/{}", "a".repeat(CACHED_KEY_BYTES));
        assert_eq!(urls.reduce(&long).unwrap().host.as_str(), "example.com");
        assert_eq!(urls.cache.len(), 2, "long URLs are not kept");
        // The `url` crate keeps a space that a query string follows, and drops one that ends the URL.
        let spaced = urls.reduce("http://host/a ?x").unwrap();
        assert_eq!(spaced.path.as_str(), "/a%20");
        assert_eq!(urls.reduce("http://host/a ").unwrap().path.as_str(), "/a");
        assert!(
            urls.reduce("http://host ?x").is_none(),
            "as the url crate reads it"
        );
        assert_eq!(urls.cache.len(), 3, "only the plain one is kept");
    }

    #[test]
    fn plain_urls_are_split_as_the_url_crate_splits_them() {
        for url in [
            "https://platform.example.com/usage?from=2026-11-01#top",
            "http://Example.COM:8080/a/b/",
            "https://example.com",
            "https://example.com?x=1",
            "https://example.com/a%20b/c;d=1",
            "https://user:pw@example.com/x",
            "https://192.168.0.1/x",
            "https://[::1]/x",
            "https://example.com/a/../b/./c",
            "https://example.com/a b",
            "https://ex%41mple.com/",
            "https://bücher.example/x",
            "https://example.com/ü",
            "https://example.com:99999/x",
        ] {
            let parsed = Url::parse(url).ok();
            let expected = parsed
                .as_ref()
                .and_then(|u| Some((u.host_str()?.to_ascii_lowercase(), u.path().to_string())));
            let got = parts(url).map(|(h, p)| (h.into_owned(), p.into_owned()));
            assert_eq!(got, expected, "{url}");
        }
        assert!(simple_parts("https://platform.example.com/usage?x").is_some());
        assert!(simple_parts("https://192.168.0.1/x").is_none());
    }

    #[test]
    fn referrers_are_classified() {
        let policy = PolicyConfig {
            internal_domains: vec!["Docs.Example.COM".into()],
            ..Default::default()
        };
        let page = Some("app.example.com");
        let kind = |r: Option<&str>, m: Option<&str>| {
            classify(r.map(|r| (r, site_kind(r))), page, m, &policy)
        };
        assert_eq!(kind(None, None), "direct");
        assert_eq!(kind(Some("www.google.co.uk"), None), "search");
        assert_eq!(kind(Some("duckduckgo.com"), None), "search");
        assert_eq!(kind(Some("t.co"), None), "social");
        assert_eq!(kind(Some("news.ycombinator.com"), None), "social");
        assert_eq!(kind(Some("mail.google.com"), None), "email");
        assert_eq!(kind(Some("app.example.com"), None), "internal");
        assert_eq!(kind(Some("docs.example.com"), None), "internal");
        assert_eq!(kind(Some("www.docs.example.com"), None), "internal");
        assert_eq!(kind(Some("api.docs.example.com"), None), "internal");
        assert_eq!(kind(Some("notdocs.example.com"), None), "other");
        assert_eq!(kind(Some("example.com"), None), "other");
        assert_eq!(kind(Some("blog.somebody.dev"), None), "other");
        assert_eq!(kind(Some("blog.somebody.dev"), Some("email")), "email");
        assert_eq!(kind(Some("notgoogle.com"), None), "other");
        assert_eq!(
            kind(Some("google"), None),
            "other",
            "a prefix needs a domain after it"
        );
        assert_eq!(
            kind(Some("mail.google.com"), None),
            "email",
            "email before search"
        );
        assert_eq!(kind(Some("old.reddit.com"), None), "social");
    }
}
