//! Privet's configuration.
//!
//! Sources, later ones winning: built-in defaults, the TOML file given by `--config` (or `PRIVET_CONFIG`), then
//! `PRIVET_*` environment variables, where `__` separates nested keys (`PRIVET_INGEST__MAX_BODY_BYTES=…`), then
//! command-line flags. Unknown keys are an error, so that a typo never silently leaves a safe default in place.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Environment variables with the `PRIVET_` prefix that are *not* configuration keys.
const NON_CONFIG_ENV: &[&str] = &["config", "master_key", "master_key_file", "log"];

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
    /// Flush when this many events are buffered in memory.
    pub memtable_max_rows: usize,
    /// Start a new write-ahead log file past this size.
    pub wal_file_bytes: u64,
    /// `$insert_id` keys remembered in memory to drop retries; older duplicates are removed by compaction.
    pub dedup_capacity: usize,
    /// Merge a day's segments once it has this many.
    pub compaction_min_segments: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            flush_interval_secs: 60,
            memtable_max_rows: 1_000_000,
            wal_file_bytes: 64 * 1024 * 1024,
            dedup_capacity: 2_000_000,
            compaction_min_segments: 4,
            row_group_rows: 128 * 1024,
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
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            memory_limit_bytes: 2 * 1024 * 1024 * 1024,
            max_result_rows: 100_000,
            target_partitions: 0,
        }
    }
}

/// What the privacy pipeline treats as identifying.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// Event properties that name an organisation (Mixpanel group keys); their values are pseudonymised like
    /// `/groups` ids, so events can be analysed per organisation.
    pub group_keys: Vec<String>,
    /// Further event properties that hold an identifier of a person; their values are pseudonymised.
    pub identifier_properties: Vec<String>,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
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
        }
    }
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
