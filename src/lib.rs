//! evidence-agent: collects SOC 2 evidence on a schedule into a tamper-evident vault.
//!
//! # Layout
//!
//! The flow of data is config → scheduler → collector → vault, and the modules follow it:
//!
//! - [`config`]: the TOML file, typed and validated at load; secret references; audit windows.
//! - [`scheduler`]: cron schedules per collector, jitter, catch-up, the daemon loop.
//! - [`runner`]: carries out one run: deadline, cancellation, secrets, and its record in the vault.
//! - [`collector`]: the `Collector` trait, the registry of built-in and custom collectors, and the
//!   external-process contract for custom collectors in `collectors/`.
//! - [`evidence`]: what a run yields: findings, statuses, the run outcome.
//! - [`vault`]: the evidence vault on a local directory: layout, staged commit, ledger, recovery,
//!   verification and the read-side index.
//! - [`telemetry`]: logs, Prometheus metrics and the `/healthz` endpoint.
//! - [`shutdown`]: SIGTERM/SIGINT into a cancellation token with a grace period.
//! - [`progress`]: the terminal progress display or plain lines for `collect`.
//! - [`status`]: last run, next run and window coverage per collector.
//! - [`report`]: the auditor's HTML report of a window (calendar, findings, populations).
//! - [`export`]: the auditor's bundle: selected runs, ledger, report, VERIFY.md, as .tar.gz.
//! - [`commands`]: one module per CLI subcommand; `main.rs` only parses and maps exit codes.

pub mod cli;
pub mod collector;
pub mod commands;
pub mod config;
pub mod evidence;
pub mod export;
pub mod progress;
pub mod random;
pub mod report;
pub mod runner;
pub mod scheduler;
pub mod shutdown;
pub mod status;
pub mod telemetry;
pub mod vault;

/// The agent's version, recorded in every run record.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Process exit codes, the same for every command.
pub mod exit {
    /// Everything worked.
    pub const OK: i32 = 0;
    /// An evidence problem: a failed or interrupted run, or a vault that does not verify.
    pub const EVIDENCE: i32 = 1;
    /// A usage or configuration error: nothing was collected.
    pub const USAGE: i32 = 2;
}
