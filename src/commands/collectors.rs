//! `collectors`: built-in and custom collectors with their criteria and next run.

use chrono::Utc;

use super::{Outcome, registry};
use crate::config::Config;
use crate::exit;
use crate::scheduler::{next_fire, schedule_for};

pub fn run(config: &Config) -> Outcome {
    let registry = registry(config)?;
    // Columns as wide as their longest entry, so long names and criteria lists stay aligned.
    let name_w = registry
        .names()
        .iter()
        .map(String::len)
        .chain([4])
        .max()
        .unwrap_or(4);
    let crit_w = registry
        .iter()
        .map(|c| c.descriptor().criteria.join(",").len())
        .chain([8])
        .max()
        .unwrap_or(8);
    println!(
        "{:<name_w$} {:<9} {:<8} {:<crit_w$} {:<26} DESCRIPTION",
        "NAME", "KIND", "ENABLED", "CRITERIA", "NEXT RUN"
    );
    for c in registry.iter() {
        let d = c.descriptor();
        let enabled = config.settings_for(&d.name).enabled;
        let next = match schedule_for(config, c.as_ref()) {
            Ok(s) if enabled => next_fire(&s, config.agent.timezone.0, Utc::now())
                .map(crate::vault::canonical::timestamp)
                .unwrap_or_else(|| "never".into()),
            Ok(_) => "-".into(),
            Err(e) => format!("invalid schedule: {e}"),
        };
        println!(
            "{:<name_w$} {:<9} {:<8} {:<crit_w$} {:<26} {}",
            d.name,
            d.kind.as_str(),
            if enabled { "yes" } else { "no" },
            d.criteria.join(","),
            next,
            d.description
        );
    }
    Ok(exit::OK)
}
