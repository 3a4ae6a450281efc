//! `check-config`: load and validate everything a run would, run nothing.

use chrono::Utc;

use super::{Failure, Outcome, registry};
use crate::config::{Config, ConfigError, Problem, join_key};
use crate::exit;
use crate::scheduler::schedule_for;

pub fn run(config: &Config) -> Outcome {
    // `registry` already refuses `[collectors.<name>]` tables that name no collector.
    let registry = registry(config)?;
    let problems: Vec<Problem> = registry
        .iter()
        .filter_map(|c| {
            let name = &c.descriptor().name;
            schedule_for(config, c.as_ref()).err().map(|e| Problem {
                line: None,
                column: None,
                key: Some(join_key("collectors", name)),
                message: format!("collector `{name}` has no usable schedule: {e}"),
            })
        })
        .collect();
    ConfigError::check(&config.path, problems).map_err(Failure::usage)?;

    let today = Utc::now().date_naive();
    println!("config {} is valid", config.path.display());
    println!("  vault: {}", config.vault_dir().display());
    for w in &config.windows {
        let note = if w.contains(today) {
            ", contains today"
        } else {
            ""
        };
        println!("  window: {} ({} to {}{note})", w.name, w.start, w.end);
    }
    if config.window_for(today).is_none() {
        println!(
            "  note: no window contains today ({today}); runs today are filed under `outside-window`"
        );
    }
    let names = registry.names();
    println!(
        "  collectors: {}",
        if names.is_empty() {
            "none found".to_string()
        } else {
            names.join(", ")
        }
    );
    let warnings = config.warnings();
    if !warnings.is_empty() {
        println!("  warnings: {} (logged above)", warnings.len());
    }
    Ok(exit::OK)
}
