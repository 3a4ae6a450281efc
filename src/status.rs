//! Per collector: the last run, the next scheduled run, and how many days of the current window
//! have a successful run.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::collector::Registry;
use crate::config::Config;
use crate::evidence::RunStatus;
use crate::scheduler::{next_fire, schedule_for};
use crate::vault::ledger::Entry;

#[derive(Debug, Clone, Serialize)]
pub struct LastRun {
    pub status: RunStatus,
    pub started_at: String,
    pub run: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CollectorStatus {
    pub name: String,
    pub kind: String,
    pub criteria: Vec<String>,
    pub enabled: bool,
    pub schedule: Option<String>,
    pub last_run: Option<LastRun>,
    pub next_run: Option<String>,
    /// The window that contains today, if any.
    pub window: Option<String>,
    /// Days of that window, up to today, with at least one successful run.
    pub days_covered: i64,
    /// Days of that window up to and including today.
    pub days_elapsed: i64,
}

pub fn compute(
    config: &Config,
    registry: &Registry,
    entries: &[Entry],
    now: DateTime<Utc>,
) -> Vec<CollectorStatus> {
    let today = now.date_naive();
    let window = config.window_for(today);
    registry
        .iter()
        .map(|c| {
            let d = c.descriptor();
            let settings = config.settings_for(&d.name);
            let schedule = schedule_for(config, c.as_ref()).ok();
            let mine: Vec<&Entry> = entries.iter().filter(|e| e.collector == d.name).collect();
            let last_run = mine
                .iter()
                .max_by(|a, b| a.started_at.cmp(&b.started_at))
                .map(|e| LastRun {
                    status: e.status,
                    started_at: e.started_at.clone(),
                    run: format!("{}/{}", e.window, e.run),
                });
            let covered: BTreeSet<NaiveDate> = match window {
                Some(w) => mine
                    .iter()
                    .filter(|e| e.status == RunStatus::Succeeded && e.window == w.name)
                    .filter_map(|e| DateTime::parse_from_rfc3339(&e.started_at).ok())
                    .map(|t| t.with_timezone(&Utc).date_naive())
                    .filter(|day| w.contains(*day) && *day <= today)
                    .collect(),
                None => BTreeSet::new(),
            };
            CollectorStatus {
                name: d.name.clone(),
                kind: d.kind.as_str().to_string(),
                criteria: d.criteria.clone(),
                enabled: settings.enabled,
                schedule: schedule.as_ref().map(|s| s.as_str().to_string()),
                last_run,
                next_run: if settings.enabled {
                    schedule
                        .and_then(|s| next_fire(&s, config.agent.timezone.0, now))
                        .map(crate::vault::canonical::timestamp)
                } else {
                    None
                },
                window: window.map(|w| w.name.clone()),
                days_covered: covered.len() as i64,
                days_elapsed: window.map(|w| w.days_elapsed(today)).unwrap_or(0),
            }
        })
        .collect()
}
