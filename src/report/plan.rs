//! From the config to a report request: which window, which collectors and schedules.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{PlannedCollector, Request, Selection, default_out};
use crate::collector::Registry;
use crate::config::Config;
use crate::scheduler::schedule_for;

/// Why the window cannot be settled.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(
        "no audit window named `{0}`: use a name from `[[windows]]` in the config, or `outside-window`"
    )]
    UnknownWindow(String),
    #[error(
        "no audit window contains today and none is configured: add a `[[windows]]` section to the config or give `--window NAME`"
    )]
    NoWindow,
}

/// The window named, else the one containing `now`, else the latest that has started.
pub fn window_name(
    config: &Config,
    named: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, PlanError> {
    let today = now.date_naive();
    match named {
        Some(crate::config::OUTSIDE_WINDOW) => Ok(crate::config::OUTSIDE_WINDOW.to_string()),
        Some(n) => config
            .windows
            .iter()
            .find(|w| w.name == n)
            .map(|w| w.name.clone())
            .ok_or_else(|| PlanError::UnknownWindow(n.to_string())),
        None => config
            .window_for(today)
            .or_else(|| {
                config
                    .windows
                    .iter()
                    .filter(|w| w.start <= today)
                    .max_by_key(|w| w.start)
            })
            .map(|w| w.name.clone())
            .ok_or(PlanError::NoWindow),
    }
}

/// The request for `window` (a name from [`window_name`]), into `out` or the vault's own
/// `derived/report/`.
pub fn request(
    config: &Config,
    registry: &Registry,
    window: &str,
    selection: Selection,
    out: Option<PathBuf>,
    now: DateTime<Utc>,
) -> Request {
    let collectors = registry
        .iter()
        .map(|c| {
            let d = c.descriptor();
            PlannedCollector {
                name: d.name.clone(),
                criteria: d.criteria.clone(),
                enabled: config.settings_for(&d.name).enabled,
                schedule: schedule_for(config, c.as_ref()).ok(),
            }
        })
        .collect();
    let vault = config.vault_dir();
    let configured = config.windows.iter().find(|w| w.name == window);
    let (out, evidence_base) = match out {
        Some(out) => {
            let base =
                super::links::base_from(&out, &crate::vault::layout::window_dir(&vault, window));
            (out, base)
        }
        None => (default_out(&vault, window), "../../".to_string()),
    };
    Request {
        vault,
        window: window.to_string(),
        start: configured.map(|w| w.start),
        end: configured.map(|w| w.end),
        collectors,
        timezone: config.agent.timezone.0,
        selection,
        out,
        evidence_base,
        now,
    }
}
