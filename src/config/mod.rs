//! The configuration file: TOML, typed and validated at load.
//!
//! Every problem found is reported at once, each naming the file, line, column and key.
//! Secrets are references (`env:NAME`, `file:/path`), resolved only when a run needs them.

mod load;
mod problem;
mod schedule;
mod secret;
mod validate;
mod window;

#[cfg(test)]
mod example;

pub use load::{load, load_checked, parse, parse_checked};
pub use problem::{ConfigError, Problem, join as join_key};
pub use schedule::Schedule;
pub use secret::{Secret, SecretError, SecretRef, valid_env_name};
pub use window::{OUTSIDE_WINDOW, Window};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration, as loaded from one file.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from; relative paths in it are relative to its folder.
    pub path: PathBuf,
    /// `[agent]`: paths, time zone, concurrency, deadlines, log format.
    pub agent: AgentSettings,
    /// `[http]`: the health and metrics endpoint.
    pub http: HttpSettings,
    /// `[[windows]]`: the audit windows, none overlapping.
    pub windows: Vec<Window>,
    /// Per-collector settings by collector name; a collector with no entry runs on its defaults.
    pub collectors: BTreeMap<String, CollectorSettings>,
    /// `[github]`: scope and expected protection of the `github-pull-requests` collector.
    pub github: Option<crate::collector::github::GithubSettings>,
    /// `[aws]`: accounts and expectations of the `aws-iam` collector.
    pub aws: Option<crate::collector::aws_iam::AwsSettings>,
    /// `[tls]`: endpoints and profile of the `tls-endpoints` collector.
    pub tls: Option<crate::collector::tls::TlsSettings>,
    /// `[scan_reports]`: sources and cadences of the `scan-reports` collector.
    pub scan_reports: Option<crate::collector::scan_reports::ScanReportSettings>,
    /// Things allowed but worth saying (a non-loopback `http.listen`, no windows).
    warnings: Vec<Problem>,
}

/// `[agent]`: where things are and how the daemon behaves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// The vault directory (relative to the config file's folder).
    #[serde(default = "default_vault_dir")]
    pub vault_dir: PathBuf,
    /// The folder of custom collectors (relative to the config file's folder).
    #[serde(default = "default_collectors_dir")]
    pub collectors_dir: PathBuf,
    /// IANA time zone the cron schedules are read in.
    #[serde(default = "default_timezone")]
    pub timezone: TimeZone,
    /// At most this many runs at once.
    #[serde(default = "default_max_concurrent_runs")]
    pub max_concurrent_runs: usize,
    /// Each scheduled run starts up to this many seconds late, at random, to spread load.
    #[serde(default = "default_jitter_secs")]
    pub jitter_secs: u64,
    /// A run that takes longer than this is stopped and recorded as interrupted.
    #[serde(default = "default_deadline_secs")]
    pub deadline_secs: u64,
    /// After SIGTERM/SIGINT, in-flight runs get this long to finish before they are interrupted.
    #[serde(default = "default_shutdown_grace_secs")]
    pub shutdown_grace_secs: u64,
    /// `human` or `json`.
    #[serde(default)]
    pub log_format: LogFormat,
}

/// `[http]`: the `/healthz` and `/metrics` endpoint of the daemon.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Serve `/healthz` and `/metrics` while the daemon runs.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// A loopback address by default; metrics say nothing secret but need not leave the host.
    #[serde(default = "default_listen", deserialize_with = "socket_addr")]
    pub listen: SocketAddr,
    /// A non-loopback `listen` is refused unless this is true, so exposure is a decision.
    #[serde(default)]
    pub allow_remote: bool,
}

/// `[collectors.<name>]`: the settings every collector accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorSettings {
    /// Set to false to leave the collector out of `run` and of `collect` without names.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// A cron expression with seconds (`sec min hour day-of-month month day-of-week`),
    /// overriding the collector's default schedule.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Overrides `agent.deadline_secs` (and a custom collector's own timeout) for this collector.
    #[serde(default)]
    pub deadline_secs: Option<u64>,
    /// Secrets granted to this collector: environment variable name → reference.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretRef>,
    /// Custom collectors: the most bytes of output files a run may write.
    #[serde(default)]
    pub max_output_bytes: Option<u64>,
    /// Custom collectors: the most output files a run may write.
    #[serde(default)]
    pub max_files: Option<u64>,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal or journald.
    #[default]
    Human,
    /// One JSON object per line, for log shippers.
    Json,
}

/// A validated IANA time zone name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown time zone `{name}`; use an IANA name such as `UTC` or `Europe/Berlin`"
            ))
        })
    }
}

impl Config {
    /// The vault directory, resolved against the config file's folder.
    pub fn vault_dir(&self) -> PathBuf {
        resolve(&self.path, &self.agent.vault_dir)
    }

    /// The custom collectors folder, resolved against the config file's folder.
    pub fn collectors_dir(&self) -> PathBuf {
        resolve(&self.path, &self.agent.collectors_dir)
    }

    /// The audit window a run on `date` (UTC) belongs to.
    pub fn window_for(&self, date: chrono::NaiveDate) -> Option<&Window> {
        self.windows.iter().find(|w| w.contains(date))
    }

    /// The window immediately before `window`: the latest one that ends before it starts.
    pub fn window_before(&self, window: &Window) -> Option<&Window> {
        self.windows
            .iter()
            .filter(|w| w.end < window.start)
            .max_by_key(|w| w.end)
    }

    /// The settings of one collector: its `[collectors.<name>]` table, or the defaults.
    /// A built-in collector with a section of its own (`[github]`, `[aws]`, `[tls]`, `[scan_reports]`) is off until that section
    /// or its table exists, so an agent without GitHub records no GitHub runs.
    pub fn settings_for(&self, name: &str) -> CollectorSettings {
        self.collectors
            .get(name)
            .cloned()
            .unwrap_or_else(|| CollectorSettings {
                enabled: match name {
                    crate::collector::github::NAME => self.github.is_some(),
                    crate::collector::aws_iam::NAME => self.aws.is_some(),
                    crate::collector::tls::NAME => self.tls.is_some(),
                    crate::collector::scan_reports::NAME => self.scan_reports.is_some(),
                    _ => true,
                },
                ..CollectorSettings::default()
            })
    }

    /// Warnings found at load, each as `file:line:column: `key`: message`.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.iter().map(|w| w.render(&self.path)).collect()
    }
}

/// `path` from the config file at `config`, relative to the file's folder.
fn resolve(config: &Path, path: &Path) -> PathBuf {
    config.parent().unwrap_or_else(|| Path::new(".")).join(path)
}

fn socket_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "`{text}` is not an IP address and port; write e.g. `127.0.0.1:9464` (host names are not resolved)"
        ))
    })
}

fn default_vault_dir() -> PathBuf {
    PathBuf::from("vault")
}
fn default_collectors_dir() -> PathBuf {
    PathBuf::from("collectors")
}
fn default_timezone() -> TimeZone {
    TimeZone(chrono_tz::UTC)
}
fn default_max_concurrent_runs() -> usize {
    2
}
fn default_jitter_secs() -> u64 {
    30
}
fn default_deadline_secs() -> u64 {
    900
}
fn default_shutdown_grace_secs() -> u64 {
    30
}
fn default_true() -> bool {
    true
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            vault_dir: default_vault_dir(),
            collectors_dir: default_collectors_dir(),
            timezone: default_timezone(),
            max_concurrent_runs: default_max_concurrent_runs(),
            jitter_secs: default_jitter_secs(),
            deadline_secs: default_deadline_secs(),
            shutdown_grace_secs: default_shutdown_grace_secs(),
            log_format: LogFormat::default(),
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            enabled: true,
            listen: default_listen(),
            allow_remote: false,
        }
    }
}

impl Default for CollectorSettings {
    fn default() -> Self {
        CollectorSettings {
            enabled: true,
            schedule: None,
            deadline_secs: None,
            secrets: BTreeMap::new(),
            max_output_bytes: None,
            max_files: None,
        }
    }
}
