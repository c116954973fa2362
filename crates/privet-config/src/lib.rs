//! Privet's configuration.
//!
//! Sources, later ones winning: built-in defaults, the TOML file given by `--config` (or `PRIVET_CONFIG`), then
//! `PRIVET_*` environment variables, where `__` separates nested keys (`PRIVET_INGEST__MAX_BODY_BYTES=…`), then
//! command-line flags. Unknown keys are an error, so that a typo never silently leaves a safe default in place.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Environment variables with the `PRIVET_` prefix that are *not* configuration keys: command-line options
/// (`PRIVET_CONFIG`, `PRIVET_URL`, `PRIVET_KEY`), secrets, and `PRIVET_LOG` (a log filter).
const NON_CONFIG_ENV: &[&str] = &[
    "config",
    "geoip",
    "url",
    "key",
    "master_key",
    "master_key_file",
    "log",
];

/// The whole configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where Privet keeps everything it stores.
    pub data_dir: PathBuf,
    /// The address the HTTP server listens on.
    pub listen: SocketAddr,
    pub log: LogConfig,
    pub ingest: IngestConfig,
    pub storage: StorageConfig,
    pub query: QueryConfig,
    pub privacy: PrivacyConfig,
    pub breach: BreachConfig,
    pub dashboard: DashboardConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./privet-data"),
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            log: LogConfig::default(),
            ingest: IngestConfig::default(),
            storage: StorageConfig::default(),
            query: QueryConfig::default(),
            privacy: PrivacyConfig::default(),
            breach: BreachConfig::default(),
            dashboard: DashboardConfig::default(),
        }
    }
}

/// Logging.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter such as `info` or `privet_store=debug,info`.
    pub level: String,
    /// `text` for people, `json` for log shippers.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// Log line format.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Limits and behaviour of the ingestion endpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Largest accepted request body, after gzip decompression, in bytes. Larger bodies get a 413.
    pub max_body_bytes: usize,
    /// Most events (or profile updates) accepted in one request (Mixpanel's `/import` allows 2000).
    pub max_batch: usize,
    /// Longest accepted string value, in bytes; longer values are rejected with the property named.
    pub max_string_bytes: usize,
    /// Most properties on one event.
    pub max_properties: usize,
    /// Deepest accepted nesting of objects and arrays inside properties.
    pub max_depth: usize,
    /// Origins allowed to send events from a browser. `["*"]` allows any origin (echoed back, with
    /// credentials, as browser SDKs require).
    pub cors_allowed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` header is trusted to name the client's address.
    pub trusted_proxies: Vec<String>,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_body_bytes: 10 * 1024 * 1024,
            max_batch: 2000,
            max_string_bytes: 64 * 1024,
            max_properties: 2000,
            max_depth: 16,
            cors_allowed_origins: vec!["*".into()],
            trusted_proxies: Vec::new(),
        }
    }
}

/// The write-ahead log, the in-memory buffer and the columnar segments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Flush buffered events to Parquet segments at least this often (bounds recovery time).
    pub flush_interval_secs: u64,
    /// Flush when this many events are buffered in memory…
    pub memtable_max_rows: usize,
    /// … or when the buffered events take this much memory (bytes). Up to three buffers exist at once (one
    /// filling, two being written), so this bounds most of the server's memory.
    pub memtable_max_bytes: usize,
    /// Start a new write-ahead log file past this size.
    pub wal_file_bytes: u64,
    /// `$insert_id` keys remembered in memory to drop retries; older duplicates are removed by compaction.
    pub dedup_capacity: usize,
    /// Merge a day's segments once it has this many.
    pub compaction_min_segments: usize,
    /// Largest segment compaction writes, in rows (a merge holds its rows in memory).
    pub compaction_max_rows: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// Memory for decoded segment columns kept between queries (bytes; 0 turns the cache off). Repeated
    /// analyses then skip Parquet decoding; about 30 bytes per event covers what the analyses read.
    pub column_cache_bytes: usize,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            flush_interval_secs: 60,
            memtable_max_rows: 1_000_000,
            memtable_max_bytes: 64 * 1024 * 1024,
            wal_file_bytes: 64 * 1024 * 1024,
            dedup_capacity: 2_000_000,
            compaction_min_segments: 4,
            compaction_max_rows: 300_000,
            row_group_rows: 128 * 1024,
            column_cache_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// The SQL engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueryConfig {
    /// Memory one query may use before it fails with "resources exhausted".
    pub memory_limit_bytes: usize,
    /// Most rows returned by `/api/sql`; the answer says when it was truncated.
    pub max_result_rows: usize,
    /// Threads used by one query (0 = one per core).
    pub target_partitions: usize,
    /// Evaluate filters while decoding Parquet and decode the other columns only for matching rows ("late
    /// materialisation"). Off by default: with dictionary-encoded columns, filtering decoded batches measured
    /// 30–40% faster on the analytics benchmark than the row-selection bookkeeping late materialisation needs.
    pub parquet_pushdown: bool,
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            memory_limit_bytes: 2 * 1024 * 1024 * 1024,
            max_result_rows: 100_000,
            target_partitions: 0,
            parquet_pushdown: false,
        }
    }
}

/// The web dashboard: sign-in, sessions and cookies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Serve the dashboard (`/`, `/login`, …). The JSON APIs work either way.
    pub enabled: bool,
    /// Mark session cookies `Secure` (sent over HTTPS only): `auto` does so unless the request came to a
    /// loopback address over plain HTTP (a browser on the same machine), `always`, or `never`.
    pub secure_cookies: SecureCookies,
    /// A session unused for this many minutes ends.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, used or not.
    pub session_max_hours: u32,
    /// Sign-in attempts one client address may make per minute before it gets 429s (on top of the per-account
    /// lock-out after 5 failures).
    pub login_attempts_per_minute: u32,
    /// The address people reach the dashboard at, for links printed on the console (the set-up link)
    /// [default: `http://` + `listen`].
    pub public_url: Option<String>,
}

/// When session cookies are marked `Secure`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecureCookies {
    Auto,
    Always,
    Never,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            enabled: true,
            secure_cookies: SecureCookies::Auto,
            session_idle_minutes: 120,
            session_max_hours: 12,
            login_attempts_per_minute: 20,
            public_url: None,
        }
    }
}

/// Breach response: who the controller is, how notices are sent, where canaries live. Notices and the
/// authority report quote these, so fill them in before an incident rather than during one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreachConfig {
    /// The controller's name as people know it ("Example AI, Inc.").
    pub controller: String,
    /// The controller's postal address, for the authority report.
    pub controller_address: String,
    /// How to reach the data protection officer (name and email or address), quoted in every notice and report.
    pub dpo_contact: String,
    /// The only domains the controller mails from and links to; every notice names them so that people can
    /// tell it from phishing.
    pub official_domains: Vec<String>,
    /// The one sender every notice comes from (`Example Security <security@example.com>`).
    pub sender: String,
    /// Reply-To for notices (default: none, replies go to the sender).
    pub reply_to: Option<String>,
    /// The SMTP server notices go through: `smtp://host:port` (STARTTLS when offered), `smtp://…?tls=required`,
    /// `smtps://host:465` (implicit TLS) or `smtp://…?tls=none`; user and password in the URL.
    pub smtp_url: Option<String>,
    /// A PEM file of extra certificate authorities to trust for the SMTP server.
    pub smtp_ca_file: Option<PathBuf>,
    /// Most messages per second.
    pub rate_per_second: f64,
    /// Attempts per message before it is marked failed (with exponential back-off between them).
    pub max_attempts: u32,
    /// DKIM signing: a PEM private key (RSA or Ed25519), its selector and domain.
    pub dkim_key_file: Option<PathBuf>,
    pub dkim_selector: Option<String>,
    pub dkim_domain: Option<String>,
    /// The locale of people whose profile has none.
    pub default_locale: String,
    /// A folder of `<locale>.ftl` files whose messages override the built-in notice texts.
    pub templates: Option<PathBuf>,
    /// A domain the controller controls and receives mail for, used for canary addresses.
    pub canary_domain: String,
    /// The lead supervisory authority (for the report's header).
    pub lead_authority: String,
}

impl Default for BreachConfig {
    fn default() -> Self {
        BreachConfig {
            controller: "Example Controller".into(),
            controller_address: String::new(),
            dpo_contact: "dpo@example.com".into(),
            official_domains: vec!["example.com".into()],
            sender: "Example Security <security@example.com>".into(),
            reply_to: None,
            smtp_url: None,
            smtp_ca_file: None,
            rate_per_second: 10.0,
            max_attempts: 5,
            dkim_key_file: None,
            dkim_selector: None,
            dkim_domain: None,
            default_locale: "en".into(),
            templates: None,
            canary_domain: "example.com".into(),
            lead_authority: String::new(),
        }
    }
}

impl BreachConfig {
    /// The settings people would read in a notice that still hold the built-in examples (`breach.controller`,
    /// …): real notices must not go out with them.
    pub fn placeholders(&self) -> Vec<&'static str> {
        let example = BreachConfig::default();
        let mut out = Vec::new();
        if self.controller == example.controller {
            out.push("breach.controller");
        }
        if self.dpo_contact == example.dpo_contact {
            out.push("breach.dpo_contact");
        }
        if self.official_domains == example.official_domains {
            out.push("breach.official_domains");
        }
        if self.sender == example.sender {
            out.push("breach.sender");
        }
        out
    }

    /// Whether `canary_domain` is still the built-in example (canaries must be on a domain you control, so that
    /// mail to them reaches you).
    pub fn canary_domain_is_placeholder(&self) -> bool {
        self.canary_domain == BreachConfig::default().canary_domain
    }
}

/// The privacy pipeline and the identity vault. Every key here can also be set per project under
/// `[privacy.projects.<name>]`, which overrides the defaults for that project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// A MaxMind-format city database (GeoLite2-City, GeoIP2-City or DB-IP City). Without one, locations come
    /// only from what clients send (`mp_country_code`, `$region`, `$city`).
    pub geoip: Option<PathBuf>,
    /// The file holding the vault's master key (default: `<data-dir>.master-key` beside the data directory;
    /// `PRIVET_MASTER_KEY` or `PRIVET_MASTER_KEY_FILE` take precedence).
    pub master_key_file: Option<PathBuf>,
    /// The policy of every project, unless overridden under `projects`.
    pub policy: PolicyConfig,
    /// Per-project overrides of the policy, by project name.
    pub projects: BTreeMap<String, ProjectPolicyConfig>,
}

impl PrivacyConfig {
    /// The effective policy of a project: the defaults with the project's overrides applied.
    pub fn policy_for(&self, project: &str) -> PolicyConfig {
        let mut policy = self.policy.clone();
        if let Some(o) = self.projects.get(project) {
            if let Some(v) = o.location_precision {
                policy.location_precision = v;
            }
            if let Some(v) = o.k {
                policy.k = v;
            }
            if let Some(v) = o.personal_fields {
                policy.personal_fields = v;
            }
            if let Some(v) = &o.group_keys {
                policy.group_keys = v.clone();
            }
            if let Some(v) = &o.identifier_properties {
                policy.identifier_properties = v.clone();
            }
            policy
                .identifier_patterns
                .extend(o.identifier_patterns.iter().cloned());
            policy
                .internal_domains
                .extend(o.internal_domains.iter().cloned());
            policy
                .properties
                .extend(o.properties.iter().map(|(k, v)| (k.clone(), *v)));
            if o.retention_days.is_some() {
                policy.retention_days = o.retention_days;
            }
        }
        policy
    }
}

/// What the pipeline does with a project's events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// How precise a stored location may be: `country`, `region` or `city`.
    pub location_precision: LocationPrecision,
    /// A city, region or OS/browser combination is stored only once this many distinct people have been seen
    /// with it; until then the event gets something coarser.
    pub k: usize,
    /// Known personal fields (`$email`, `$name`, `$phone`, …): `vault` keeps them encrypted in the identity
    /// vault, `drop` discards them.
    pub personal_fields: PersonalFieldAction,
    /// Event properties that name an organisation (Mixpanel group keys); pseudonymised like `/groups` ids.
    pub group_keys: Vec<String>,
    /// Further event properties that hold an identifier of a person; pseudonymised.
    pub identifier_properties: Vec<String>,
    /// Regular expressions for the project's own identifier shapes (e.g. `user-[0-9a-f]{8}`); the free-text
    /// scanner replaces them by `[id]`.
    pub identifier_patterns: Vec<String>,
    /// Hosts that count as the product itself when classifying referrers (besides the page's own host).
    pub internal_domains: Vec<String>,
    /// Per-property actions: `keep` (as is, unscanned), `drop`, `pseudonymize`, `vault`, `coarsen`, `redact`.
    /// Properties not listed are scanned for personal data and kept.
    pub properties: BTreeMap<String, PropertyAction>,
    /// Delete events older than this many days (at compaction); unset keeps them.
    pub retention_days: Option<u32>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let drop = |names: &[&str]| -> BTreeMap<String, PropertyAction> {
            names
                .iter()
                .map(|n| (n.to_string(), PropertyAction::Drop))
                .collect()
        };
        PolicyConfig {
            location_precision: LocationPrecision::Region,
            k: 10,
            personal_fields: PersonalFieldAction::Vault,
            group_keys: [
                "company_id",
                "org_id",
                "organization_id",
                "organisation_id",
                "team_id",
                "account_id",
            ]
            .map(String::from)
            .to_vec(),
            identifier_properties: ["user_id", "customer_id", "member_id", "$anon_id"]
                .map(String::from)
                .to_vec(),
            identifier_patterns: Vec::new(),
            internal_domains: Vec::new(),
            // Credentials have no analytical value at all.
            properties: drop(&[
                "password",
                "passwd",
                "secret",
                "api_key",
                "apikey",
                "access_token",
                "refresh_token",
                "id_token",
                "authorization",
                "cookie",
                "session_id",
                "ssn",
                "credit_card",
                "card_number",
                "cvv",
                "iban",
            ]),
            retention_days: None,
        }
    }
}

/// Per-project overrides (unset keys keep the defaults; lists of patterns, domains and properties add to them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectPolicyConfig {
    pub location_precision: Option<LocationPrecision>,
    pub k: Option<usize>,
    pub personal_fields: Option<PersonalFieldAction>,
    pub group_keys: Option<Vec<String>>,
    pub identifier_properties: Option<Vec<String>>,
    pub identifier_patterns: Vec<String>,
    pub internal_domains: Vec<String>,
    pub properties: BTreeMap<String, PropertyAction>,
    pub retention_days: Option<u32>,
}

/// How precise a stored location may be.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationPrecision {
    Country,
    Region,
    City,
}

/// What happens to known personal fields.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonalFieldAction {
    Vault,
    Drop,
}

/// What happens to one property.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PropertyAction {
    /// Stored as sent, without scanning.
    Keep,
    /// Never stored.
    Drop,
    /// Replaced by a pseudonym (the same value gets the same pseudonym within the project).
    Pseudonymize,
    /// Moved to the identity vault, encrypted, as a field of the event's person.
    Vault,
    /// Made less precise: numbers to their power-of-ten bucket, dates to the month, other text to its first
    /// two characters.
    Coarsen,
    /// Replaced by `[redacted]`.
    Redact,
}

/// A configuration that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration file {0} does not exist; create it or leave out --config")]
    Missing(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads defaults, then `file` (if any), then `PRIVET_*` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::figment(file)?
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e)))
    }

    /// The layered sources, exposed for tests and for `privet config show`.
    pub fn figment(file: Option<&Path>) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Missing(path.to_path_buf()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = Env::prefixed("PRIVET_")
            .filter(|key| !NON_CONFIG_ENV.contains(&key.as_str().to_ascii_lowercase().as_str()))
            .split("__");
        Ok(figment.merge(env))
    }

    /// Renders the configuration as TOML (for `privet config show`).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the configuration always serialises")
    }
}

fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            let path = if e.path.is_empty() {
                String::new()
            } else {
                format!("`{}`: ", e.path.join("."))
            };
            format!("{path}{}{source}", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
// `figment::Jail` closures return `figment::Error`, which is large; that is figment's API, not ours.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_safe() {
        figment::Jail::expect_with(|_| {
            let config = Config::load(None).unwrap();
            assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
            assert_eq!(config.data_dir, PathBuf::from("./privet-data"));
            assert_eq!(config.ingest.max_batch, 2000);
            Ok(())
        });
    }

    #[test]
    fn file_then_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "privet.toml",
                "listen = \"127.0.0.1:9000\"\n[ingest]\nmax_batch = 50\n",
            )?;
            jail.set_env("PRIVET_INGEST__MAX_BATCH", "70");
            jail.set_env("PRIVET_MASTER_KEY", "not a config key");
            jail.set_env("PRIVET_URL", "http://127.0.0.1:1");
            jail.set_env("PRIVET_KEY", "pvt_for_privet_sql");
            let config = Config::load(Some(Path::new("privet.toml"))).unwrap();
            assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
            assert_eq!(config.ingest.max_batch, 70);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("privet.toml", "[ingest]\nmax_bach = 5\n")?;
            let err = Config::load(Some(Path::new("privet.toml"))).unwrap_err();
            assert!(err.to_string().contains("max_bach"), "{err}");
            let err = Config::load(Some(Path::new("nope.toml"))).unwrap_err();
            assert!(matches!(err, ConfigError::Missing(_)));
            Ok(())
        });
    }

    #[test]
    fn round_trips_through_toml() {
        figment::Jail::expect_with(|jail| {
            let config = Config::default();
            jail.create_file("out.toml", &config.to_toml())?;
            let back = Config::load(Some(Path::new("out.toml"))).unwrap();
            assert_eq!(back, config);
            Ok(())
        });
    }
}
