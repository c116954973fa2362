//! Client: operating system, browser and device, reduced to families and major versions.
//!
//! Browser SDKs report `$os`, `$browser`, `$browser_version` and `$device` themselves; server-side senders may
//! pass a user agent (`$user_agent`, `user_agent`), which is parsed with `woothee` (results cached: user agents
//! repeat) and then dropped, since a full user-agent string is a fingerprint. The request's own `User-Agent`
//! header is used only when the event carries no client facts and the header names a real browser (not an SDK's
//! HTTP library).
//!
//! The combination (OS, OS major, browser, browser major, device type) is shown only once it is published (stored
//! for at least `k` distinct people; `privet_model::withheld`); otherwise the versions are held back, and if the
//! families alone are not published either, OS and browser are too. What is held back travels sealed beside the
//! event until the store publishes it.

use privet_model::Dim;
use privet_model::withheld::{self, Dimension};

use super::{Field, Working};
use crate::EventContext;
use crate::cache::LocalCache;

/// The properties this transform consumes.
pub const FIELDS: &[(&str, Field)] = &[
    ("$user_agent", Field::UserAgent),
    ("user_agent", Field::UserAgentPlain),
    ("$ua", Field::Ua),
    ("userAgent", Field::UserAgentCamel),
    ("$os", Field::Os),
    ("$os_version", Field::OsVersion),
    ("$browser", Field::Browser),
    ("$browser_version", Field::BrowserVersion),
    ("$device_type", Field::DeviceType),
    ("$device", Field::Device),
    ("mp_lib", Field::Lib),
];

/// `$model`, `$manufacturer`, `$brand`, `$carrier` and screen sizes narrow a device down to a few people.
pub const DROPPED: &[&str] = &[
    "$model",
    "$manufacturer",
    "$brand",
    "$carrier",
    "$screen_dpi",
    "$wifi",
    "$radio",
];

/// What a profile update may not say about its person's client: versions, user agents and device details narrow a
/// person down, and profiles are not counted towards `k` (the families `$os` and `$browser` stay).
pub const PROFILE_DROPPED: &[&str] = &[
    "$os_version",
    "$browser_version",
    "$user_agent",
    "user_agent",
    "$ua",
    "userAgent",
    "$model",
    "$manufacturer",
    "$brand",
    "$carrier",
    "$screen_dpi",
    "$screen_height",
    "$screen_width",
    "$wifi",
    "$radio",
];

/// Where a user agent may be given, most specific first.
const USER_AGENTS: [Field; 4] = [
    Field::UserAgent,
    Field::UserAgentPlain,
    Field::Ua,
    Field::UserAgentCamel,
];

/// OS, browser and device of a user agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    pub os: Option<Dim>,
    pub os_version: Option<Dim>,
    pub browser: Option<Dim>,
    pub browser_version: Option<Dim>,
    pub device_type: Option<Dim>,
}

/// A cache of parsed user agents ([`LocalCache`]: per thread).
pub struct UserAgents {
    cache: LocalCache<String, Client>,
}

impl Default for UserAgents {
    fn default() -> Self {
        UserAgents {
            cache: LocalCache::new(UA_CACHE),
        }
    }
}

/// Entries in all threads (a few hundred bytes each); a product sees a few thousand distinct agents a day.
const UA_CACHE: usize = 50_000;
/// Real user agents are a few hundred bytes; longer ones are parsed every time (50,000 entries of 64 KB would not
/// be small).
const CACHED_UA_BYTES: usize = 1024;

impl UserAgents {
    /// Parses a user agent; `None` for crawlers and unknown agents (HTTP libraries, SDKs).
    pub fn parse(&self, ua: &str) -> Option<Client> {
        let client = match self.cache.get(ua) {
            Some(hit) => hit,
            None => {
                let client = parse(ua);
                if ua.len() <= CACHED_UA_BYTES {
                    self.cache.insert(ua.to_string(), client.clone());
                }
                client
            }
        };
        (client.browser.is_some() || client.os.is_some()).then_some(client)
    }
}

fn parse(ua: &str) -> Client {
    let Some(result) = woothee::parser::Parser::new().parse(ua) else {
        return Client::default();
    };
    let known =
        |s: &str| (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_string());
    let device_type = match result.category {
        "pc" => Some("desktop".to_string()),
        "smartphone" => Some(
            if ua.contains("iPad") || ua.contains("Tablet") {
                "tablet"
            } else {
                "mobile"
            }
            .to_string(),
        ),
        "mobilephone" => Some("mobile".to_string()),
        "appliance" => Some("appliance".to_string()),
        _ => None,
    };
    if result.category == "crawler" {
        return Client::default();
    }
    Client {
        os: known(result.os).map(Dim::from),
        os_version: known(&result.os_version).map(|v| major(&v).into()),
        browser: known(result.name).map(Dim::from),
        browser_version: known(result.version).map(|v| major(&v).into()),
        device_type: device_type.map(Dim::from),
    }
}

/// Applies the client transform to an event; returns whether part of the combination was held back.
pub fn apply(
    w: &mut Working,
    ctx: &EventContext,
    agents: &UserAgents,
    published: &dyn Fn(Dimension, &str) -> bool,
) -> bool {
    let property_ua = USER_AGENTS
        .into_iter()
        .filter_map(|field| w.take(field))
        .find_map(|value| value.as_str());
    let mut client = Client {
        os: w.take_dim(Field::Os),
        os_version: w.take_text(Field::OsVersion).map(|v| major(&v).into()),
        browser: w.take_dim(Field::Browser),
        browser_version: w.take_text(Field::BrowserVersion).map(|v| major(&v).into()),
        device_type: w
            .take_text(Field::DeviceType)
            .or_else(|| w.take_text(Field::Device))
            .map(|d| {
                let mut d = Dim::from(&*d);
                d.make_ascii_lowercase();
                d
            }),
    };
    let reported = client.os.is_some() || client.browser.is_some();
    if !reported || client.device_type.is_none() {
        let parsed = property_ua
            .as_deref()
            .or(ctx.user_agent.as_deref())
            .and_then(|ua| agents.parse(ua));
        match parsed {
            // Browser SDKs report OS and browser but, on desktops, no device: the user agent says which.
            Some(parsed) if reported => client.device_type = parsed.device_type,
            Some(parsed) => client = parsed,
            None => {}
        }
    }
    w.dims.lib = w.take_dim(Field::Lib);
    w.dims.os = client.os;
    w.dims.os_version = client.os_version;
    w.dims.browser = client.browser;
    w.dims.browser_version = client.browser_version;
    w.dims.device_type = client.device_type;
    withheld::withhold_client(&mut w.dims, &mut w.withheld, published);
    let held = &w.withheld;
    held.os.is_some()
        || held.browser.is_some()
        || held.os_version.is_some()
        || held.browser_version.is_some()
}

/// The major part of a version ("120.0.6099" → "120").
pub fn major(version: &str) -> &str {
    version.split(['.', '_', ' ']).next().unwrap_or(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

    #[test]
    fn user_agents_become_families_and_major_versions() {
        let agents = UserAgents::default();
        let chrome = agents.parse(CHROME_MAC).unwrap();
        assert_eq!(chrome.os.as_deref(), Some("Mac OSX"));
        assert_eq!(chrome.browser.as_deref(), Some("Chrome"));
        assert_eq!(chrome.browser_version.as_deref(), Some("142"));
        assert_eq!(chrome.device_type.as_deref(), Some("desktop"));
        let iphone = agents.parse(SAFARI_IPHONE).unwrap();
        assert_eq!(iphone.os.as_deref(), Some("iPhone"));
        assert_eq!(iphone.device_type.as_deref(), Some("mobile"));
        assert!(agents.parse("python-requests/2.32.3").is_none());
        assert!(
            agents
                .parse("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
                .is_none()
        );
        assert_eq!(agents.parse(CHROME_MAC), Some(chrome.clone()), "cached");
        let cached = agents.cache.len();
        let long = format!("{CHROME_MAC} {}", "x".repeat(CACHED_UA_BYTES));
        assert_eq!(agents.parse(&long).unwrap().browser, chrome.browser);
        assert_eq!(agents.cache.len(), cached, "a long agent is not kept");
    }

    #[test]
    fn rare_combinations_lose_versions_then_families() {
        let linux = |version: &str, published: &[&str]| {
            let raw = privet_model::RawEvent::from_json(
                "x",
                0,
                None,
                &serde_json::json!({"$os": "Linux", "$browser": "Firefox", "$browser_version": version, "$device_type": "desktop"}),
            );
            let properties = raw.properties.clone();
            let policy = privet_config::PolicyConfig::default();
            let roles = crate::transforms::Roles::new(&policy);
            let mut w = Working::new(raw, &properties, &roles);
            let held = apply(
                &mut w,
                &EventContext::default(),
                &UserAgents::default(),
                &|_, key| published.contains(&key),
            );
            (held, w.dims, w.withheld)
        };
        let (held, dims, withheld) = linux("145.0.1", &[]);
        assert!(held);
        assert_eq!((dims.os, dims.browser), (None, None));
        assert_eq!(dims.device_type.as_deref(), Some("desktop"));
        assert_eq!(withheld.browser.as_deref(), Some("Firefox"));
        assert_eq!(withheld.browser_version.as_deref(), Some("145"));
        let family = "Linux|Firefox|desktop";
        let (held, dims, withheld) = linux("146", &[family]);
        assert!(held);
        assert_eq!(
            dims.browser.as_deref(),
            Some("Firefox"),
            "the family is published"
        );
        assert_eq!(dims.browser_version, None, "version 146 is not");
        assert_eq!(withheld.browser_version.as_deref(), Some("146"));
        assert_eq!(withheld.browser, None);
        let (held, dims, withheld) = linux("146", &[family, "Linux||Firefox|146|desktop"]);
        assert!(!held);
        assert_eq!(dims.browser_version.as_deref(), Some("146"));
        assert!(withheld.is_empty());
    }
}
