//! `status`: last run, next run and window coverage per collector.

use chrono::Utc;

use super::{Failure, Outcome, registry};
use crate::config::Config;
use crate::exit;

pub fn run(config: &Config, json: bool) -> Outcome {
    let registry = registry(config)?;
    let entries = crate::vault::index::entries(&config.vault_dir()).map_err(Failure::evidence)?;
    let rows = crate::status::compute(config, &registry, &entries, Utc::now());
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(Failure::evidence)?
        );
        return Ok(exit::OK);
    }
    println!(
        "{:<20} {:<12} {:<26} {:<26} COVERAGE",
        "COLLECTOR", "LAST", "LAST RUN", "NEXT RUN"
    );
    for r in rows {
        let (last_status, last_at) = match &r.last_run {
            Some(l) => (l.status.as_str().to_string(), l.started_at.clone()),
            None => ("never".into(), "-".into()),
        };
        let coverage = match &r.window {
            Some(w) => format!("{}/{} days of {w}", r.days_covered, r.days_elapsed),
            None => "no window covers today".into(),
        };
        println!(
            "{:<20} {:<12} {:<26} {:<26} {coverage}",
            r.name,
            last_status,
            last_at,
            r.next_run.as_deref().unwrap_or("-")
        );
    }
    Ok(exit::OK)
}
