//! The command line: one binary, one subcommand per job.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::config::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "evidence-agent",
    version,
    about = "Collects SOC 2 evidence on a schedule into a tamper-evident vault"
)]
pub struct Cli {
    /// The config file.
    #[arg(
        short,
        long,
        global = true,
        env = "EVIDENCE_AGENT_CONFIG",
        default_value = "/etc/evidence-agent/config.toml"
    )]
    pub config: PathBuf,
    /// Log format: `human` or `json` (overrides `agent.log_format`).
    #[arg(long, global = true, value_parser = parse_log_format)]
    pub log_format: Option<LogFormat>,
    /// More detailed logs.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run as a daemon: every collector on its schedule until SIGTERM/SIGINT.
    Run,
    /// Run collectors once, now, and exit (all enabled ones, or those named).
    Collect {
        /// Collector names; none means every enabled collector.
        names: Vec<String>,
    },
    /// Check every hash and the ledger chains of the vault; exit 1 on any problem.
    Verify {
        /// The vault folder (default: `agent.vault_dir` of the config).
        #[arg(long)]
        vault: Option<PathBuf>,
        /// Hashing threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Verify only this audit window (its ledger, runs and folder); default: every window.
        #[arg(long, value_name = "NAME")]
        window: Option<String>,
        /// Print the report as JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Last run, next run and window coverage per collector.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Validate the config file without running anything.
    CheckConfig,
    /// List built-in and custom collectors with their criteria and next run.
    Collectors,
    /// Write the HTML report of an audit window (default: into the vault, `<window>/derived/report/`).
    Report {
        /// The audit window (default: the one containing today, else the latest started).
        #[arg(long, value_name = "NAME")]
        window: Option<String>,
        /// The folder to write the site into instead of the vault's `derived/report/`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Write a bundle for the auditor: the selected runs unchanged, the ledger, the report and
    /// VERIFY.md, as one .tar.gz.
    Export {
        /// The audit window to export.
        #[arg(long, value_name = "NAME")]
        window: String,
        /// First day (UTC, YYYY-MM-DD) of runs to include; default: the window's start.
        #[arg(long, value_name = "DATE")]
        from: Option<NaiveDate>,
        /// Last day (UTC, YYYY-MM-DD) of runs to include; default: the window's end.
        #[arg(long, value_name = "DATE")]
        to: Option<NaiveDate>,
        /// Only collectors supporting one of these criteria, e.g. `CC8.1,CC6.1`.
        #[arg(long, value_name = "LIST", value_delimiter = ',')]
        criteria: Vec<String>,
        /// The bundle to write (`.tar.gz`); it must not exist yet.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

fn parse_log_format(s: &str) -> Result<LogFormat, String> {
    match s {
        "human" => Ok(LogFormat::Human),
        "json" => Ok(LogFormat::Json),
        other => Err(format!(
            "`{other}` is not a log format: use `human` or `json`"
        )),
    }
}
