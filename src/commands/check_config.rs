//! `check-config`: load and validate everything a run would, run nothing, and say what would run.

use chrono::{DateTime, Utc};

use super::{Failure, Outcome, registry};
use crate::collector::Collector;
use crate::config::{Config, ConfigError, Problem, join_key};
use crate::exit;
use crate::scheduler::{next_fire, schedule_for};
use crate::vault::canonical::timestamp;

pub fn run(config: &Config) -> Outcome {
    // Loading already refused `[collectors.<name>]` tables that name no collector.
    let registry = registry(config)?;
    let problems: Vec<Problem> = registry
        .iter()
        .filter_map(|c| {
            let name = &c.descriptor().name;
            schedule_for(config, c.as_ref()).err().map(|e| Problem {
                line: None,
                column: None,
                key: Some(join_key("collectors", name)),
                message: format!("collector `{name}` has no usable default schedule: {e}"),
            })
        })
        .collect();
    ConfigError::check(&config.path, problems).map_err(Failure::usage)?;

    let now = Utc::now();
    let today = now.date_naive();
    println!("config {} is valid", config.path.display());
    println!("  vault: {}", config.vault_dir().display());
    println!("  collectors folder: {}", config.collectors_dir().display());
    println!("  time zone: {}", config.agent.timezone.0.name());
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
    if registry.iter().next().is_none() {
        println!("  collectors: none found");
    }
    for c in registry.iter() {
        print_collector(config, c.as_ref(), now);
    }
    let warnings = config.warnings();
    if !warnings.is_empty() {
        println!("  warnings: {} (logged above)", warnings.len());
    }
    Ok(exit::OK)
}

/// One collector: whether it runs, when next, and whether its secrets are there (never what
/// they are).
fn print_collector(config: &Config, c: &dyn Collector, now: DateTime<Utc>) {
    let d = c.descriptor();
    let settings = config.settings_for(&d.name);
    if !settings.enabled {
        println!("  collector {}: disabled", d.name);
        return;
    }
    // Schedules were checked above; a failure here cannot happen but is no reason to panic.
    let Ok(schedule) = schedule_for(config, c) else {
        return;
    };
    let source = if settings.schedule.is_some() {
        "config"
    } else {
        "default"
    };
    let next = next_fire(&schedule, config.agent.timezone.0, now)
        .map(timestamp)
        .unwrap_or_else(|| "never".to_string());
    println!(
        "  collector {}: schedule `{}` ({source}), next run {next}",
        d.name,
        schedule.as_str()
    );
    for (var, reference) in &settings.secrets {
        let state = match reference.resolve() {
            Ok(_) => "available".to_string(),
            Err(e) => format!("not available: {e}"),
        };
        println!("    secret {var} from {reference}: {state}");
    }
    for var in d
        .required_secrets
        .iter()
        .filter(|v| !settings.secrets.contains_key(*v))
    {
        println!(
            "    secret {var}: needed but not granted, so runs will be skipped; add \
             `{var} = \"env:{var}\"` to [{}.secrets]",
            join_key("collectors", &d.name)
        );
    }
}
