//! Web: where a visitor came from and which page they were on, without anything a URL can smuggle.
//!
//! * `$referrer` / `$referring_domain` → `referrer_domain` (the host only) and `referrer_type`: `direct`,
//!   `search`, `social`, `email`, `internal` (the page's own host or a configured internal domain) or `other`;
//! * `$current_url` → `url_path`: the path only, no query string or fragment, and path segments that look like
//!   ids, emails or tokens replaced by `:id` (`/orgs/org-4f9a2c/members` → `/orgs/:id/members`);
//! * `utm_source`, `utm_medium`, `utm_campaign` → their own columns (scanned like any text);
//! * `$initial_referrer`, `$initial_referring_domain`, `$search_engine`, `mp_keyword`, `$pathname` are dropped
//!   (they repeat the first visit's referrer, or carry search terms and paths).

use privet_config::PolicyConfig;
use url::Url;

use super::Working;

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

/// Applies the web transform to an event.
pub fn apply(w: &mut Working, policy: &PolicyConfig) {
    let referrer = w.take_text("$referrer");
    let referring_domain = w.take_text("$referring_domain");
    for key in [
        "$initial_referrer",
        "$initial_referring_domain",
        "$search_engine",
        "mp_keyword",
        "$pathname",
    ] {
        w.props.remove(key);
    }
    let current = w.take_text("$current_url");
    // mixpanel-browser's page views also carry the page's URL in parts: the query string (which may hold
    // emails and tokens) goes, the path becomes `url_path` like `$current_url`'s.
    let path_part = w.take_text("current_url_path");
    for key in ["current_url_search", "current_url_protocol"] {
        w.props.remove(key);
    }
    let page = current.as_deref().and_then(|u| Url::parse(u.trim()).ok());
    let page_host = page.as_ref().and_then(url_host);
    w.dims.url_path = page.as_ref().map(url_path).or_else(|| {
        path_part
            .as_deref()
            .and_then(|p| path(&format!("http://x/{}", p.trim_start_matches('/'))))
    });
    w.dims.utm_source = w.take_text("utm_source");
    w.dims.utm_medium = w.take_text("utm_medium");
    w.dims.utm_campaign = w.take_text("utm_campaign");
    for key in [
        "utm_term",
        "utm_content",
        "utm_id",
        "gclid",
        "fbclid",
        "msclkid",
        "dclid",
        "ttclid",
    ] {
        w.props.remove(key);
    }
    let referrer_host = referrer
        .as_deref()
        .filter(|r| *r != "$direct")
        .and_then(host)
        .or_else(|| {
            referring_domain
                .as_deref()
                .filter(|r| *r != "$direct")
                .and_then(bare_host)
        });
    w.dims.referrer_type = Some(
        classify(
            referrer_host.as_deref(),
            page_host.as_deref(),
            w.dims.utm_medium.as_deref(),
            policy,
        )
        .to_string(),
    );
    w.dims.referrer_domain = referrer_host;
}

/// The kind of referrer.
pub fn classify(
    referrer: Option<&str>,
    page: Option<&str>,
    utm_medium: Option<&str>,
    policy: &PolicyConfig,
) -> &'static str {
    if utm_medium
        .is_some_and(|m| m.eq_ignore_ascii_case("email") || m.eq_ignore_ascii_case("newsletter"))
    {
        return "email";
    }
    let Some(referrer) = referrer else {
        return "direct";
    };
    // Does the host, or one of its parent domains, match? ("google." matches google.com, www.google.co.uk.)
    let matches = |list: &[&str]| {
        list.iter().any(|pattern| {
            let labels = referrer.match_indices('.').map(|(i, _)| i + 1);
            std::iter::once(0).chain(labels).any(|start| {
                let rest = &referrer[start..];
                if pattern.ends_with('.') {
                    rest.starts_with(pattern)
                } else {
                    rest == *pattern
                }
            })
        })
    };
    let internal = page.is_some_and(|p| same_site(p, referrer))
        || policy
            .internal_domains
            .iter()
            .any(|d| same_site(&d.to_ascii_lowercase(), referrer));
    if internal {
        "internal"
    } else if matches(EMAIL) {
        "email"
    } else if matches(SEARCH) {
        "search"
    } else if matches(SOCIAL) {
        "social"
    } else {
        "other"
    }
}

fn same_site(a: &str, b: &str) -> bool {
    let a = a.trim_start_matches("www.");
    let b = b.trim_start_matches("www.");
    a == b || (b.len() > a.len() && b.ends_with(a) && b.as_bytes()[b.len() - a.len() - 1] == b'.')
}

/// The host of a URL, lower-cased.
pub fn host(url: &str) -> Option<String> {
    url_host(&Url::parse(url.trim()).ok()?)
}

fn url_host(url: &Url) -> Option<String> {
    url.host_str().map(|h| h.to_ascii_lowercase())
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
    Some(url_path(&Url::parse(url.trim()).ok()?))
}

fn url_path(url: &Url) -> String {
    let mut out = String::with_capacity(url.path().len());
    for (i, segment) in url.path().split('/').enumerate() {
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
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let letters = s.chars().filter(char::is_ascii_alphabetic).count();
    if digits == s.len() {
        return true;
    }
    let hex = s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
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
        for (url, expected) in cases {
            assert_eq!(path(url).as_deref(), Some(expected), "{url}");
        }
    }

    #[test]
    fn referrers_are_classified() {
        let policy = PolicyConfig {
            internal_domains: vec!["docs.example.com".into()],
            ..Default::default()
        };
        let page = Some("app.example.com");
        let kind = |r: Option<&str>, m: Option<&str>| classify(r, page, m, &policy);
        assert_eq!(kind(None, None), "direct");
        assert_eq!(kind(Some("www.google.co.uk"), None), "search");
        assert_eq!(kind(Some("duckduckgo.com"), None), "search");
        assert_eq!(kind(Some("t.co"), None), "social");
        assert_eq!(kind(Some("news.ycombinator.com"), None), "social");
        assert_eq!(kind(Some("mail.google.com"), None), "email");
        assert_eq!(kind(Some("app.example.com"), None), "internal");
        assert_eq!(kind(Some("docs.example.com"), None), "internal");
        assert_eq!(kind(Some("blog.somebody.dev"), None), "other");
        assert_eq!(kind(Some("blog.somebody.dev"), Some("email")), "email");
        assert_eq!(kind(Some("notgoogle.com"), None), "other");
    }
}
