//! What the people of one organisation do, as Mixpanel events.
//!
//! * The founder signs up at a time spread over the span (recent sign-ups more likely), sometimes after a few
//!   anonymous visits to the docs (the `$device_id` alone; the sign-up joins it to the user id, Mixpanel's
//!   simplified identity merge). The others sign up days later, each after the founder invites them.
//! * Each person then may create an API key (~60%), make a first API call (~70% of those) and upgrade (~15% of
//!   those), each within hours to days of the previous step, so that a 7-day funnel misses some conversions. The
//!   first upgrade takes the organisation from `free` to `pro`; a second one, in an organisation of five or more,
//!   to `enterprise`; later ones do not happen. Events carry the organisation's plan at their time.
//! * Every week after sign-up a person stays with a probability that grows with their progress in the funnel and
//!   shrinks with time; an active week has a few sessions (in the person's working hours, mostly on weekdays) of
//!   `Logged in`, `Viewed dashboard`, `Made API call` (the most frequent, once they have made a first one),
//!   `Viewed docs` and `Viewed billing`.
//!
//! Every event time lies strictly inside the span; steps that would fall after its end have not happened yet.

use chrono::{Datelike, Weekday};
use rand::Rng;
use serde_json::{Map, Value, json};

use crate::Span;
use crate::population::{Organisation, Person};
use crate::random::{log_normal_ms, pick};
use crate::web::{self, ORIGIN, Source};

pub const SIGNED_UP: &str = "Signed up";
pub const CREATED_API_KEY: &str = "Created API key";
pub const MADE_API_CALL: &str = "Made API call";
pub const UPGRADED_PLAN: &str = "Upgraded plan";
pub const VIEWED_DASHBOARD: &str = "Viewed dashboard";
pub const VIEWED_DOCS: &str = "Viewed docs";
pub const INVITED_MEMBER: &str = "Invited member";
pub const VIEWED_BILLING: &str = "Viewed billing";
pub const LOGGED_IN: &str = "Logged in";

/// Every event name the demo sends (benchmarks and tests rely on exactly these).
pub const EVENT_NAMES: [&str; 9] = [
    SIGNED_UP,
    CREATED_API_KEY,
    MADE_API_CALL,
    UPGRADED_PLAN,
    VIEWED_DASHBOARD,
    VIEWED_DOCS,
    INVITED_MEMBER,
    VIEWED_BILLING,
    LOGGED_IN,
];

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

/// Local hours of the day, weighted by how busy a developer dashboard is then.
const HOURS: [(i64, u32); 24] = [
    (0, 1),
    (1, 1),
    (2, 1),
    (3, 1),
    (4, 1),
    (5, 1),
    (6, 2),
    (7, 4),
    (8, 7),
    (9, 10),
    (10, 11),
    (11, 11),
    (12, 9),
    (13, 10),
    (14, 11),
    (15, 10),
    (16, 9),
    (17, 7),
    (18, 5),
    (19, 4),
    (20, 4),
    (21, 3),
    (22, 2),
    (23, 1),
];

/// The chance of staying another week, by funnel stage (signed up, key, first call, upgraded).
const STAY: [f64; 4] = [0.50, 0.70, 0.85, 0.93];
/// The number of sessions in an active week, by funnel stage.
const SESSIONS: [&[(u32, u32)]; 4] = [
    &[(1, 6), (2, 3), (3, 1)],
    &[(1, 4), (2, 4), (3, 2)],
    &[(1, 2), (2, 4), (3, 3), (4, 2), (5, 1)],
    &[(2, 3), (3, 4), (4, 3), (5, 2), (6, 1)],
];

/// A person's funnel milestones (milliseconds since 1970).
#[derive(Clone, Copy, Debug, Default)]
struct Milestones {
    signup: i64,
    key: Option<i64>,
    call: Option<i64>,
    upgrade: Option<i64>,
}

impl Milestones {
    /// How far the person is in the funnel at `t` (0 = signed up … 3 = upgraded).
    fn stage(&self, t: i64) -> usize {
        [self.key, self.call, self.upgrade]
            .iter()
            .take_while(|m| m.is_some_and(|m| m <= t))
            .count()
    }
}

/// The organisation's activity.
pub struct Activity {
    /// Each member's events in time order; empty for members who had not joined by the end of the span.
    pub events: Vec<Vec<Value>>,
    /// Sign-up times (0 for members who had not joined).
    pub signups: Vec<i64>,
    /// When the organisation's plan changed, in order (it starts on `free`).
    pub plans: Vec<(i64, &'static str)>,
}

/// The organisation's plan at `t`.
pub fn plan_at(plans: &[(i64, &'static str)], t: i64) -> &'static str {
    plans
        .iter()
        .take_while(|(since, _)| *since <= t)
        .last()
        .map_or("free", |(_, plan)| plan)
}

/// Everything the organisation's members do within `span`.
pub fn activity(
    rng: &mut impl Rng,
    seed: u64,
    org: &Organisation,
    people: &[Person],
    span: Span,
) -> Activity {
    let first = span.start_ms + 2 * HOUR;
    let last = span.end_ms - 10 * MINUTE;
    // The founder: recent sign-ups are more likely (density rising towards the end of the span).
    let x = rng.random::<f64>().powf(1.0 / 1.8);
    let rough = span.start_ms + (x * (span.end_ms - span.start_ms) as f64) as i64;
    let founder = local_time(rng, rough - rough.rem_euclid(DAY), org.country.utc_offset);
    let founder = if (first..=last).contains(&founder) {
        founder
    } else {
        rough.clamp(first, last)
    };
    // The others join after the founder invites them; some not before the span ends.
    let mut signups = vec![founder];
    let mut invites = Vec::new();
    for _ in 1..people.len() {
        let joined = founder + log_normal_ms(rng, 4.0 * DAY as f64, 1.3).max(30 * MINUTE);
        if joined > last {
            signups.push(0);
            continue;
        }
        let ahead =
            log_normal_ms(rng, 5.0 * HOUR as f64, 1.2).clamp(2 * MINUTE, joined - founder - MINUTE);
        invites.push(joined - ahead);
        signups.push(joined);
    }
    // The funnel.
    let mut milestones: Vec<Milestones> = signups
        .iter()
        .map(|&signup| {
            let mut m = Milestones {
                signup,
                ..Default::default()
            };
            if signup == 0 {
                return m;
            }
            let end = span.end_ms - MINUTE;
            m.key = step(rng, signup, 0.6, 5.0 * HOUR as f64, 1.6, end);
            m.call = m
                .key
                .and_then(|key| step(rng, key, 0.7, 10.0 * HOUR as f64, 1.5, end));
            m.upgrade = m
                .call
                .and_then(|call| step(rng, call, 0.15, 3.0 * DAY as f64, 1.1, end));
            m
        })
        .collect();
    // Upgrades change the organisation's plan: free → pro, then (five members or more) pro → enterprise.
    let mut candidates: Vec<(i64, usize)> = milestones
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.upgrade.map(|t| (t, i)))
        .collect();
    candidates.sort_unstable();
    let mut plans: Vec<(i64, &'static str)> = Vec::new();
    for (t, i) in candidates {
        match plans.len() {
            0 => plans.push((t, "pro")),
            1 if org.size >= 5 => plans.push((t, "enterprise")),
            _ => milestones[i].upgrade = None,
        }
    }
    let events = people
        .iter()
        .enumerate()
        .map(|(i, person)| {
            if signups[i] == 0 {
                return Vec::new();
            }
            let mut timeline = Timeline {
                rng: &mut *rng,
                seed,
                org,
                person,
                plans: &plans,
                span,
                events: Vec::new(),
                counter: 0,
            };
            let invited = if i == 0 { invites.as_slice() } else { &[] };
            timeline.person(&milestones[i], invited);
            let mut events = timeline.events;
            events.sort_by_key(|(t, _)| *t);
            events.into_iter().map(|(_, e)| e).collect()
        })
        .collect();
    Activity {
        events,
        signups,
        plans,
    }
}

/// The next step of the funnel: taken with probability `p`, a log-normal delay after the previous one, if that
/// is before `end`.
fn step(rng: &mut impl Rng, after: i64, p: f64, median: f64, sigma: f64, end: i64) -> Option<i64> {
    let taken = rng.random_bool(p);
    let t = after + log_normal_ms(rng, median, sigma).max(2 * MINUTE);
    (taken && t < end).then_some(t)
}

/// A time on the UTC day starting at `day_start`, in the local working hours of a place `utc_offset` hours
/// ahead of UTC.
fn local_time(rng: &mut impl Rng, day_start: i64, utc_offset: i64) -> i64 {
    let hour = *pick(rng, &HOURS);
    day_start + (hour - utc_offset) * HOUR + rng.random_range(0..HOUR)
}

fn is_weekend(t: i64) -> bool {
    chrono::DateTime::from_timestamp_millis(t)
        .is_some_and(|d| matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
}

/// The pause between two events of a session: ten seconds plus an exponential wait (mean 90 s).
fn gap(rng: &mut impl Rng) -> i64 {
    10 * SECOND + (-(1.0 - rng.random::<f64>()).ln() * 90_000.0) as i64
}

/// Builds one person's events.
struct Timeline<'a, R: Rng> {
    rng: &'a mut R,
    seed: u64,
    org: &'a Organisation,
    person: &'a Person,
    plans: &'a [(i64, &'static str)],
    span: Span,
    events: Vec<(i64, Value)>,
    counter: u64,
}

impl<R: Rng> Timeline<'_, R> {
    fn person(&mut self, m: &Milestones, invites: &[i64]) {
        let org = self.org.id.clone();
        let acquisition = if self.person.member == 0 {
            web::acquisition(self.rng)
        } else {
            web::invitation(self.rng)
        };
        // Anonymous visits to the docs just before signing up.
        if self.person.member == 0 && self.rng.random_bool(0.5) {
            let mut t = m.signup;
            for _ in 0..self.rng.random_range(1..=3) {
                t -= self.rng.random_range(MINUTE..20 * MINUTE);
                let url = web::docs(self.rng);
                self.push(VIEWED_DOCS, t, url, &acquisition, true, Map::new());
            }
        }
        let method = *pick(self.rng, &[("email", 5), ("google", 4), ("github", 3)]);
        self.push(
            SIGNED_UP,
            m.signup,
            format!("{ORIGIN}/signup?plan=free"),
            &acquisition,
            false,
            props([("method", json!(method))]),
        );
        let t = m.signup + self.rng.random_range(20 * SECOND..3 * MINUTE);
        let url = web::dashboard(self.rng, &org);
        self.push(VIEWED_DASHBOARD, t, url, &acquisition, false, Map::new());
        for &invite in invites {
            let source = web::returning(self.rng);
            let role = *pick(self.rng, &[("member", 5), ("admin", 1)]);
            self.push(
                INVITED_MEMBER,
                invite,
                format!("{ORIGIN}/org/{org}/members?invite=1"),
                &source,
                false,
                props([("role", json!(role))]),
            );
        }
        // The funnel's steps, each in a session of its own unless it follows sign-up closely.
        let source_at = |timeline: &mut Self, t: i64| {
            if t - m.signup < HOUR {
                acquisition.clone()
            } else {
                web::returning(timeline.rng)
            }
        };
        if let Some(key) = m.key {
            let source = source_at(self, key);
            if self.rng.random_bool(0.5) {
                let url = web::docs(self.rng);
                let t = (key - self.rng.random_range(MINUTE..10 * MINUTE)).max(m.signup + SECOND);
                self.push(VIEWED_DOCS, t, url, &source, false, Map::new());
            }
            let scope = *pick(self.rng, &[("all", 6), ("read", 2), ("restricted", 2)]);
            self.push(
                CREATED_API_KEY,
                key,
                format!("{ORIGIN}/org/{org}/keys?tab=1"),
                &source,
                false,
                props([("scope", json!(scope))]),
            );
        }
        if let Some(call) = m.call {
            let source = source_at(self, call);
            self.api_call(call, &source);
        }
        if let Some(upgrade) = m.upgrade {
            let source = source_at(self, upgrade);
            let from = plan_at(self.plans, upgrade - 1);
            let to = plan_at(self.plans, upgrade);
            let t = upgrade - self.rng.random_range(MINUTE..5 * MINUTE);
            self.push(
                VIEWED_BILLING,
                t,
                format!("{ORIGIN}/org/{org}/billing?tab=plans"),
                &source,
                false,
                Map::new(),
            );
            let period = *pick(self.rng, &[("monthly", 3), ("annual", 1)]);
            self.push(
                UPGRADED_PLAN,
                upgrade,
                format!("{ORIGIN}/org/{org}/billing/upgrade?to={to}"),
                &source,
                false,
                props([
                    ("from_plan", json!(from)),
                    ("to_plan", json!(to)),
                    ("billing_period", json!(period)),
                ]),
            );
        }
        // Weekly activity with decaying retention.
        let mut week = 0;
        loop {
            let week_start = m.signup + week * WEEK;
            if week_start >= self.span.end_ms {
                break;
            }
            let stage = m.stage(week_start);
            if week > 0 {
                let stay = (STAY[stage] - 0.012 * week as f64).clamp(0.25, 0.97);
                if !self.rng.random_bool(stay) {
                    break;
                }
            }
            for _ in 0..*pick(self.rng, SESSIONS[stage]) {
                let mut day = week_start + self.rng.random_range(0..7) * DAY;
                for _ in 0..3 {
                    if !is_weekend(day) || self.rng.random_bool(0.3) {
                        break;
                    }
                    day = week_start + self.rng.random_range(0..7) * DAY;
                }
                let start = local_time(
                    self.rng,
                    day - day.rem_euclid(DAY),
                    self.org.country.utc_offset,
                );
                if start > m.signup + 20 * MINUTE {
                    self.session(start, m);
                }
            }
            week += 1;
        }
    }

    /// A returning visit: often a log-in, the dashboard, then a few things.
    fn session(&mut self, start: i64, m: &Milestones) {
        let org = self.org.id.clone();
        let source = web::returning(self.rng);
        let mut t = start;
        if self.rng.random_bool(0.6) {
            let method = *pick(self.rng, &[("password", 5), ("google", 4), ("sso", 1)]);
            self.push(
                LOGGED_IN,
                t,
                format!("{ORIGIN}/login?next=%2Forg%2F{org}%2Fdashboard"),
                &source,
                false,
                props([("method", json!(method))]),
            );
            t += gap(self.rng);
        }
        let url = web::dashboard(self.rng, &org);
        self.push(VIEWED_DASHBOARD, t, url, &source, false, Map::new());
        let calling = m.call.is_some_and(|c| c <= t);
        let paying = plan_at(self.plans, t) != "free";
        let more = self.rng.random_range(1..=4)
            + if calling {
                self.rng.random_range(0..=10)
            } else {
                0
            };
        for _ in 0..more {
            t += gap(self.rng);
            let calling = m.call.is_some_and(|c| c <= t);
            let choice = *pick(
                self.rng,
                &[
                    (MADE_API_CALL, if calling { 55 } else { 0 }),
                    (VIEWED_DASHBOARD, 12),
                    (VIEWED_DOCS, if calling { 10 } else { 20 }),
                    (VIEWED_BILLING, if paying { 8 } else { 3 }),
                ],
            );
            match choice {
                MADE_API_CALL => self.api_call(t, &source),
                VIEWED_DASHBOARD => {
                    let url = web::dashboard(self.rng, &org);
                    self.push(VIEWED_DASHBOARD, t, url, &source, false, Map::new());
                }
                VIEWED_DOCS => {
                    let url = web::docs(self.rng);
                    self.push(VIEWED_DOCS, t, url, &source, false, Map::new());
                }
                _ => self.push(
                    VIEWED_BILLING,
                    t,
                    format!("{ORIGIN}/org/{org}/billing?tab=invoices"),
                    &source,
                    false,
                    Map::new(),
                ),
            }
        }
    }

    /// An API call, from the dashboard's playground.
    fn api_call(&mut self, t: i64, source: &Source) {
        let endpoint = *pick(
            self.rng,
            &[
                ("/v1/chat/completions", 50),
                ("/v1/embeddings", 20),
                ("/v1/audio/speech", 8),
                ("/v1/images/generations", 7),
                ("/v1/moderations", 5),
            ],
        );
        let model = *pick(
            self.rng,
            &[("small", 5), ("large", 3), ("vision", 1), ("embed-3", 2)],
        );
        let status = *pick(self.rng, &[(200, 93), (429, 4), (400, 2), (500, 1)]);
        let latency = log_normal_ms(self.rng, 420.0, 0.7).max(15);
        let tokens = log_normal_ms(self.rng, 800.0, 1.0).max(1);
        let url = format!("{ORIGIN}/org/{}/playground?model={model}", self.org.id);
        self.push(
            MADE_API_CALL,
            t,
            url,
            source,
            false,
            props([
                ("endpoint", json!(endpoint)),
                ("model", json!(model)),
                ("status", json!(status)),
                ("latency_ms", json!(latency)),
                ("tokens", json!(tokens)),
            ]),
        );
    }

    /// Adds an event as `mixpanel-browser` would send it, unless `t` is outside the span.
    fn push(
        &mut self,
        name: &'static str,
        t: i64,
        url: String,
        source: &Source,
        anonymous: bool,
        extra: Map<String, Value>,
    ) {
        if t <= self.span.start_ms || t >= self.span.end_ms {
            return;
        }
        let p = self.person;
        let mut properties = Map::with_capacity(16 + extra.len());
        properties.insert("time".into(), json!(t));
        let distinct_id = if anonymous {
            format!("$device:{}", p.device_id)
        } else {
            p.user_id.clone()
        };
        properties.insert("distinct_id".into(), json!(distinct_id));
        properties.insert(
            "$insert_id".into(),
            json!(format!(
                "demo-{:x}-{:x}-{:x}-{:x}",
                self.seed, self.org.index, p.member, self.counter
            )),
        );
        self.counter += 1;
        properties.insert("$device_id".into(), json!(p.device_id));
        if !anonymous {
            properties.insert("$user_id".into(), json!(p.user_id));
            properties.insert("org_id".into(), json!(p.org_id));
            properties.insert("plan".into(), json!(plan_at(self.plans, t)));
        }
        properties.insert("$user_agent".into(), json!(p.user_agent));
        properties.insert("ip".into(), json!(p.ip.to_string()));
        properties.insert("$current_url".into(), json!(url));
        if let Some(referrer) = &source.referrer {
            properties.insert("$referrer".into(), json!(referrer));
        }
        if let Some([utm_source, medium, campaign]) = source.utm {
            properties.insert("utm_source".into(), json!(utm_source));
            properties.insert("utm_medium".into(), json!(medium));
            properties.insert("utm_campaign".into(), json!(campaign));
        }
        properties.insert("mp_lib".into(), json!("web"));
        properties.insert("$lib_version".into(), json!("2.83.0"));
        properties.extend(extra);
        self.events
            .push((t, json!({"event": name, "properties": properties})));
    }
}

fn props<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
