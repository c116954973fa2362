//! Web: where a visitor came from and which page they were on, without paths, query strings or fragments that
//! could carry an email address or a token.
//!
//! * `$referrer` / `$referring_domain` → `referrer_domain` (host only);
//! * `$current_url` → `url_path` (path only);
//! * `utm_source`, `utm_medium`, `utm_campaign` → their own columns;
//! * `$initial_referrer`, `$initial_referring_domain` are dropped (they repeat the first visit's referrer).

use url::Url;

use super::Working;

/// Applies the web transform to an event.
pub fn apply(w: &mut Working) {
    let referrer = w.take_text("$referrer");
    let referring_domain = w.take_text("$referring_domain");
    w.props.remove("$initial_referrer");
    w.props.remove("$initial_referring_domain");
    w.dims.referrer_domain = referrer
        .as_deref()
        .and_then(host)
        .or_else(|| referring_domain.as_deref().and_then(bare_host));
    w.dims.url_path = w.take_text("$current_url").as_deref().and_then(path);
    w.dims.utm_source = w.take_text("utm_source");
    w.dims.utm_medium = w.take_text("utm_medium");
    w.dims.utm_campaign = w.take_text("utm_campaign");
}

/// The host of a URL, lower-cased.
pub fn host(url: &str) -> Option<String> {
    let parsed = Url::parse(url.trim()).ok()?;
    parsed.host_str().map(|h| h.to_ascii_lowercase())
}

fn bare_host(domain: &str) -> Option<String> {
    let domain = domain.trim().to_ascii_lowercase();
    let valid = !domain.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':');
    valid.then_some(domain)
}

/// The path of a URL, without query string or fragment.
pub fn path(url: &str) -> Option<String> {
    let parsed = Url::parse(url.trim()).ok()?;
    Some(parsed.path().to_string())
}
