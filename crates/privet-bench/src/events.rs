//! Realistic events for the load generator, shaped like what `mixpanel-browser` and the server-side SDKs send
//! from an API platform's dashboard: a Zipf-like mix of event names, browser and OS properties, URLs with query
//! strings, referrers, organisation ids and a few custom properties.
//!
//! Serialising JSON for 100,000 events a second would eat the CPU the server needs (both share two cores), so the
//! generator serialises a pool of event templates once and then only splices a unique `$insert_id` into each copy.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The wire format a body is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Mixpanel event objects (`{"event", "properties": {…, "token"}}`).
    Mixpanel,
    /// Privet's native records (`{"event", "time", "distinct_id", "insert_id", "properties"}`).
    Native,
}

const MARKER: &str = "@@INSERT_ID@@";

const EVENTS: &[(&str, u32)] = &[
    ("$mp_web_page_view", 40),
    ("API request", 25),
    ("Viewed usage", 8),
    ("Opened playground", 6),
    ("Created API key", 3),
    ("Invited member", 2),
    ("Signed up", 2),
    ("Upgraded plan", 1),
    ("Downloaded invoice", 1),
    ("Changed settings", 1),
];

const BROWSERS: &[(&str, &str, &str)] = &[
    ("Chrome", "Mac OS X", "142.0.0.0"),
    ("Chrome", "Windows", "142.0.0.0"),
    ("Safari", "Mac OS X", "19.1"),
    ("Firefox", "Linux", "145.0"),
    ("Edge", "Windows", "142.0.3595.65"),
    ("Mobile Safari", "iOS", "19.1"),
    ("Chrome", "Android", "142.0.7444.102"),
];

const PATHS: &[&str] = &[
    "/playground?model=large&temperature=0.7",
    "/usage?from=2026-11-01&to=2026-11-23",
    "/api-keys",
    "/settings/organization/org-4f9a2c/members",
    "/docs/quickstart#install",
    "/billing/invoices/inv_93kd02?download=1",
];

const REFERRERS: &[&str] = &[
    "",
    "https://www.google.com/search?q=llm+api+pricing",
    "https://news.ycombinator.com/item?id=45872211",
    "https://github.com/acme/sdk/blob/main/README.md",
    "https://platform.example.com/login?next=%2Fusage",
    "https://t.co/x7Yh2k",
];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.3595.65",
    "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
];

const NOTES: &[&str] = &[
    "Upgraded after the trial",
    "customer asked to call back on +44 20 7946 0958",
    "see ticket from ops@example.org about the quota",
    "rotated key sk-proj-AbCdEf0123456789XyZaBcDeF",
    "Thanks, works now",
];

/// A pool of serialised events with a slot for the `$insert_id`.
pub struct Templates {
    /// `(before the id, after the id)` for each template.
    parts: Vec<(String, String)>,
    format: Format,
}

impl Templates {
    /// Builds `count` templates with `people` distinct users; `token` goes into Mixpanel-format events.
    pub fn new(format: Format, count: usize, people: u32, token: &str, seed: u64) -> Templates {
        let mut rng = StdRng::seed_from_u64(seed);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_secs_f64();
        let parts = (0..count)
            .map(|_| {
                let event = realistic_event(&mut rng, people, token, now, format);
                let text = serde_json::to_string(&event).expect("events serialise");
                let (before, after) = text
                    .split_once(MARKER)
                    .expect("every template carries the marker");
                (before.to_string(), after.to_string())
            })
            .collect();
        Templates { parts, format }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Appends event number `n` (its `$insert_id` is `{run}-{n}`) to `out`.
    pub fn write(&self, out: &mut String, run: &str, n: u64) {
        let (before, after) = &self.parts[(n as usize) % self.parts.len()];
        out.push_str(before);
        out.push_str(run);
        out.push('-');
        out.push_str(&n.to_string());
        out.push_str(after);
    }
}

fn realistic_event(rng: &mut StdRng, people: u32, token: &str, now: f64, format: Format) -> Value {
    let name = EVENTS
        .choose_weighted(rng, |(_, weight)| *weight)
        .expect("weights are positive")
        .0;
    // Zipf-like activity: a few people produce most events.
    let person = (people as f64 * rng.random::<f64>().powi(3)) as u32;
    let (browser, os, version) = *BROWSERS.choose(rng).expect("not empty");
    let time = now - rng.random_range(0.0..30.0);
    let identified = rng.random_bool(0.8);
    let device = format!("{:08x}-device-{person}", person.wrapping_mul(2_654_435_761));
    let distinct_id = if identified {
        format!("user-{person}")
    } else {
        format!("$device:{device}")
    };
    let plan = ["free", "pro", "team", "enterprise"][(person % 4) as usize];
    let model = ["small", "large", "vision"][rng.random_range(0..3)];
    let mut properties = json!({
        "$os": os,
        "$browser": browser,
        "$browser_version": version,
        "$current_url": format!("https://platform.example.com{}", PATHS.choose(rng).expect("not empty")),
        "$referrer": REFERRERS.choose(rng).expect("not empty"),
        "$screen_height": 1080,
        "$screen_width": 1920,
        "mp_lib": "web",
        "$lib_version": "2.83.0",
        "$device_id": device,
        "org_id": format!("org-{}", person / 12),
        "plan": plan,
        "model": model,
        "tokens": rng.random_range(10..20_000),
        "latency_ms": rng.random_range(20.0..4_000.0),
    });
    if identified {
        properties["$user_id"] = json!(format!("user-{person}"));
        // Some integrations put the person's email and name on events too; they go to the vault.
        if rng.random_bool(0.1) {
            properties["$email"] = json!(format!("person{person}@example.com"));
            properties["$name"] = json!(format!("Person Number{person}"));
        }
    }
    // Server-side senders forward the visitor's address and user agent instead of parsed fields.
    properties["ip"] = json!(format!(
        "{}.{}.{}.{}",
        [81, 92, 151, 185, 203, 212, 37, 62][(person % 8) as usize],
        (person / 8) % 250 + 1,
        (person / 2000) % 250 + 1,
        person % 250 + 1
    ));
    if rng.random_bool(0.5) {
        for key in ["$os", "$browser", "$browser_version"] {
            properties.as_object_mut().expect("an object").remove(key);
        }
        properties["$user_agent"] = json!(USER_AGENTS.choose(rng).expect("not empty"));
    }
    if rng.random_bool(0.2) {
        properties["note"] = json!(NOTES.choose(rng).expect("not empty"));
    }
    match format {
        Format::Mixpanel => {
            properties["token"] = json!(token);
            properties["distinct_id"] = json!(distinct_id);
            properties["time"] = json!(time);
            properties["$insert_id"] = json!(MARKER);
            json!({"event": name, "properties": properties})
        }
        Format::Native => json!({
            "event": name,
            "time": time,
            "distinct_id": distinct_id,
            "insert_id": MARKER,
            "properties": properties,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_make_unique_valid_events() {
        for format in [Format::Mixpanel, Format::Native] {
            let templates = Templates::new(format, 16, 100, "tok", 7);
            let mut a = String::new();
            templates.write(&mut a, "r1", 3);
            let mut b = String::new();
            templates.write(&mut b, "r1", 19);
            let a: Value = serde_json::from_str(&a).unwrap();
            let b: Value = serde_json::from_str(&b).unwrap();
            let id = |v: &Value| match format {
                Format::Mixpanel => v["properties"]["$insert_id"].clone(),
                Format::Native => v["insert_id"].clone(),
            };
            assert_eq!(id(&a), json!("r1-3"));
            assert_eq!(id(&b), json!("r1-19"));
            // Same template (19 % 16 == 3), different ids.
            assert_eq!(a["event"], b["event"]);
        }
    }
}
