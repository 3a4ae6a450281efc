//! One module per subcommand. Errors become exit codes here and only here.

mod check_config;
mod collect;
mod collectors;
mod daemon;
mod export;
mod report;
mod status;
mod verify;

use std::path::Path;
use std::sync::Arc;

use crate::cli::{Cli, Command};
use crate::collector::Registry;
use crate::config::{Config, LogFormat};
use crate::exit;
use crate::telemetry::{Metrics, logging};
use crate::vault::Vault;

/// An error on its way to the exit code: 2 for usage and config, 1 for evidence problems.
pub struct Failure {
    pub code: i32,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn usage(e: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: exit::USAGE,
            error: e.into(),
        }
    }
    pub fn evidence(e: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: exit::EVIDENCE,
            error: e.into(),
        }
    }
}

pub type Outcome = Result<i32, Failure>;

/// Runs the parsed command line and returns the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    // The config decides the log format, so read it first; its errors go to stderr plainly.
    let needs_config = !matches!(cli.command, Command::Verify { vault: Some(_), .. });
    let config = if needs_config {
        // `[collectors.<name>]` naming no installed collector is reported with the other
        // problems (but `verify` runs none); a broken collectors folder is for `registry`.
        let checks_names = !matches!(cli.command, Command::Verify { .. });
        let installed = |dir: &Path| {
            checks_names
                .then(|| Registry::load(dir).ok().map(|r| r.names()))
                .flatten()
        };
        match crate::config::load_checked(&cli.config, installed) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    } else {
        None
    };
    let format = cli
        .log_format
        .or(config.as_ref().map(|c| c.agent.log_format))
        .unwrap_or(LogFormat::Human);
    logging::init(format, cli.verbose);
    for warning in config.iter().flat_map(|c| c.warnings()) {
        tracing::warn!(message = "Config warning.", %warning);
    }
    let result = match (&cli.command, config) {
        (Command::CheckConfig, Some(c)) => check_config::run(&c),
        (Command::Collectors, Some(c)) => collectors::run(&c),
        (Command::Status { json }, Some(c)) => status::run(&c, *json),
        (
            Command::Verify {
                vault,
                threads,
                window,
                json,
            },
            c,
        ) => verify::run(
            vault.clone().or_else(|| c.map(|c| c.vault_dir())),
            vault.is_some(),
            *threads,
            window.as_deref(),
            *json,
        ),
        (Command::Collect { names }, Some(c)) => collect::run(c, names),
        (Command::Run, Some(c)) => daemon::run(c),
        (Command::Report { window, out }, Some(c)) => {
            report::run(&c, window.as_deref(), out.clone())
        }
        (
            Command::Export {
                window,
                from,
                to,
                criteria,
                out,
            },
            Some(c),
        ) => export::run(&c, window, *from, *to, criteria, out),
        (_, None) => unreachable!("every command but `verify --vault` loads the config"),
    };
    match result {
        Ok(code) => code,
        Err(Failure { code, error }) => {
            eprintln!("error: {error:#}");
            code
        }
    }
}

/// The registry of collectors for a config; a broken collector folder is a config error.
pub(crate) fn registry(config: &Config) -> Result<Registry, Failure> {
    Registry::load(&config.collectors_dir()).map_err(Failure::usage)
}

/// Opens the vault and runs recovery: every writing command starts this way.
pub(crate) fn open_vault_for_writing(config: &Config) -> Result<Vault, Failure> {
    let dir = config.vault_dir();
    let vault = Vault::open(&dir).map_err(|e| {
        Failure::evidence(
            anyhow::Error::new(e).context(format!("cannot open the vault at {}", dir.display())),
        )
    })?;
    crate::collector::custom::reap_orphans(&crate::vault::layout::staging_root(vault.root()));
    crate::vault::recover::recover(&vault).map_err(|e| {
        Failure::evidence(anyhow::Error::new(e).context("start-up recovery failed"))
    })?;
    Ok(vault)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    // Two workers cover the I/O-bound runs; verify hashes on its own threads.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::evidence(anyhow::Error::new(e).context("cannot start the async runtime"))
        })
}

pub(crate) fn new_metrics() -> Arc<Metrics> {
    Arc::new(Metrics::new())
}
