//! Where visits come from and which pages they land on: referrers (search engines with the query in the URL,
//! social links, Hacker News, GitHub, newsletters and invitations with `utm_*` parameters, direct visits) and the
//! dashboard's URLs with organisation ids and query strings, as `mixpanel-browser` reports them. The privacy
//! pipeline keeps only the referrer's host and the URL's path with ids replaced by `:id`.

use rand::Rng;

use crate::random::pick;

/// The dashboard's origin.
pub const ORIGIN: &str = "https://platform.example.com";

/// How a session started: the referrer, if any, and a campaign's `utm_source`, `utm_medium`, `utm_campaign`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    pub referrer: Option<String>,
    pub utm: Option<[&'static str; 3]>,
}

const SEARCHES: &[&str] = &[
    "llm+api+pricing",
    "embeddings+api+python",
    "openai+compatible+api",
    "text+to+speech+api",
    "api+rate+limits+per+minute",
    "vector+search+api",
    "stream+chat+completions+node",
    "fine+tuning+api+cost",
    "cheap+gpu+inference+api",
];

const CAMPAIGNS: &[&str] = &[
    "launch-week",
    "november-digest",
    "agents-webinar",
    "pricing-update",
];

/// How the first visit of someone who signs up on their own came about.
pub fn acquisition(rng: &mut impl Rng) -> Source {
    let kind = *pick(
        rng,
        &[
            ("google", 34),
            ("direct", 22),
            ("newsletter", 10),
            ("twitter", 8),
            ("hn", 6),
            ("github", 6),
            ("bing", 4),
            ("duckduckgo", 3),
            ("reddit", 3),
            ("linkedin", 4),
        ],
    );
    match kind {
        "google" => Source {
            referrer: search(rng, "www.google.com"),
            utm: None,
        },
        "bing" => Source {
            referrer: search(rng, "www.bing.com"),
            utm: None,
        },
        "duckduckgo" => Source {
            referrer: Some("https://duckduckgo.com/".to_string()),
            utm: None,
        },
        "newsletter" => Source {
            referrer: None,
            utm: Some([
                "newsletter",
                "email",
                CAMPAIGNS[rng.random_range(0..CAMPAIGNS.len())],
            ]),
        },
        "twitter" => Source {
            referrer: Some(format!("https://t.co/{}", token(rng, 10))),
            utm: rng
                .random_bool(0.5)
                .then_some(["twitter", "social", "launch-week"]),
        },
        "hn" => Source {
            referrer: Some(format!(
                "https://news.ycombinator.com/item?id={}",
                rng.random_range(45_000_000..46_000_000)
            )),
            utm: None,
        },
        "github" => Source {
            referrer: Some("https://github.com/platform-example/sdk-python".to_string()),
            utm: None,
        },
        "reddit" => Source {
            referrer: Some(format!(
                "https://www.reddit.com/r/LocalLLaMA/comments/{}/",
                token(rng, 7)
            )),
            utm: None,
        },
        "linkedin" => Source {
            referrer: Some("https://www.linkedin.com/".to_string()),
            utm: Some(["linkedin", "social", "agents-webinar"]),
        },
        _ => Source::default(),
    }
}

fn search(rng: &mut impl Rng, engine: &str) -> Option<String> {
    let q = SEARCHES[rng.random_range(0..SEARCHES.len())];
    Some(format!("https://{engine}/search?q={q}"))
}

/// The first visit of someone a colleague invited: the invitation email.
pub fn invitation(rng: &mut impl Rng) -> Source {
    if rng.random_bool(0.5) {
        Source {
            referrer: Some("https://mail.google.com/".to_string()),
            utm: None,
        }
    } else {
        Source {
            referrer: None,
            utm: Some(["invite", "email", "team-invite"]),
        }
    }
}

/// How a later session started: mostly a bookmark or a typed URL.
pub fn returning(rng: &mut impl Rng) -> Source {
    let referrer = match rng.random_range(0..100) {
        0..75 => None,
        75..87 => Some(format!(
            "https://www.google.com/search?q={}",
            SEARCHES[rng.random_range(0..SEARCHES.len())]
        )),
        87..95 => Some(format!("{ORIGIN}/docs/quickstart")),
        _ => Some("https://mail.google.com/".to_string()),
    };
    Source {
        referrer,
        utm: None,
    }
}

const DOCS: &[&str] = &[
    "quickstart",
    "authentication",
    "rate-limits",
    "streaming",
    "embeddings",
    "errors",
    "sdks/python",
    "sdks/node",
    "pricing",
    "webhooks",
];

/// A documentation page.
pub fn docs(rng: &mut impl Rng) -> String {
    let page = DOCS[rng.random_range(0..DOCS.len())];
    if rng.random_bool(0.3) {
        format!("{ORIGIN}/docs/{page}#example")
    } else {
        format!("{ORIGIN}/docs/{page}")
    }
}

/// A dashboard page of an organisation.
pub fn dashboard(rng: &mut impl Rng, org: &str) -> String {
    match rng.random_range(0..10) {
        0..6 => format!("{ORIGIN}/org/{org}/dashboard?range=7d"),
        6..9 => format!("{ORIGIN}/org/{org}/usage?range=30d&group=model"),
        _ => format!("{ORIGIN}/org/{org}/logs?status=error"),
    }
}

/// Random lower-case letters and digits.
pub fn token(rng: &mut (impl Rng + ?Sized), len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
